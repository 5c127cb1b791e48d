package webtest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// TestAgencyRecordsActionOnSharedHazard: an agency's user logs in to its own
// screen, finds the hazard of its field shared with it, records one of its
// field's actions and a comment, and both join the hazard's chain.
func TestAgencyRecordsActionOnSharedHazard(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	rules := try(checklists.LoadEmbedded()).must(t)
	f.startInspection(t, 0)
	// The first item of the guesthouse's checklist that belongs to an agency's field.
	var field checklists.Field
	var code string
	for _, it := range f.checklist.Items {
		for _, fl := range rules.Fields() {
			if code == "" && slices.Contains(fl.Rules, it.Code) {
				field, code = fl, it.Code
			}
		}
	}
	if code == "" {
		t.Fatal("the guesthouse checklist has no rule of any agency's field")
	}
	shared := f.hazardAt(t, code, inspect.OutcomeHazard, "现场发现")
	adminP := f.factory.AdminP
	agency := try(f.store.Agencies.CreateAgency(ctx, adminP, inspect.Agency{Name: "玉林派出所", Field: field.Name, UnitID: f.district.ID})).must(t)
	staff := f.factory.User(inspect.User{Username: "agency-staff", Role: inspect.RoleAgency, AgencyID: agency.ID, DisplayName: "民警 王刚"})

	var got struct {
		Home       string   `json:"home"`
		Listed     []int64  `json:"listed"`
		Kinds      []string `json:"kinds"`
		Events     []string `json:"events"`
		Contact    string   `json:"contact"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "agency", map[string]any{"username": staff.Username, "hazardId": shared.HazardID, "action": field.Actions[0].Name}, &got)
	if got.Home != "/agency" || !slices.Equal(got.Listed, []int64{shared.HazardID}) {
		t.Errorf("the agency landed on %s listing %v, want /agency listing hazard %d", got.Home, got.Listed, shared.HazardID)
	}
	if n := len(got.Kinds); n < 2 || got.Kinds[n-2] != inspect.EventAgencyAction || got.Kinds[n-1] != inspect.EventComment {
		t.Errorf("the page's history %v, want it to end with agency_action, comment", got.Kinds)
	}
	// The agency sees who did what by name (it saw "用户 #3") and whom to call.
	all := strings.Join(got.Events, "\n")
	if !strings.Contains(all, f.inspector.DisplayName) || !strings.Contains(all, staff.DisplayName) || userNumber.MatchString(all) {
		t.Errorf("the agency's history reads %q; want %s and %s by name, no user numbers", got.Events, f.inspector.DisplayName, staff.DisplayName)
	}
	if !strings.Contains(got.Contact, f.inspector.DisplayName) || !strings.Contains(got.Contact, f.inspector.Phone) {
		t.Errorf("the agency's contact line reads %q; want the grid inspector %s with %s", got.Contact, f.inspector.DisplayName, f.inspector.Phone)
	}
	h := f.hazard(t, shared.HazardID)
	if err := inspect.VerifyChain(h.Events); err != nil {
		t.Fatal(err)
	}
	last := h.Events[len(h.Events)-2]
	if last.Kind != inspect.EventAgencyAction || last.Actor != staff.ID {
		t.Errorf("the chain's last events %+v, want the agency's action by user %d", h.Events[len(h.Events)-2:], staff.ID)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
