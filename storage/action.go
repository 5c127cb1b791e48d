package storage

import (
	"context"
	"fmt"
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
	r, err := s.readForActions(ctx, tx, []*hazardRow{h})
	if err != nil {
		return inspect.ActionRequest{}, err
	}
	return r.request(h, now)
}

// actionReads is what actions on a set of hazards need besides the actions, read
// with a fixed number of queries however many hazards there are.
type actionReads struct {
	units    map[int64][]inspect.Unit          // a unit and every unit above it, nearest first
	policies map[int64]inspect.TimeLimitPolicy // by district
	sites    map[int64]string                  // site names
}

// readForActions reads, in q, the units above the unit and the grid of each of
// hs, the policy of each district they are in and the names of their sites.
func (s *base) readForActions(ctx context.Context, q querier, hs []*hazardRow) (actionReads, error) {
	r := actionReads{policies: map[int64]inspect.TimeLimitPolicy{}, sites: map[int64]string{}}
	var units, sites []int64
	for _, h := range hs {
		units = append(units, h.UnitID, h.GridID)
		sites = append(sites, h.SiteID)
	}
	var err error
	if r.units, err = unitsAboveAll(ctx, q, units); err != nil {
		return r, err
	}
	for _, h := range hs {
		district, err := r.district(h.GridID)
		if err != nil {
			return r, err
		}
		if _, ok := r.policies[district]; ok {
			continue
		}
		if r.policies[district], err = s.districtPolicy(ctx, q, district); err != nil {
			return r, err
		}
	}
	rows, err := q.Query(ctx, `SELECT id, name FROM sites WHERE id = ANY($1)`, sites)
	if err != nil {
		return r, fmt.Errorf("names of %d sites: %w", len(sites), err)
	}
	var id int64
	var name string
	if _, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { r.sites[id] = name; return nil }); err != nil {
		return r, fmt.Errorf("names of %d sites: %w", len(sites), err)
	}
	return r, nil
}

// district returns the district above grid.
func (r actionReads) district(grid int64) (int64, error) {
	for _, u := range r.units[grid] {
		if u.Level == inspect.LevelDistrict {
			return u.ID, nil
		}
	}
	return 0, fmt.Errorf("district of unit %d: %w", grid, inspect.Errorf(inspect.ENOTFOUND, "%s above unit %d not found", inspect.LevelDistrict, grid))
}

// request is the action request on h at now, without the action.
func (r actionReads) request(h *hazardRow, now time.Time) (inspect.ActionRequest, error) {
	district, err := r.district(h.GridID)
	if err != nil {
		return inspect.ActionRequest{}, err
	}
	site, ok := r.sites[h.SiteID]
	if !ok {
		return inspect.ActionRequest{}, fmt.Errorf("name of site %d: %w", h.SiteID, inspect.Errorf(inspect.ENOTFOUND, "site not found"))
	}
	return inspect.ActionRequest{Hazard: h.Hazard, HeadSeq: h.HeadSeq, HeadHash: h.HeadHash, At: now,
		Policy: r.policies[district], Units: r.units[h.UnitID], SiteName: site}, nil
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
