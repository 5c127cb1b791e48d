package api_test

import (
	"testing"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// A merchant's request for a visit lands on the grid inspector's list with the
// note; another merchant's site is not theirs to ask about.
func TestMerchantVisitRequestReachesTheInspector(t *testing.T) {
	w := setup(t)
	merchant := w.login(w.own.merchant)
	const note = "已经把电动车搬到室外充电棚，请提前复查"
	var v inspect.VisitRequest
	if st := w.call(merchant, "POST", "/api/v1/merchant/visit-requests", map[string]any{"site_id": w.own.site.ID, "kind": "early_reinspection", "note": note}, &v); st != 201 || v.InspectionID == 0 {
		t.Fatalf("request a visit: %d %+v", st, v)
	}
	var list api.List[inspect.Inspection]
	if st := w.call(w.login(w.own.inspector), "GET", "/api/v1/inspections?status=assigned", nil, &list); st != 200 {
		t.Fatalf("inspector's list: %d", st)
	}
	found := false
	for _, in := range list.Items {
		if in.ID == v.InspectionID {
			found = in.RequestNote == note && in.SiteID == w.own.site.ID
		}
	}
	if !found {
		t.Errorf("inspection %d with the merchant's note is not on the inspector's list: %+v", v.InspectionID, list.Items)
	}
	var mine api.List[inspect.VisitRequest]
	if w.call(merchant, "GET", "/api/v1/merchant/visit-requests", nil, &mine); len(mine.Items) != 1 || mine.Items[0].Note != note {
		t.Errorf("the merchant's requests: %+v", mine)
	}
	if res := w.do(merchant, "POST", "/api/v1/merchant/visit-requests", map[string]any{"site_id": w.other.site.ID, "kind": "advice", "note": "x"}); res.Status != 404 {
		t.Errorf("asking about another merchant's site: %d, want 404", res.Status)
	}
	if res := w.do(merchant, "POST", "/api/v1/merchant/visit-requests", map[string]any{"site_id": w.own.site.ID, "kind": "party", "note": "x"}); res.Status != 400 {
		t.Errorf("an unknown kind: %d, want 400", res.Status)
	}
}
