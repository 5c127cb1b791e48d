package storage

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// act takes action a on the locked hazard h in tx, the one way an action
// happens: read what the domain needs (actionRequest), let inspect.TakeAction
// decide once, then write the hazard and its event and carry out the effects
// (record). deadline, when not zero, replaces the deadline the action sets (a
// determination's panel sets its own).
func (s *base) act(ctx context.Context, tx pgx.Tx, h *hazardRow, a inspect.Action, in inspect.HazardActionInput, actor int64, now, deadline time.Time) error {
	req, err := s.actionRequest(ctx, tx, h, now)
	if err != nil {
		return err
	}
	req.Action, req.Input, req.Actor, req.Deadline = a, in, actor, deadline
	out, err := inspect.TakeAction(req)
	if err != nil {
		return err
	}
	return s.record(ctx, tx, h, out)
}

// actionRequest reads, in tx, what an action on h needs besides the action: the
// policy of h's district, the units above h's unit and the site's name.
func (s *base) actionRequest(ctx context.Context, tx pgx.Tx, h *hazardRow, now time.Time) (inspect.ActionRequest, error) {
	policy, err := s.policyFor(ctx, tx, h.GridID)
	if err != nil {
		return inspect.ActionRequest{}, err
	}
	units, err := unitsAbove(ctx, tx, h.UnitID)
	if err != nil {
		return inspect.ActionRequest{}, err
	}
	site, err := siteName(ctx, tx, h.SiteID)
	if err != nil {
		return inspect.ActionRequest{}, err
	}
	return inspect.ActionRequest{Hazard: h.Hazard, HeadSeq: h.HeadSeq, HeadHash: h.HeadHash, At: now,
		Policy: policy, Units: units, SiteName: site}, nil
}

// record writes what an action decided: the hazard, its event (the new chain
// head), then its effects, in tx.
func (s *base) record(ctx context.Context, tx pgx.Tx, h *hazardRow, out inspect.ActionOutcome) error {
	h.Hazard = out.Hazard
	if err := saveHazard(ctx, tx, h.Hazard); err != nil {
		return err
	}
	if err := storeEvent(ctx, tx, h, out.Event); err != nil {
		return err
	}
	_, err := s.execute(ctx, tx, out.Effects)
	return err
}
