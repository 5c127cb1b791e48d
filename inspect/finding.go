package inspect

import "time"

// FindingRequest is everything the domain needs to decide what a failed item does
// to the hazards of its site. Storage reads it in the transaction, with the open
// hazard of the same site and rule locked when there is one, and passes it to
// RecordFinding once.
type FindingRequest struct {
	// ActionRequest carries the actor, the time, the district's policy, the units
	// above the responsible unit and the site's name; when Joins, also the open
	// hazard and the head of its event chain. Its Action, Input and Deadline are
	// not used.
	ActionRequest
	Finding Finding
	// Joins says that ActionRequest.Hazard is the open hazard of the finding's
	// site and rule: the finding becomes another observation of it.
	Joins bool
	// NewID is the id storage reserved for a new hazard (when not Joins), so that
	// its event and its deadline's jobs can name it before its row is written.
	NewID int64
	// FixedOnSpot closes the hazard at once: a new one by fix_on_spot, an open one
	// found fixed (FixedOnSpotAction).
	FixedOnSpot bool
}

// HazardStep is one event of a hazard's chain with the hazard as it stands after
// it.
type HazardStep struct {
	Hazard Hazard
	Event  Event
}

// FindingOutcome is what a finding decides: the hazard's steps in order (the
// first creates the hazard when Created, else adds an observation to the open
// one; a second closes it when fixed on the spot) and the effects of them all.
type FindingOutcome struct {
	Created bool
	Steps   []HazardStep
	Effects Effects
}

// RecordFinding decides a failed item: it opens a new hazard (NewHazard, its
// created event and its deadline's schedule) or joins the open one
// (AddObservation and its observation event), and when the item was fixed on the
// spot it closes that hazard at once through TakeAction. The hazard closed in the
// same step needs no deadline jobs, so the last step's schedule stands.
func RecordFinding(r FindingRequest) (FindingOutcome, error) {
	f := r.Finding
	var out FindingOutcome
	var h Hazard
	var kind string
	var payload map[string]any
	var prev *Event
	if r.Joins {
		next, raised, err := r.Hazard.AddObservation(f.Severity)
		if err != nil {
			return out, err
		}
		h, kind = next, EventObservation
		payload = map[string]any{
			"inspection_id": f.InspectionID, "inspector_id": f.InspectorID, "note": f.Note,
			"severity": h.Severity, "raised": raised, "observations": h.Observations,
		}
		if r.HeadSeq > 0 {
			prev = &Event{HazardID: h.ID, Seq: r.HeadSeq, Hash: r.HeadHash}
		}
	} else {
		nh, err := NewHazard(f, r.At, r.Policy)
		if err != nil {
			return out, err
		}
		nh.ID = r.NewID
		h, kind, out.Created = nh, EventCreated, true
		payload = map[string]any{
			"state": h.State, "severity": h.Severity, "deadline": h.Deadline.UTC().Format(time.RFC3339),
			"level": h.Level, "unit_id": h.UnitID, "rule_code": h.RuleCode, "rule_version": h.RuleVersion,
			"inspection_id": h.InspectionID, "inspector_id": h.InspectorID, "note": h.Note,
		}
		if h.SelfReported {
			payload["self_reported"] = true
		}
		if plan, ok := PlanDeadline(h, r.Policy, r.At); ok {
			out.Effects.Schedule = &plan
		}
	}
	e, err := NewEvent(prev, h.ID, r.Actor, r.At, kind, payload)
	if err != nil {
		return out, err
	}
	out.Steps = append(out.Steps, HazardStep{Hazard: h, Event: e})
	if !r.FixedOnSpot {
		return out, nil
	}
	a := ActionFixOnSpot
	if r.Joins {
		if a, err = FixedOnSpotAction(h); err != nil {
			return out, err
		}
	}
	req := r.ActionRequest
	req.Hazard, req.HeadSeq, req.HeadHash = h, e.Seq, e.Hash
	req.Action, req.Input, req.Deadline = a, HazardActionInput{Note: f.Note}, time.Time{}
	closed, err := TakeAction(req)
	if err != nil {
		return out, err
	}
	out.Steps = append(out.Steps, HazardStep{Hazard: closed.Hazard, Event: closed.Event})
	out.Effects = Effects{
		Notices:   append(out.Effects.Notices, closed.Effects.Notices...),
		Supervise: closed.Effects.Supervise,
		Schedule:  closed.Effects.Schedule,
	}
	return out, nil
}
