package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// A merchant's self-inspection (自查自纠), over HTTP as the phone runs it: begun on
// their own site, answered with photos, submitted. Its failed items become
// self-reported hazards with the rule's severity and deadline, the grid
// inspector's to take up; the KPIs count them apart.
func TestMerchantSelfInspection(t *testing.T) {
	w := setup(t)
	merchant := w.login(w.own.merchant)
	var d inspect.InspectionDetail
	if st := w.call(merchant, "POST", fmt.Sprintf("/api/v1/merchant/sites/%d/self-inspections", w.own.site.ID), nil, &d); st != 201 {
		t.Fatalf("begin a self-inspection: %d", st)
	}
	if !d.SelfCheck || d.Status != inspect.InspectionInProgress || d.InspectorID != w.own.merchant.ID || len(d.Items) < 3 {
		t.Fatalf("the self-inspection: self_check %v, status %s, inspector %d, %d items", d.SelfCheck, d.Status, d.InspectorID, len(d.Items))
	}
	item := func(code string) string { return fmt.Sprintf("/api/v1/inspections/%d/items/%s", d.ID, code) }

	// What a merchant may not do with their own findings.
	first := d.Items[0].Code
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"answer": "fail", "outcome": "fixed_on_spot"}, "outcome"},
		{map[string]any{"answer": "fail", "outcome": "hazard", "severity": "general"}, "severity"},
		{map[string]any{"answer": "fail", "deadline": time.Now().Add(90 * 24 * time.Hour)}, "severity"},
	} {
		res := w.do(merchant, "PUT", item(first), bad.body)
		if e := res.ErrorBody(t); res.Status != 400 || e.Field != bad.field {
			t.Errorf("answer %v: %d %+v, want 400 naming %s", bad.body, res.Status, e, bad.field)
		}
	}

	// Items 0 and 1 fail (no outcome, severity or deadline: the rule's), the rest
	// pass; photos where the checklist asks, one through the upload route.
	uploaded := false
	for i, it := range d.Items {
		if it.NeedsPhoto {
			if !uploaded {
				res := w.do(merchant, "PUT", fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", uuid.New(), d.ID, it.Code), jpegPhoto(t))
				if res.Status != 201 && res.Status != 200 {
					t.Fatalf("the merchant's photo upload: %d %s", res.Status, res.Body)
				}
				uploaded = true
			} else {
				w.photo(w.own.merchantP, inspect.PhotoTarget{InspectionID: d.ID, ItemCode: it.Code})
			}
		}
		body := map[string]any{"answer": "pass"}
		if i < 2 {
			body = map[string]any{"answer": "fail", "note": "自查发现"}
		}
		if st := w.call(merchant, "PUT", item(it.Code), body, nil); st != 200 {
			t.Fatalf("answer %s: %d", it.Code, st)
		}
	}
	if st := w.call(merchant, "POST", fmt.Sprintf("/api/v1/inspections/%d/submit", d.ID), nil, nil); st != 200 {
		t.Fatalf("submit: %d", st)
	}

	// The grid's inspector sees both hazards, marked, and is responsible for them.
	inspector := w.login(w.own.inspector)
	var hazards api.List[inspect.HazardDetail]
	if st := w.call(inspector, "GET", fmt.Sprintf("/api/v1/hazards?site_id=%d", w.own.site.ID), nil, &hazards); st != 200 {
		t.Fatalf("the inspector's hazards: %d", st)
	}
	var self []int64
	for _, h := range hazards.Items {
		if h.InspectionID == d.ID {
			if !h.SelfReported || h.InspectorID != w.own.inspector.ID || h.State != inspect.StateOpen {
				t.Errorf("hazard %d: self_reported %v, inspector %d (want %d), state %s", h.ID, h.SelfReported, h.InspectorID, w.own.inspector.ID, h.State)
			}
			self = append(self, h.ID)
		}
	}
	if len(self) != 2 {
		t.Fatalf("the inspector sees %d self-reported hazards of the self-inspection, want 2: %+v", len(self), hazards.Items)
	}
	full, err := w.svc.Hazards.Hazard(w.ctx, w.adminP, self[0])
	if err != nil {
		t.Fatal(err)
	}
	if rule := d.Items[0]; full.Severity != inspect.Severity(rule.RuleSeverity) && rule.RuleSeverity != "" {
		t.Errorf("severity %s, want the rule's %s", full.Severity, rule.RuleSeverity)
	}
	var payload struct {
		SelfReported bool  `json:"self_reported"`
		InspectorID  int64 `json:"inspector_id"`
	}
	if ev := full.Events[0]; ev.Kind != inspect.EventCreated || ev.Actor != w.own.merchant.ID || json.Unmarshal(ev.Payload, &payload) != nil ||
		!payload.SelfReported || payload.InspectorID != w.own.inspector.ID {
		t.Errorf("the created event: kind %s, actor %d, payload %s", ev.Kind, ev.Actor, ev.Payload)
	}
	if st := w.call(inspector, "GET", fmt.Sprintf("/api/v1/inspections/%d", d.ID), nil, nil); st != 200 {
		t.Errorf("the grid inspector reading the self-inspection: %d", st)
	}
	for name, tok := range map[string]string{"the other merchant": w.login(w.other.merchant), "the other grid's inspector": w.login(w.other.inspector)} {
		if res := w.do(tok, "GET", fmt.Sprintf("/api/v1/inspections/%d", d.ID), nil); res.Status != 404 {
			t.Errorf("%s reading the self-inspection: %d, want 404", name, res.Status)
		}
	}
	if res := w.do(merchant, "POST", fmt.Sprintf("/api/v1/merchant/sites/%d/self-inspections", w.other.site.ID), nil); res.Status != 404 {
		t.Errorf("a self-inspection of another merchant's site: %d, want 404", res.Status)
	}
	var mine api.List[inspect.Inspection]
	if w.call(merchant, "GET", "/api/v1/inspections", nil, &mine); len(mine.Items) != 1 || mine.Items[0].ID != d.ID {
		t.Errorf("the merchant's inspections: %+v, want only the self-inspection %d", mine.Items, d.ID)
	}

	// One hazard found by the inspector, and one self-reported hazard closed.
	w.hazard(w.own)
	for _, a := range []inspect.Action{inspect.ActionNotify, inspect.ActionSubmitProof, inspect.ActionReinspectFixed} {
		p, in := w.own.officerP, inspect.HazardActionInput{Note: string(a)}
		switch a {
		case inspect.ActionSubmitProof:
			p = w.own.merchantP
			in.PhotoIDs = []string{w.photo(p, inspect.PhotoTarget{HazardID: self[0]})}
		case inspect.ActionReinspectFixed:
			p = w.own.inspectorP
		}
		if _, err := w.svc.Hazards.HazardAction(w.ctx, p, self[0], a, in); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	// By hand: received 3 (2 self-reported + 1 found), closed 1 (self-reported);
	// self-reported: 2 received, 1 closed.
	day := func(d int) string { return time.Now().In(inspect.ReportZone).AddDate(0, 0, d).Format(time.DateOnly) }
	var k inspect.KPIReport
	if st := w.call(w.login(w.own.officer), "GET", fmt.Sprintf("/api/v1/kpi?unit=%d&from=%s&to=%s", w.own.community.ID, day(-1), day(1)), nil, &k); st != 200 {
		t.Fatalf("kpi: %d", st)
	}
	if k.Volume != 3 || k.Completion != (inspect.Rate{Num: 1, Den: 3}) || k.SelfReported.Volume != 2 || k.SelfReported.Completion != (inspect.Rate{Num: 1, Den: 2}) {
		t.Errorf("KPIs: volume %d, completion %+v, self-reported %+v; want 3, 1 of 3, 2 with 1 of 2 closed", k.Volume, k.Completion, k.SelfReported)
	}
	raw, err := w.svc.Policy.KPIReportRaw(w.ctx, w.adminP, w.own.community.ID, inspect.Period{From: time.Now().Add(-48 * time.Hour), To: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if raw.Counts != k.Counts {
		t.Errorf("the rollups %+v differ from the raw count %+v", k.Counts, raw.Counts)
	}
}
