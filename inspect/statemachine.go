package inspect

import "slices"

// Action is something that happens to a hazard. Each legal (state, action) pair in
// the transition table leads to exactly one next state; each taken action is
// appended to the hazard's event log with the action as the event kind.
type Action string

// The hazard actions. Who may take each one is the policy table in user.go
// (Principal.CanPerform); when it is legal is the transition table below.
const (
	// ActionNotify: the review is done and the merchant is told, with the deadline.
	ActionNotify Action = "notify"
	// ActionSubmitProof: the merchant (or an inspector for them) uploads proof of the fix.
	ActionSubmitProof Action = "submit_proof"
	// ActionReinspectFixed: an inspector re-inspects and finds the hazard fixed.
	ActionReinspectFixed Action = "reinspect_fixed"
	// ActionReinspectPresent: an inspector re-inspects and finds it still present;
	// responsibility moves up a level (Escalate).
	ActionReinspectPresent Action = "reinspect_present"
	// ActionDeadlinePassed: the scheduler saw the rectification deadline pass.
	ActionDeadlinePassed Action = "deadline_passed"
	// ActionEscalate: the hazard is escalated without a re-inspection visit (the
	// re-inspection itself went overdue, the party it was handed to did not sign
	// for it in time, or an officer escalates by hand).
	ActionEscalate Action = "escalate"
	// ActionFixOnSpot: fixed in front of the inspector when it was recorded.
	ActionFixOnSpot Action = "fix_on_spot"
	// ActionReturnForCorrection: a safety officer returns the finding to the
	// inspector; counts toward the return rate.
	ActionReturnForCorrection Action = "return_for_correction"
	// ActionResubmit: the inspector sends the corrected finding back for review.
	ActionResubmit Action = "resubmit"
	// ActionWithdraw: the finding was wrong (the reviewer rejects it); closed
	// without a rectification.
	ActionWithdraw Action = "withdraw"
	// ActionOpenDetermination: a possibly major hazard goes to a collective
	// determination (GB 35181, at least three reviewers).
	ActionOpenDetermination Action = "open_determination"
	// ActionDetermineMajor: the determination found a major hazard; it goes to the
	// district at once, under listed supervision (挂牌督办).
	ActionDetermineMajor Action = "determine_major"
	// ActionDetermineGeneral: the determination found a general hazard; the
	// merchant is notified as for any general hazard.
	ActionDetermineGeneral Action = "determine_general"
)

// HazardState is where a hazard is in its life (DESIGN.md, "Hazard life").
type HazardState string

// The hazard states.
const (
	// StateOpen: recorded by an inspector (or confirmed from an AI flag), waiting
	// for a safety officer's review.
	StateOpen HazardState = "open"
	// StateReturned: the review sent the finding back to the inspector.
	StateReturned HazardState = "returned"
	// StateNotified: the merchant has been told; the rectification clock runs.
	StateNotified HazardState = "notified"
	// StateRectificationSubmitted: proof of the fix is in; a re-inspection decides.
	StateRectificationSubmitted HazardState = "rectification_submitted"
	// StateReinspectionDue: the deadline passed without proof; someone must go and look.
	StateReinspectionDue HazardState = "reinspection_due"
	// StateEscalated: still present; responsibility moved up a level with a new deadline.
	StateEscalated HazardState = "escalated"
	// StateUnderDetermination: a possibly major hazard awaits the collective
	// determination.
	StateUnderDetermination HazardState = "under_determination"
	// StateClosedFixed: a re-inspection found it fixed.
	StateClosedFixed HazardState = "closed_fixed"
	// StateClosedOnSpot: fixed on the spot when it was found.
	StateClosedOnSpot HazardState = "closed_on_spot"
	// StateWithdrawn: the finding was withdrawn after review; it was not a hazard.
	StateWithdrawn HazardState = "withdrawn"
)

// transitions is the hazard state machine as data: from-state → action → to-state.
// A pair that is not listed is illegal.
var transitions = map[HazardState]map[Action]HazardState{
	StateOpen: {
		ActionNotify:              StateNotified,
		ActionFixOnSpot:           StateClosedOnSpot,
		ActionReturnForCorrection: StateReturned,
		ActionWithdraw:            StateWithdrawn,
		ActionOpenDetermination:   StateUnderDetermination,
	},
	StateReturned: {
		ActionResubmit: StateOpen,
		ActionWithdraw: StateWithdrawn,
	},
	StateNotified: {
		ActionEscalate:          StateEscalated, // the merchant did not sign for the notice in time (SignOverdue)
		ActionSubmitProof:       StateRectificationSubmitted,
		ActionReinspectFixed:    StateClosedFixed, // a visit before the deadline finds it fixed; no proof upload needed
		ActionDeadlinePassed:    StateReinspectionDue,
		ActionOpenDetermination: StateUnderDetermination,
	},
	StateRectificationSubmitted: {
		ActionSubmitProof:      StateRectificationSubmitted, // more proof before the re-inspection
		ActionReinspectFixed:   StateClosedFixed,
		ActionReinspectPresent: StateEscalated,
	},
	StateReinspectionDue: {
		ActionSubmitProof:       StateRectificationSubmitted, // late proof still gets looked at
		ActionReinspectFixed:    StateClosedFixed,
		ActionReinspectPresent:  StateEscalated,
		ActionEscalate:          StateEscalated,
		ActionOpenDetermination: StateUnderDetermination,
	},
	StateEscalated: {
		ActionEscalate:          StateEscalated, // the unit did not sign for it in time (SignOverdue)
		ActionSubmitProof:       StateRectificationSubmitted,
		ActionReinspectFixed:    StateClosedFixed,
		ActionDeadlinePassed:    StateReinspectionDue,
		ActionOpenDetermination: StateUnderDetermination,
	},
	StateUnderDetermination: {
		ActionDetermineMajor:   StateEscalated,
		ActionDetermineGeneral: StateNotified,
	},
	StateClosedFixed:  {},
	StateClosedOnSpot: {},
	StateWithdrawn:    {},
}

// Valid reports whether s is a known hazard state.
func (s HazardState) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// validAction reports whether a appears anywhere in the transition table.
func validAction(a Action) bool {
	for _, m := range transitions {
		if _, ok := m[a]; ok {
			return true
		}
	}
	return false
}

// Transition returns the state that action leads to from state from. An action that
// is not allowed in from is an ECONFLICT *Error naming both; an unknown action is
// EINVALID and an unknown state EINTERNAL (a corrupt row).
//
// Workers that fire on a timer (deadline_passed) call it after re-reading the
// hazard: ECONFLICT then means the hazard moved on and there is nothing to do.
func Transition(from HazardState, action Action) (HazardState, error) {
	m, ok := transitions[from]
	if !ok {
		return "", Errorf(EINTERNAL, "unknown hazard state %q", from)
	}
	if to, ok := m[action]; ok {
		return to, nil
	}
	if !validAction(action) {
		return "", Errorf(EINVALID, "unknown hazard action %q", action)
	}
	return "", Errorf(ECONFLICT, "cannot %s a hazard that is %s", action, from)
}

// Actions returns the actions allowed in state s, sorted, for the UI to offer.
func Actions(s HazardState) []Action {
	var out []Action
	for a := range transitions[s] {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// IsOpen reports whether a hazard in state s still needs work, that is whether it
// is not closed_fixed, closed_on_spot or withdrawn. At most one hazard per site and
// rule is open; storage enforces it with a partial unique index over OpenStates.
func IsOpen(s HazardState) bool {
	switch s {
	case StateClosedFixed, StateClosedOnSpot, StateWithdrawn:
		return false
	}
	return s.Valid()
}

// IsClosed reports whether s is a closed state: closed_fixed, closed_on_spot or
// withdrawn.
func IsClosed(s HazardState) bool { return s.Valid() && !IsOpen(s) }

// OpenStates returns every open state, sorted, for SQL (state = ANY($1)) and for
// the partial unique index on (site_id, rule_code).
func OpenStates() []HazardState {
	var out []HazardState
	for s := range transitions {
		if IsOpen(s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}
