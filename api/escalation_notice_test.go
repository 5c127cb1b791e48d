package api_test

import (
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// A hazard escalated to a community that has no safety officer of its own tells
// the nearest unit above that has one: never no one.
func TestEscalationWithoutOfficersTellsTheNearestAncestor(t *testing.T) {
	w := setup(t)
	s := w.half(3)
	// The community's only officer moves to the district: the community and the
	// subdistrict have none.
	if _, err := w.db.Pool.Exec(w.ctx, `UPDATE users SET unit_id = $2 WHERE id = $1`, s.officer.ID, w.district.ID); err != nil {
		t.Fatal(err)
	}
	s.officerP = w.principal(s.officer)
	h, _ := w.hazard(s, inspect.ActionNotify)
	if _, err := w.svc.Hazards.SystemHazardAction(w.ctx, h.ID, inspect.ActionDeadlinePassed, ""); err != nil {
		t.Fatal(err)
	}
	esc, err := w.svc.Hazards.HazardAction(w.ctx, s.inspectorP, h.ID, inspect.ActionReinspectPresent, inspect.HazardActionInput{Note: "still charging indoors"})
	if err != nil {
		t.Fatal(err)
	}
	if esc.State != inspect.StateEscalated || esc.UnitID != s.community.ID {
		t.Fatalf("escalated to unit %d (%s), want the community %d", esc.UnitID, esc.State, s.community.ID)
	}
	told := w.ids(`SELECT user_id FROM notifications WHERE kind = 'escalated' AND channel = 'in_app' ORDER BY user_id`)
	if len(told) != 1 || told[0] != s.officer.ID {
		t.Errorf("the escalation told %v, want the district's officer %d", told, s.officer.ID)
	}
}
