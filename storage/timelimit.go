package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// Time limits besides the deadline (inspect/timelimit.go): signing for a
// hazard, and an admin applying a changed policy to open hazards. The jobs that
// watch the limits are the deadline path's (WorkDeadlines, DeadlineJob.Limit).

// SignHazard records that the principal signs for (签收) hazard id as the party
// it waits for (inspect.Principal.SignerParty): the site's merchant for the
// notice, a safety officer for the unit it was escalated to. The signed event
// joins the hazard's chain and the job watching the signature finds nothing left
// to do. Nothing waiting for a signature is a conflict; waiting for another
// party's, forbidden.
func (s *HazardService) SignHazard(ctx context.Context, p inspect.Principal, id int64) (inspect.HazardDetail, error) {
	return s.changeHazard(ctx, p, id, func(inspect.Hazard) bool { return true }, "",
		func(tx pgx.Tx, h *hazardRow, now time.Time) error {
			if h.SignBy == nil {
				return inspect.Errorf(inspect.ECONFLICT, "hazard %d waits for no signature", h.ID)
			}
			party, ok := p.SignerParty(h.Hazard)
			if !ok {
				return forbidden("hazard %d waits for the %s's signature", h.ID, h.SignParty)
			}
			return s.sign(ctx, tx, h, p, party, "", now)
		})
}

// sign signs for h as party in tx, by p, and appends the signed event.
func (s *HazardService) sign(ctx context.Context, tx pgx.Tx, h *hazardRow, p inspect.Principal, party inspect.SignParty, via string, now time.Time) error {
	next, signed, err := inspect.SignFor(h.Hazard, party, now)
	if err != nil {
		return err
	}
	signed.Via = via
	h.Hazard = next
	if err := saveHazard(ctx, tx, h.Hazard); err != nil {
		return err
	}
	_, err = appendEvent(ctx, tx, h, p.User.ID, now, inspect.EventSigned, signed)
	return err
}

// ApplyPolicy is an admin applying district's policy, as it is now, to the time
// limits of its open hazards (inspect.ApplyPolicy): each limit the policy set
// is computed again from when it started, each hazard whose limits move gets a
// policy_applied event naming the admin (its actor) with the old and new
// limits, and the moved limits get their jobs (the old jobs find their limit
// moved and do nothing). It returns the hazards it moved, by id. Changing the
// policy alone (SetPolicyOf) moves nothing: only this does.
func (s *HazardService) ApplyPolicy(ctx context.Context, p inspect.Principal, district int64) ([]inspect.DeadlineMove, error) {
	if !inspect.CanSetPolicy(p) {
		return nil, forbidden("only an admin applies a time-limit policy to open deadlines")
	}
	var moves []inspect.DeadlineMove
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		moves = nil
		now := s.now()
		if _, err := districtUnit(ctx, tx, district); err != nil {
			return err
		}
		units, err := subtreeIDs(ctx, tx, district)
		if err != nil {
			return fmt.Errorf("units of district %d: %w", district, err)
		}
		rows, err := tx.Query(ctx, `SELECT `+hazardColumns+`, h.head_seq, h.head_hash FROM hazards h
			WHERE h.grid_id = ANY($1) AND h.state = ANY($2) AND (h.handed_at IS NOT NULL OR h.reinspect_by IS NOT NULL)
			ORDER BY h.id FOR UPDATE`, units, openStates())
		list, err := collectAll[hazardRow](rows, err)
		if err != nil {
			return fmt.Errorf("open hazards of district %d: %w", district, err)
		}
		hs := make([]*hazardRow, len(list))
		for i := range list {
			hs[i] = &list[i]
		}
		reads, err := s.readForActions(ctx, tx, hs)
		if err != nil {
			return err
		}
		var (
			changed []*hazardRow
			events  []inspect.Event
			effects []inspect.Effects
		)
		for _, h := range hs {
			req, err := reads.request(h, now)
			if err != nil {
				return err
			}
			req.Actor = p.User.ID
			out, moved, err := inspect.ApplyPolicy(req)
			if err != nil {
				return fmt.Errorf("apply the policy to hazard %d: %w", h.ID, err)
			}
			if !moved {
				continue
			}
			var pa inspect.PolicyApplied
			if err := json.Unmarshal(out.Event.Payload, &pa); err != nil {
				return fmt.Errorf("policy_applied event of hazard %d: %w", h.ID, err)
			}
			h.Hazard, h.HeadSeq, h.HeadHash = out.Hazard, out.Event.Seq, out.Event.Hash
			changed, events, effects = append(changed, h), append(events, out.Event), append(effects, out.Effects)
			moves = append(moves, inspect.DeadlineMove{HazardID: h.ID, PolicyApplied: pa})
		}
		if err := saveHazards(ctx, tx, changed); err != nil {
			return err
		}
		if err := storeEvents(ctx, tx, events); err != nil {
			return err
		}
		_, err = s.executeAll(ctx, tx, effects)
		return err
	})
	if moves == nil {
		moves = []inspect.DeadlineMove{}
	}
	return moves, err
}
