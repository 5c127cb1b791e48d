package api

import (
	"context"
	"reflect"

	"github.com/safegrid/safegrid/inspect"
)

// The time-limit policy of a district: the default, and the district's override.

// DistrictQuery names the district of GET and PUT /policy.
type DistrictQuery struct {
	DistrictID int64 `query:"district_id" json:"-"`
}

func (q *DistrictQuery) validate() error {
	if q.DistrictID == 0 {
		return inspect.FieldErrorf("district_id", "is required")
	}
	return nil
}

// PolicyInput is PUT /policy: the district and its override, read with
// inspect.ParsePolicyOverride so that a bad duration names its field.
type PolicyInput struct {
	DistrictQuery
	Override inspect.PolicyOverride `json:"-"`
}

func (in *PolicyInput) decodeBody(b []byte) (err error) {
	if err := in.validate(); err != nil {
		return err
	}
	in.Override, err = inspect.ParsePolicyOverride(b)
	return err
}

func (*PolicyInput) bodyType() reflect.Type { return reflect.TypeFor[inspect.PolicyOverride]() }

func (h *v1) getPolicy(ctx context.Context, p inspect.Principal, q DistrictQuery) (inspect.DistrictPolicy, error) {
	return h.cfg.Policy.PolicyOf(ctx, p, q.DistrictID)
}

func (h *v1) putPolicy(ctx context.Context, p inspect.Principal, in PolicyInput) (inspect.DistrictPolicy, error) {
	return h.cfg.Policy.SetPolicyOf(ctx, p, in.DistrictID, in.Override)
}
