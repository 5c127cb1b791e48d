package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// districtPolicyKey is the settings key of a district's time-limit policy override.
func districtPolicyKey(districtID int64) string {
	return fmt.Sprintf("policy.district.%d", districtID)
}

// DistrictPolicy returns the time-limit policy of district districtID: the default
// policy with the district's stored override applied, or the default when it has
// none.
func (db *DB) DistrictPolicy(ctx context.Context, districtID int64) (inspect.TimeLimitPolicy, error) {
	if districtID <= 0 {
		return inspect.TimeLimitPolicy{}, inspect.FieldErrorf("district_id", "must be a unit id")
	}
	var raw json.RawMessage
	err := db.Setting(ctx, districtPolicyKey(districtID), &raw)
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		return inspect.DefaultPolicy(), nil
	}
	if err != nil {
		return inspect.TimeLimitPolicy{}, fmt.Errorf("read policy of district %d: %w", districtID, err)
	}
	o, err := inspect.ParsePolicyOverride(raw)
	if err != nil {
		// SetDistrictPolicy stores only valid overrides: this one was changed by hand
		// or by an older version. Say so instead of applying half of it.
		return inspect.TimeLimitPolicy{}, fmt.Errorf("stored policy of district %d is no longer valid: %w", districtID, err)
	}
	p, err := inspect.DefaultPolicy().WithOverride(o)
	if err != nil {
		return inspect.TimeLimitPolicy{}, fmt.Errorf("apply stored policy of district %d: %w", districtID, err)
	}
	return p, nil
}

// SetDistrictPolicy stores o as district districtID's change to the default policy,
// replacing any earlier one; an empty override returns the district to the
// default. An override that is invalid, or that would make the policy invalid, is
// refused with an EINVALID error naming the field, and nothing is stored.
func (db *DB) SetDistrictPolicy(ctx context.Context, districtID int64, o inspect.PolicyOverride) error {
	if districtID <= 0 {
		return inspect.FieldErrorf("district_id", "must be a unit id")
	}
	if _, err := inspect.DefaultPolicy().WithOverride(o); err != nil {
		return err
	}
	return db.PutSetting(ctx, districtPolicyKey(districtID), overrideJSON(o))
}

// overrideJSON is o in the JSON that ParsePolicyOverride reads. It is built here
// rather than by marshalling o because PolicyOverride's omitempty would drop an
// empty, non-nil RemindBefore, turning "no reminders" into "the default reminders".
func overrideJSON(o inspect.PolicyOverride) map[string]any {
	m := map[string]any{}
	if o.SignWithin != nil {
		m["sign_within"] = *o.SignWithin
	}
	if o.SignGrace != nil {
		m["sign_grace"] = *o.SignGrace
	}
	if o.ReinspectWithin != nil {
		m["reinspect_within"] = *o.ReinspectWithin
	}
	if o.RemindBefore != nil {
		m["remind_before"] = o.RemindBefore
	}
	if len(o.Rectify) > 0 {
		m["rectify"] = o.Rectify
	}
	return m
}

// districtOverride reads district's stored override; none is the empty override.
func districtOverride(ctx context.Context, q querier, districtID int64) (inspect.PolicyOverride, error) {
	var raw []byte
	err := q.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, districtPolicyKey(districtID)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return inspect.PolicyOverride{}, nil
	}
	if err != nil {
		return inspect.PolicyOverride{}, fmt.Errorf("read policy of district %d: %w", districtID, err)
	}
	o, err := inspect.ParsePolicyOverride(raw)
	if err != nil {
		return inspect.PolicyOverride{}, fmt.Errorf("stored policy of district %d is no longer valid: %w", districtID, err)
	}
	return o, nil
}

// districtUnit checks that id is a district; anything else is not_found.
func districtUnit(ctx context.Context, q querier, id int64) (inspect.Unit, error) {
	u, err := unitByID(ctx, q, id)
	if err == nil && u.Level != inspect.LevelDistrict {
		err = inspect.Errorf(inspect.ENOTFOUND, "district %d not found", id)
	}
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		err = inspect.Errorf(inspect.ENOTFOUND, "district %d not found", id)
	}
	return u, err
}

// PolicyOf returns the time-limit policy in force in district districtID and the
// district's override of the base policy. Every staff member may read it: the
// deadlines it sets are on every hazard anyway.
func (s *PolicyService) PolicyOf(ctx context.Context, p inspect.Principal, districtID int64) (inspect.DistrictPolicy, error) {
	if !inspect.CanReadPolicy(p) {
		return inspect.DistrictPolicy{}, forbidden("merchants do not read the time-limit policy")
	}
	if _, err := districtUnit(ctx, s.db.Pool, districtID); err != nil {
		return inspect.DistrictPolicy{}, err
	}
	o, err := districtOverride(ctx, s.db.Pool, districtID)
	if err != nil {
		return inspect.DistrictPolicy{}, err
	}
	pol, err := s.policy.WithOverride(o)
	if err != nil {
		return inspect.DistrictPolicy{}, fmt.Errorf("apply stored policy of district %d: %w", districtID, err)
	}
	return inspect.DistrictPolicy{DistrictID: districtID, Policy: pol, Override: o}, nil
}

// SetPolicyOf stores o as district districtID's override (admins only) and
// returns the policy now in force. It applies to deadlines set from now on;
// deadlines already set stay as they are.
func (s *PolicyService) SetPolicyOf(ctx context.Context, p inspect.Principal, districtID int64, o inspect.PolicyOverride) (inspect.DistrictPolicy, error) {
	if !inspect.CanSetPolicy(p) {
		return inspect.DistrictPolicy{}, forbidden("only admins change the time-limit policy")
	}
	if _, err := districtUnit(ctx, s.db.Pool, districtID); err != nil {
		return inspect.DistrictPolicy{}, err
	}
	if _, err := s.policy.WithOverride(o); err != nil {
		return inspect.DistrictPolicy{}, err
	}
	if err := s.db.PutSetting(ctx, districtPolicyKey(districtID), overrideJSON(o)); err != nil {
		return inspect.DistrictPolicy{}, err
	}
	return s.PolicyOf(ctx, p, districtID)
}
