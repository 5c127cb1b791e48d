package inspect_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// TestPassDeadlineRecordsWhichDeadline: the deadline_passed event names the
// deadline that passed, so the log shows each deadline passing once even when an
// escalated hazard has a second one; a stale job (the deadline moved) decides nothing.
func TestPassDeadlineRecordsWhichDeadline(t *testing.T) {
	deadline := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	h := inspect.Hazard{ID: 7, SiteID: 3, UnitID: 5, Level: inspect.LevelGrid, State: inspect.StateNotified,
		Severity: inspect.SeverityGeneral, InspectorID: 11, Deadline: deadline}
	r := inspect.ActionRequest{Hazard: h, At: deadline.Add(time.Second), Policy: inspect.DefaultPolicy()}

	out, acted, err := inspect.PassDeadline(r, deadline)
	if err != nil || !acted {
		t.Fatalf("PassDeadline = acted %v, %v; want acted", acted, err)
	}
	if out.Hazard.State != inspect.StateReinspectionDue || out.Event.Kind != string(inspect.ActionDeadlinePassed) || out.Event.Actor != 0 {
		t.Fatalf("got state %s, event %s by %d; want reinspection_due, deadline_passed by the system", out.Hazard.State, out.Event.Kind, out.Event.Actor)
	}
	var p inspect.TransitionPayload
	if err := json.Unmarshal(out.Event.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.PassedDeadline == nil || !p.PassedDeadline.Equal(deadline) {
		t.Errorf("payload %s: passed_deadline = %v, want %s", out.Event.Payload, p.PassedDeadline, deadline)
	}

	if _, acted, err := inspect.PassDeadline(r, deadline.Add(-time.Hour)); acted || err != nil {
		t.Errorf("a job for a deadline that moved acted (%v, %v)", acted, err)
	}
}
