package inspect_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// legal is the hazard life of DESIGN.md written out by hand, one line per legal
// transition, so that a change to the table in statemachine.go has to be made
// here too, on purpose.
var legal = map[string]inspect.HazardState{
	"open/notify":                               inspect.StateNotified,
	"open/fix_on_spot":                          inspect.StateClosedOnSpot,
	"open/return_for_correction":                inspect.StateReturned,
	"open/withdraw":                             inspect.StateWithdrawn,
	"open/open_determination":                   inspect.StateUnderDetermination,
	"returned/resubmit":                         inspect.StateOpen,
	"returned/withdraw":                         inspect.StateWithdrawn,
	"notified/submit_proof":                     inspect.StateRectificationSubmitted,
	"notified/reinspect_fixed":                  inspect.StateClosedFixed,
	"notified/deadline_passed":                  inspect.StateReinspectionDue,
	"notified/open_determination":               inspect.StateUnderDetermination,
	"notified/escalate":                         inspect.StateEscalated, // not signed for in time
	"rectification_submitted/submit_proof":      inspect.StateRectificationSubmitted,
	"rectification_submitted/reinspect_fixed":   inspect.StateClosedFixed,
	"rectification_submitted/reinspect_present": inspect.StateEscalated,
	"reinspection_due/submit_proof":             inspect.StateRectificationSubmitted,
	"reinspection_due/reinspect_fixed":          inspect.StateClosedFixed,
	"reinspection_due/reinspect_present":        inspect.StateEscalated,
	"reinspection_due/escalate":                 inspect.StateEscalated,
	"reinspection_due/open_determination":       inspect.StateUnderDetermination,
	"escalated/submit_proof":                    inspect.StateRectificationSubmitted,
	"escalated/reinspect_fixed":                 inspect.StateClosedFixed,
	"escalated/deadline_passed":                 inspect.StateReinspectionDue,
	"escalated/open_determination":              inspect.StateUnderDetermination,
	"escalated/escalate":                        inspect.StateEscalated, // not signed for in time
	"under_determination/determine_major":       inspect.StateEscalated,
	"under_determination/determine_general":     inspect.StateNotified,
}

var allStates = []inspect.HazardState{
	inspect.StateOpen, inspect.StateReturned, inspect.StateNotified, inspect.StateRectificationSubmitted,
	inspect.StateReinspectionDue, inspect.StateEscalated, inspect.StateUnderDetermination,
	inspect.StateClosedFixed, inspect.StateClosedOnSpot, inspect.StateWithdrawn,
}

var allActions = []inspect.Action{
	inspect.ActionNotify, inspect.ActionSubmitProof, inspect.ActionReinspectFixed, inspect.ActionReinspectPresent,
	inspect.ActionDeadlinePassed, inspect.ActionEscalate, inspect.ActionFixOnSpot, inspect.ActionReturnForCorrection,
	inspect.ActionResubmit, inspect.ActionWithdraw, inspect.ActionOpenDetermination, inspect.ActionDetermineMajor,
	inspect.ActionDetermineGeneral,
}

func TestTransitionTable(t *testing.T) {
	for _, from := range allStates {
		for _, a := range allActions {
			key := fmt.Sprintf("%s/%s", from, a)
			t.Run(key, func(t *testing.T) {
				got, err := inspect.Transition(from, a)
				want, ok := legal[key]
				if ok {
					if err != nil || got != want {
						t.Fatalf("Transition = %q, %v; want %q", got, err, want)
					}
					return
				}
				// illegal: a conflict that names both the state and the action
				assertCode(t, err, inspect.ECONFLICT, string(from), string(a))
			})
		}
	}
}

func TestTransitionUnknown(t *testing.T) {
	assertCode(t, second(inspect.Transition(inspect.StateOpen, "explode")), inspect.EINVALID, "explode")
	assertCode(t, second(inspect.Transition("limbo", inspect.ActionNotify)), inspect.EINTERNAL)
}

func TestActionsAndOpenStates(t *testing.T) {
	want := []inspect.Action{inspect.ActionResubmit, inspect.ActionWithdraw}
	if got := inspect.Actions(inspect.StateReturned); !slices.Equal(got, want) {
		t.Errorf("Actions(returned) = %v, want %v", got, want)
	}
	if got := inspect.Actions(inspect.StateClosedFixed); len(got) != 0 {
		t.Errorf("a closed hazard offers %v", got)
	}
	closed := map[inspect.HazardState]bool{inspect.StateClosedFixed: true, inspect.StateClosedOnSpot: true, inspect.StateWithdrawn: true}
	for _, s := range allStates {
		if inspect.IsOpen(s) == closed[s] || inspect.IsClosed(s) != closed[s] {
			t.Errorf("IsOpen(%s) = %v, IsClosed = %v", s, inspect.IsOpen(s), inspect.IsClosed(s))
		}
		// every closed state is terminal, every open one has a way forward
		if closed[s] != (len(inspect.Actions(s)) == 0) {
			t.Errorf("state %s: closed=%v but actions %v", s, closed[s], inspect.Actions(s))
		}
	}
	if inspect.IsOpen("limbo") {
		t.Error("an unknown state is not open")
	}
	if got := inspect.OpenStates(); len(got) != 7 || slices.Contains(got, inspect.StateWithdrawn) {
		t.Errorf("OpenStates() = %v", got)
	}
}
