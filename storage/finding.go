package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// recordFinding turns a failed item into a hazard: it reads what the domain needs
// (findingRequest: the open hazard of the same site and rule, locked, or an id
// for a new one), lets inspect.RecordFinding decide once (join or open; close at
// once when fixedOnSpot), then writes the steps and carries out the effects. When
// another transaction opened the hazard first, the insert fails on the one open
// hazard per site and rule, and the finding is read and decided again, joining it.
func (s *base) recordFinding(ctx context.Context, tx pgx.Tx, f inspect.Finding, rule json.RawMessage, fixedOnSpot bool, actor int64, now time.Time) (inspect.Hazard, error) {
	for attempt := 0; ; attempt++ {
		req, err := s.findingRequest(ctx, tx, f, fixedOnSpot, actor, now)
		if err != nil {
			return inspect.Hazard{}, err
		}
		out, err := inspect.RecordFinding(req)
		if err != nil {
			return inspect.Hazard{}, err
		}
		err = s.writeFinding(ctx, tx, req, out, rule)
		if isUniqueViolation(err) && attempt == 0 {
			continue // another transaction opened it first: join that one
		}
		if err != nil {
			return inspect.Hazard{}, err
		}
		return out.Steps[len(out.Steps)-1].Hazard, nil
	}
}

// findingRequest reads, in tx, what deciding finding f needs: the open hazard of
// its site and rule (locked) with its chain head, or else a reserved id for the
// new hazard; the district's policy, the units above the responsible unit and the
// site's name.
func (s *base) findingRequest(ctx context.Context, tx pgx.Tx, f inspect.Finding, fixedOnSpot bool, actor int64, now time.Time) (inspect.FindingRequest, error) {
	r := inspect.FindingRequest{Finding: f, FixedOnSpot: fixedOnSpot}
	h, found, err := openHazardFor(ctx, tx, f.SiteID, f.RuleCode)
	if err != nil {
		return r, err
	}
	unit := f.GridID // a new hazard is the grid's
	if found {
		r.Joins, unit = true, h.UnitID
		r.Hazard, r.HeadSeq, r.HeadHash = h.Hazard, h.HeadSeq, h.HeadHash
	} else if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('hazards', 'id'))`).Scan(&r.NewID); err != nil {
		return r, fmt.Errorf("reserve hazard id: %w", err)
	}
	r.Actor, r.At = actor, now
	if r.Policy, err = s.policyFor(ctx, tx, f.GridID); err != nil {
		return r, err
	}
	if r.Units, err = unitsAbove(ctx, tx, unit); err != nil {
		return r, err
	}
	r.SiteName, err = siteName(ctx, tx, f.SiteID)
	return r, err
}

// writeFinding writes what inspect.RecordFinding decided: each step's hazard (the
// first inserted when it creates the hazard) and event, then the effects.
func (s *base) writeFinding(ctx context.Context, tx pgx.Tx, req inspect.FindingRequest, out inspect.FindingOutcome, rule json.RawMessage) error {
	h := hazardRow{HeadSeq: req.HeadSeq, HeadHash: req.HeadHash}
	for i, step := range out.Steps {
		h.Hazard = step.Hazard
		var err error
		if i == 0 && out.Created {
			err = insertHazard(ctx, tx, h.Hazard, rule)
		} else {
			err = saveHazard(ctx, tx, h.Hazard)
		}
		if err != nil {
			return err
		}
		if err := storeEvent(ctx, tx, &h, step.Event); err != nil {
			return err
		}
	}
	_, err := s.execute(ctx, tx, out.Effects)
	return err
}

// insertHazard inserts new hazard h, with the id storage reserved for it, under a
// savepoint, so that losing the race for the one open hazard per site and rule
// leaves the transaction usable.
func insertHazard(ctx context.Context, tx pgx.Tx, h inspect.Hazard, rule json.RawMessage) error {
	return pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		_, err := sp.Exec(ctx, `INSERT INTO hazards (id, site_id, grid_id, rule_code, rule_version, rule, inspection_id, state,
			severity, level, unit_id, inspector_id, note, observations, deadline, self_reported, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, 0), $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			h.ID, h.SiteID, h.GridID, h.RuleCode, h.RuleVersion, rule, h.InspectionID, h.State, h.Severity, h.Level,
			h.UnitID, h.InspectorID, h.Note, h.Observations, h.Deadline, h.SelfReported, h.CreatedAt)
		return err
	})
}
