package seed

import (
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// hazardLife takes one hazard through its plan, one action at a time, each
// decided by inspect.TakeAction as storage would, until the plan ends or the next
// action would come after Now.
type hazardLife struct {
	s     *siteLife
	units []inspect.Unit // the site's grid and every unit above it
	req   inspect.ActionRequest
	err   error

	supervision   *inspect.Supervision
	supervisedAt  time.Time
	lastAt        time.Time // the newest event's time
	determination *determinationRow
}

type determinationRow struct {
	openedBy          int64
	openedAt          time.Time
	conclusion        string
	deadline, conclAt any
}

// step records event e, the hazard hz after it and the effects of the step.
func (h *hazardLife) step(hz inspect.Hazard, e inspect.Event, eff inspect.Effects) {
	b := h.s.b
	h.req.Hazard, h.req.HeadSeq, h.req.HeadHash, h.lastAt = hz, e.Seq, e.Hash, e.At
	b.get("hazard_events").add(e.HazardID, e.Seq, e.Actor, e.At, e.Kind, []byte(e.Payload), e.PrevHash, e.Hash)
	if sv := eff.Supervise; sv != nil {
		if h.supervision == nil {
			h.supervisedAt = e.At
		}
		h.supervision = sv
	}
	for _, n := range eff.Notices {
		for _, u := range h.audience(n) {
			var read any
			if h.s.w.o.Now.Sub(e.At) > 48*time.Hour {
				read = e.At.Add(3 * time.Hour)
			}
			b.get("notifications").add(u, "in_app", string(n.Message.Kind), n.Message.TextZH, n.Message.TextEN, n.DedupKey, e.At, e.At, read)
		}
	}
}

// audience resolves a notice to users, as storage does.
func (h *hazardLife) audience(n inspect.Notice) []int64 {
	switch n.To {
	case inspect.ToSiteMerchants:
		return []int64{h.s.merchant}
	case inspect.ToUsers:
		return n.UserIDs
	case inspect.ToUnitOfficers:
		if o, ok := h.s.w.officers[n.UnitID]; ok {
			return []int64{o}
		}
	}
	return nil
}

// do takes action a as actor at time at; it returns false when the hazard's life
// stops here: at is after Now, or the action failed (h.err).
func (h *hazardLife) do(a inspect.Action, actor int64, at time.Time, photos ...string) bool {
	if h.err != nil || at.After(h.s.w.o.Now) {
		return false
	}
	r := h.req
	r.Action, r.Actor, r.At, r.Input = a, actor, at, inspect.HazardActionInput{PhotoIDs: photos}
	for i, u := range h.units {
		if u.ID == r.Hazard.UnitID {
			r.Units = h.units[i:]
		}
	}
	out, err := inspect.TakeAction(r)
	if err != nil {
		h.err = err
		return false
	}
	h.step(out.Hazard, out.Event, out.Effects)
	switch a {
	case inspect.ActionOpenDetermination:
		h.determination = &determinationRow{openedBy: actor, openedAt: at}
	case inspect.ActionDetermineMajor:
		h.determination.conclusion, h.determination.deadline, h.determination.conclAt = "major", out.Hazard.Deadline, at
	}
	return true
}

// between returns a random time in [from+lo, from+hi), to the second.
func (h *hazardLife) between(from time.Time, lo, hi time.Duration) time.Time {
	if hi <= lo {
		return from.Add(lo).Truncate(time.Second)
	}
	return from.Add(lo + time.Duration(h.s.r.Int64N(int64(hi-lo)+1))).Truncate(time.Second)
}

// follow lives plan p from the hazard's creation.
func (h *hazardLife) follow(p plan) error {
	const hour, day = time.Hour, 24 * time.Hour
	s, hz := h.s, h.req.Hazard
	office, inspector := s.officer(), hz.InspectorID
	t := hz.CreatedAt
	switch p {
	case planFixedOnSpot:
		return nil
	case planWithdrawn:
		h.do(inspect.ActionWithdraw, office, h.between(t, hour, 6*hour))
		return h.finish()
	case planReturned:
		t = h.between(t, hour, 6*hour)
		if !h.do(inspect.ActionReturnForCorrection, office, t) {
			return h.finish()
		}
		t = h.between(t, 4*hour, 30*hour)
		if !h.do(inspect.ActionResubmit, inspector, t) {
			return h.finish()
		}
	case planMajor:
		t = h.between(t, hour, 6*hour)
		if !h.do(inspect.ActionOpenDetermination, office, t) {
			return h.finish()
		}
		t = h.between(t, day, 3*day)
		if !h.do(inspect.ActionDetermineMajor, office, t) {
			return h.finish()
		}
		return h.fixBy(t, h.req.Hazard.Deadline)
	}
	t = h.between(t, hour, 8*hour)
	if !h.do(inspect.ActionNotify, office, t) {
		return h.finish()
	}
	deadline := h.req.Hazard.Deadline
	switch p {
	case planLate:
		if !h.do(inspect.ActionDeadlinePassed, 0, deadline) {
			return h.finish()
		}
		t = h.between(deadline, day, 5*day)
		return h.fixFrom(t)
	case planIgnored:
		if !h.do(inspect.ActionDeadlinePassed, 0, deadline) {
			return h.finish()
		}
		t = h.between(deadline, day, 3*day)
		if !h.do(inspect.ActionReinspectPresent, inspector, t, uuidString(s.photo(0, "", hz.ID, "", nil, inspector, t))) {
			return h.finish()
		}
		return h.fixBy(t, h.req.Hazard.Deadline)
	}
	return h.fixBy(t, deadline)
}

// fixBy submits proof at a random time between after and the deadline, then
// fixFrom's re-inspection.
func (h *hazardLife) fixBy(after, deadline time.Time) error {
	if deadline.Sub(after) < 2*time.Minute {
		return h.fixFrom(after.Add(time.Hour))
	}
	return h.fixFrom(h.between(after, 0, deadline.Sub(after)-time.Minute))
}

// fixFrom: the merchant submits proof at t, the inspector finds it fixed one to
// three days later, and most merchants rate the handling.
func (h *hazardLife) fixFrom(t time.Time) error {
	s, hz := h.s, h.req.Hazard
	if !h.do(inspect.ActionSubmitProof, s.merchant, t, uuidString(s.photo(0, "", hz.ID, "", nil, s.merchant, t))) {
		return h.finish()
	}
	t = h.between(t, 24*time.Hour, 72*time.Hour)
	if !h.do(inspect.ActionReinspectFixed, hz.InspectorID, t, uuidString(s.photo(0, "", hz.ID, "", nil, hz.InspectorID, t))) {
		return h.finish()
	}
	t = h.between(t, 2*time.Hour, 48*time.Hour)
	if s.r.IntN(10) < 7 && !t.After(s.w.o.Now) {
		rating := []int{5, 5, 5, 4, 4, 4, 3, 2}[s.r.IntN(8)]
		rated, err := h.req.Hazard.Rate(rating)
		if err != nil {
			h.err = err
			return h.finish()
		}
		e, err := inspect.NewEvent(&inspect.Event{HazardID: hz.ID, Seq: h.req.HeadSeq, Hash: h.req.HeadHash}, hz.ID, s.merchant, t, inspect.EventRated, map[string]any{"rating": rating})
		if err != nil {
			h.err = err
			return h.finish()
		}
		h.step(rated, e, inspect.Effects{})
	}
	return h.finish()
}

// finish writes the rows kept until the hazard's life ended: its determination
// and supervision.
func (h *hazardLife) finish() error {
	if h.err != nil {
		return h.err
	}
	hz, w := h.req.Hazard, h.s.w
	if d := h.determination; d != nil {
		h.s.b.get("determinations").add(hz.ID, d.openedBy, d.openedAt, []int64{d.openedBy, w.officers[w.district.ID], w.adminID},
			d.conclusion, map[bool]string{true: "停业整改，专人督办", false: ""}[d.conclusion == "major"], d.deadline, d.conclAt)
	}
	if sv := h.supervision; sv != nil {
		h.s.b.get("listed_supervisions").add(hz.ID, sv.SupervisingUnitID, h.s.merchant, sv.Deadline, h.supervisedAt, h.lastAt)
	}
	return nil
}
