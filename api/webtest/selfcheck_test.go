package webtest

import (
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// TestMerchantSelfInspection: a merchant begins a self-inspection (自查自纠) from
// the home screen, reports one problem with a photo and submits; the problem
// is a self-reported hazard of the grid's inspector with the rule's severity.
func TestMerchantSelfInspection(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const note = "后门通道堆放了纸箱"
	var got struct {
		Code         string `json:"code"`
		InspectionID int64  `json:"inspectionId"`
		Offered      struct {
			Outcome  int `json:"outcome"`
			Severity int `json:"severity"`
		} `json:"offered"`
		Head struct {
			Back    string `json:"back"`
			Dossier int    `json:"dossier"`
		} `json:"head"`
		PageErrors []string `json:"pageErrors"`
	}
	images := testImages(t, 1, "boxes")
	runDriver(t, f, "selfCheck", map[string]any{"siteId": f.site.ID, "note": note, "images": images}, &got)
	if got.Offered.Outcome != 0 || got.Offered.Severity != 0 {
		t.Errorf("a failed self-inspection item offered %d outcome and %d severity controls; want none (the rule's severity and deadline)", got.Offered.Outcome, got.Offered.Severity)
	}
	if got.Head.Back != "/merchant" || got.Head.Dossier != 0 {
		t.Errorf("the self-inspection's header leads back to %q with %d dossier links; want /merchant and none (the dossier is the staff's)", got.Head.Back, got.Head.Dossier)
	}
	insp, err := f.store.Inspections.Inspection(t.Context(), f.principal(t, f.officer), got.InspectionID)
	if err != nil {
		t.Fatal(err)
	}
	if !insp.SelfCheck || insp.Status != inspect.InspectionSubmitted || insp.SiteID != f.site.ID {
		t.Fatalf("inspection %d: self_check %v, status %s, site %d; want a submitted self-inspection of site %d", insp.ID, insp.SelfCheck, insp.Status, insp.SiteID, f.site.ID)
	}
	hazards, err := f.store.Hazards.Hazards(t.Context(), f.principal(t, f.officer), inspect.HazardFilter{SiteID: f.site.ID})
	if err != nil {
		t.Fatal(err)
	}
	var found []inspect.HazardDetail
	for _, h := range hazards {
		if h.InspectionID == insp.ID {
			found = append(found, h)
		}
	}
	if len(found) != 1 || !found[0].SelfReported || found[0].RuleCode != got.Code || found[0].Note != note || found[0].InspectorID != f.inspector.ID {
		t.Errorf("hazards of the self-inspection: %+v; want one self-reported hazard of item %s with the note, for inspector %d", found, got.Code, f.inspector.ID)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
