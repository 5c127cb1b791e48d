package storage

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/safegrid/safegrid/inspect"
)

// openHazardFor returns the open hazard of the site and rule, locked, if any.
func openHazardFor(ctx context.Context, tx pgx.Tx, siteID int64, rule string) (hazardRow, bool, error) {
	rows, err := tx.Query(ctx, `SELECT `+hazardColumns+`, h.head_seq, h.head_hash FROM hazards h
		WHERE h.site_id = $1 AND h.rule_code = $2 AND h.state = ANY($3) FOR UPDATE`, siteID, rule, openStates())
	h, err := collectOne[hazardRow](rows, err, "hazard")
	if inspect.ErrorCode(err) == inspect.ENOTFOUND {
		return h, false, nil
	}
	return h, err == nil, err
}

// recordFinding turns a failed item into a hazard: it joins the open hazard of the
// same site and rule as another observation, or opens a new one. fixedOnSpot closes
// it at once (a new hazard with fix_on_spot; an open one found fixed).
func (s *base) recordFinding(ctx context.Context, tx pgx.Tx, f inspect.Finding, rule json.RawMessage, fixedOnSpot bool, actor int64, now time.Time) (inspect.Hazard, error) {
	for attempt := 0; ; attempt++ {
		h, found, err := openHazardFor(ctx, tx, f.SiteID, f.RuleCode)
		if err != nil {
			return inspect.Hazard{}, err
		}
		if found {
			return s.joinHazard(ctx, tx, h, f, fixedOnSpot, actor, now)
		}
		h, err = s.insertHazard(ctx, tx, f, rule, actor, now)
		if isUniqueViolation(err) && attempt == 0 {
			continue // another transaction opened it first: join that one
		}
		if err != nil {
			return inspect.Hazard{}, err
		}
		if fixedOnSpot {
			if err := s.act(ctx, tx, &h, inspect.ActionFixOnSpot, inspect.HazardActionInput{Note: f.Note}, actor, now, time.Time{}); err != nil {
				return inspect.Hazard{}, err
			}
		}
		return h.Hazard, nil
	}
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation
}

// insertHazard inserts the new hazard for f under a savepoint, so that losing the
// race for the one open hazard per site and rule leaves the transaction usable.
func (s *base) insertHazard(ctx context.Context, tx pgx.Tx, f inspect.Finding, rule json.RawMessage, actor int64, now time.Time) (hazardRow, error) {
	policy, err := s.policyFor(ctx, tx, f.GridID)
	if err != nil {
		return hazardRow{}, err
	}
	nh, err := inspect.NewHazard(f, now, policy)
	if err != nil {
		return hazardRow{}, err
	}
	plan, scheduled := inspect.PlanDeadline(nh, policy, now)
	h := hazardRow{Hazard: nh}
	err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		return sp.QueryRow(ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, rule_version, rule, inspection_id, state, severity,
			level, unit_id, inspector_id, note, observations, deadline, created_at)
			VALUES ($1, $2, $3, $4, $5, NULLIF($6, 0), $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			h.SiteID, h.GridID, h.RuleCode, h.RuleVersion, rule, h.InspectionID, h.State, h.Severity, h.Level, h.UnitID,
			h.InspectorID, h.Note, h.Observations, h.Deadline, h.CreatedAt).Scan(&h.ID)
	})
	if err != nil {
		return h, err
	}
	_, err = appendEvent(ctx, tx, &h, actor, now, inspect.EventCreated, map[string]any{
		"state": h.State, "severity": h.Severity, "deadline": h.Deadline.UTC().Format(time.RFC3339),
		"level": h.Level, "unit_id": h.UnitID, "rule_code": h.RuleCode, "rule_version": h.RuleVersion,
		"inspection_id": h.InspectionID, "inspector_id": h.InspectorID, "note": h.Note,
	})
	if err != nil || !scheduled {
		return h, err
	}
	plan.HazardID = h.ID
	_, err = s.execute(ctx, tx, inspect.Effects{Schedule: &plan})
	return h, err
}

// joinHazard records another observation of open hazard h.
func (s *base) joinHazard(ctx context.Context, tx pgx.Tx, h hazardRow, f inspect.Finding, fixedOnSpot bool, actor int64, now time.Time) (inspect.Hazard, error) {
	next, raised, err := h.AddObservation(f.Severity)
	if err != nil {
		return inspect.Hazard{}, err
	}
	h.Hazard = next
	if err := saveHazard(ctx, tx, h.Hazard); err != nil {
		return inspect.Hazard{}, err
	}
	if _, err := appendEvent(ctx, tx, &h, actor, now, inspect.EventObservation, map[string]any{
		"inspection_id": f.InspectionID, "inspector_id": f.InspectorID, "note": f.Note,
		"severity": h.Severity, "raised": raised, "observations": h.Observations,
	}); err != nil {
		return inspect.Hazard{}, err
	}
	if fixedOnSpot {
		action, err := inspect.FixedOnSpotAction(h.Hazard)
		if err != nil {
			return inspect.Hazard{}, err
		}
		if err := s.act(ctx, tx, &h, action, inspect.HazardActionInput{Note: f.Note}, actor, now, time.Time{}); err != nil {
			return inspect.Hazard{}, err
		}
	}
	return h.Hazard, nil
}
