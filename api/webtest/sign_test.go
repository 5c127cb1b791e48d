package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// TestOfficerSignsEscalatedHazard: a hazard escalated to a unit must be signed
// for (签收) by its officers within the policy's time; the hazard page says by
// when and signs in one tap, and the signature is in the hazard's history.
func TestOfficerSignsEscalatedHazard(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 1)
	id := f.hazardAt(t, codes[0], inspect.OutcomeHazard, "楼梯间堆放杂物").HazardID
	officer := f.principal(t, f.officer)
	for _, a := range []inspect.Action{inspect.ActionNotify, inspect.ActionEscalate} {
		if _, err := f.store.Hazards.HazardAction(context.Background(), officer, id, a, inspect.HazardActionInput{Note: "逾期未整改"}); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	var got struct {
		Panel      string   `json:"panel"`
		After      int      `json:"after"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "signHazard", map[string]any{"hazardId": id}, &got)
	if !strings.Contains(got.Panel, "签收") || got.After != 0 {
		t.Errorf("sign panel %q before, %d panels after signing; want the panel, then none", got.Panel, got.After)
	}
	h := try(f.store.Hazards.Hazard(context.Background(), officer, id)).must(t)
	signed := 0
	for _, e := range h.Events {
		if e.Kind == "signed" && e.Actor == f.officer.ID {
			signed++
		}
	}
	if signed != 1 || h.SignBy != nil {
		t.Errorf("%d signed events by the officer, sign_by %v; want one and nothing left to sign", signed, h.SignBy)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
