package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// agencyUser makes an agency of field over unit, and one staff member of it.
func (w *world) agencyUser(name, field string, unit inspect.Unit) (inspect.Agency, inspect.User) {
	w.t.Helper()
	a, err := w.svc.Agencies.CreateAgency(w.ctx, w.adminP, inspect.Agency{Name: name, Field: field, UnitID: unit.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	u := w.user(inspect.User{Username: fmt.Sprintf("%s.staff%d", field, a.ID), Role: inspect.RoleAgency, AgencyID: a.ID})
	return a, u
}

// hazardOfField makes a fresh open hazard at a new site of s under the first
// checklist item whose rule is of field (fields.yaml).
func (w *world) hazardOfField(s *scope, field string) inspect.HazardDetail {
	w.t.Helper()
	f, ok := w.rules.Field(field)
	if !ok {
		w.t.Fatalf("no field %s", field)
	}
	site := w.factory.Site(inspect.Site{Name: "Field shop", Address: "3 Field Road", GridID: s.grid.ID, MerchantIDs: []int64{s.merchant.ID}})
	insp, err := w.svc.Inspections.AssignInspection(w.ctx, s.officerP, site.ID, s.inspector.ID, time.Now().Add(48*time.Hour))
	if err != nil {
		w.t.Fatal(err)
	}
	d, err := w.svc.Inspections.StartInspection(w.ctx, s.inspectorP, insp.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, it := range d.Items {
		if !slices.Contains(f.Rules, it.Code) {
			continue
		}
		w.photo(s.inspectorP, inspect.PhotoTarget{InspectionID: d.ID, ItemCode: it.Code})
		got, err := w.svc.Inspections.AnswerItem(w.ctx, s.inspectorP, d.ID, inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "found"})
		if err != nil {
			w.t.Fatal(err)
		}
		h, err := w.svc.Hazards.Hazard(w.ctx, w.adminP, got.HazardID)
		if err != nil {
			w.t.Fatal(err)
		}
		return h
	}
	w.t.Fatalf("the checklist of site %d has no rule of field %s", site.ID, field)
	return inspect.HazardDetail{}
}

func listedIDs(l api.List[inspect.HazardDetail]) []int64 {
	var ids []int64
	for _, h := range l.Items {
		ids = append(ids, h.ID)
	}
	return ids
}

// TestGasHazardSharedWithTheGasCompanyOnly is acceptance 8 of issue 14: a gas
// hazard is visible to the gas company's user and not to the power company's;
// the gas company's action is recorded in the hazard's chain.
func TestGasHazardSharedWithTheGasCompanyOnly(t *testing.T) {
	t.Parallel()
	w := setup(t)
	// The hazards are recorded before the agencies exist: sharing still holds.
	gasHazard := w.hazardOfField(w.own, "gas")
	elecHazard := w.hazardOfField(w.own, "electrical")
	gasCo, gasUser := w.agencyUser("武侯燃气", "gas", w.district)
	_, powerUser := w.agencyUser("武侯供电", "electrical", w.district)
	gas, power := w.login(gasUser), w.login(powerUser)
	hazardPath := fmt.Sprintf("/api/v1/hazards/%d", gasHazard.ID)

	// The gas company sees the gas hazard and only hazards of its field.
	var seen inspect.HazardDetail
	if st := w.call(gas, "GET", hazardPath, nil, &seen); st != 200 || seen.RuleCode != gasHazard.RuleCode {
		t.Fatalf("gas company GET %s: %d %s, want 200", hazardPath, st, seen.RuleCode)
	}
	var list api.List[inspect.HazardDetail]
	w.call(gas, "GET", "/api/v1/hazards", nil, &list)
	if ids := listedIDs(list); !slices.Contains(ids, gasHazard.ID) || slices.Contains(ids, elecHazard.ID) {
		t.Errorf("gas company lists %v, want %d and not %d", ids, gasHazard.ID, elecHazard.ID)
	}
	for _, h := range list.Items {
		if f, _ := w.rules.Field("gas"); !slices.Contains(f.Rules, h.RuleCode) {
			t.Errorf("gas company lists hazard %d of rule %s", h.ID, h.RuleCode)
		}
	}

	// The power company: 404 on the gas hazard, exactly like a missing id, and
	// not in its list; its own electrical hazard is.
	r, missing := w.do(power, "GET", hazardPath, nil), w.do(power, "GET", "/api/v1/hazards/999999", nil)
	if r.Status != 404 || missing.Status != 404 || r.ErrorBody(t).Error != missing.ErrorBody(t).Error {
		t.Errorf("power company GET gas hazard: %d %s; a missing id: %d", r.Status, r.Body, missing.Status)
	}
	w.call(power, "GET", "/api/v1/hazards", nil, &list)
	if ids := listedIDs(list); slices.Contains(ids, gasHazard.ID) || !slices.Contains(ids, elecHazard.ID) {
		t.Errorf("power company lists %v, want %d and not %d", ids, elecHazard.ID, gasHazard.ID)
	}
	w.call(power, "GET", fmt.Sprintf("/api/v1/hazards?rule_code=%s&site_id=%d", gasHazard.RuleCode, gasHazard.SiteID), nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("filters widened the power company's list: %v", listedIDs(list))
	}
	// The hazard's photos: the gas company's to see, not the power company's.
	if len(seen.PhotoIDs) == 0 {
		t.Fatal("the gas hazard has no photo")
	}
	photoPath := "/api/v1/photos/" + seen.PhotoIDs[0] + "/content"
	if g, p := w.do(gas, "GET", photoPath, nil), w.do(power, "GET", photoPath, nil); g.Status != 200 || p.Status != 404 {
		t.Errorf("GET %s: gas company %d, power company %d; want 200 and 404", photoPath, g.Status, p.Status)
	}
	// Whom to call about it: the gas company reads the hazard's people (the
	// responsible inspector with a phone); the power company gets 404.
	var people api.List[api.Person]
	if st := w.call(gas, "GET", hazardPath+"/people", nil, &people); st != 200 {
		t.Errorf("gas company GET %s/people: %d, want 200", hazardPath, st)
	}
	responsible := 0
	for _, p := range people.Items {
		if p.Responsible && p.ID == gasHazard.InspectorID && p.Phone != "" && p.DisplayName != "" {
			responsible++
		}
	}
	if responsible != 1 {
		t.Errorf("the gas company sees the hazard's people %+v; want its inspector %d, named, with a phone", people.Items, gasHazard.InspectorID)
	}
	if r := w.do(power, "GET", hazardPath+"/people", nil); r.Status != 404 {
		t.Errorf("power company GET %s/people: %d, want 404", hazardPath, r.Status)
	}
	if r := w.do(power, "POST", hazardPath+"/agency-actions", map[string]string{"action": "supply_cut_off"}); r.Status != 404 {
		t.Errorf("power company acting on the gas hazard: %d %s, want 404", r.Status, r.Body)
	}

	// The gas company's action goes into the hazard's chain, under its user.
	if r := w.do(gas, "POST", hazardPath+"/agency-actions", map[string]string{"action": "case_opened"}); r.Status != 400 {
		t.Errorf("gas company recording a police action: %d %s, want 400", r.Status, r.Body)
	}
	var after inspect.HazardDetail
	if st := w.call(gas, "POST", hazardPath+"/agency-actions", map[string]string{"action": "supply_cut_off", "note": "已关闭表前阀"}, &after); st != 200 {
		t.Fatalf("gas company action: %d", st)
	}
	w.call(gas, "POST", hazardPath+"/comments", map[string]string{"note": "明天加装切断阀"}, &after)
	events := after.Events
	if err := inspect.VerifyChain(events); err != nil {
		t.Fatalf("chain after the agency's action: %v", err)
	}
	n := len(events)
	if n < 3 || events[n-2].Kind != inspect.EventAgencyAction || events[n-2].Actor != gasUser.ID ||
		events[n-1].Kind != inspect.EventComment || events[n-1].Actor != gasUser.ID {
		t.Fatalf("last events = %+v, want the gas company's agency_action then its comment", events[max(0, n-2):])
	}
	var payload inspect.AgencyActionPayload
	json.Unmarshal(events[n-2].Payload, &payload)
	if want := (inspect.AgencyActionPayload{Agency: gasCo.ID, AgencyName: "武侯燃气", Action: "supply_cut_off", Note: "已关闭表前阀"}); payload != want {
		t.Errorf("agency_action payload = %+v, want %+v", payload, want)
	}
	// The office sees the agency's part in the same chain.
	officerView, err := w.svc.Hazards.Hazard(w.ctx, w.own.officerP, gasHazard.ID)
	if err != nil || len(officerView.Events) != n || officerView.Events[n-2].Hash != events[n-2].Hash {
		t.Errorf("the officer's view of the chain: %d events, %v; want the same %d", len(officerView.Events), err, n)
	}
	// The state did not move: the agency takes no workflow action.
	if after.State != gasHazard.State {
		t.Errorf("state after the agency's action = %s, want %s", after.State, gasHazard.State)
	}

	// Its agency, with the actions it may record, is the only one it sees.
	var agencies api.List[api.AgencyView]
	w.call(gas, "GET", "/api/v1/agencies", nil, &agencies)
	if len(agencies.Items) != 1 || agencies.Items[0].ID != gasCo.ID || !slices.ContainsFunc(agencies.Items[0].Actions,
		func(a checklists.FieldAction) bool { return a.Name == "valve_fitted" && a.Title.ZH != "" }) {
		t.Errorf("gas company's agencies = %+v, want its own with valve_fitted", agencies.Items)
	}

	// Its KPIs: shared, acted on, closed.
	period := "from=" + time.Now().AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	kpiPath := fmt.Sprintf("/api/v1/agencies/%d/kpi?%s", gasCo.ID, period)
	var kpi inspect.AgencyKPI
	if st := w.call(gas, "GET", kpiPath, nil, &kpi); st != 200 || kpi.Shared != 1 || kpi.ActedOn != 1 || kpi.Closed != 0 {
		t.Errorf("gas company KPI: %d %+v, want shared 1, acted on 1, closed 0", st, kpi)
	}
	if st := w.call(w.login(w.admin), "GET", kpiPath, nil, &kpi); st != 200 || kpi.Shared != 1 {
		t.Errorf("admin reading the gas company's KPI: %d %+v", st, kpi)
	}
	if r := w.do(power, "GET", kpiPath, nil); r.Status != 404 {
		t.Errorf("power company reading the gas company's KPI: %d, want 404", r.Status)
	}
}

// TestAgencyUserTakesNoStaffAction: an agency's user is refused every route that
// does not name the agency role (403 whatever the id), and the workflow actions
// on a hazard shared with it.
func TestAgencyUserTakesNoStaffAction(t *testing.T) {
	t.Parallel()
	w := setup(t)
	gasHazard := w.hazardOfField(w.own, "gas")
	_, gasUser := w.agencyUser("武侯燃气", "gas", w.district)
	gas := w.login(gasUser)
	open := map[string]bool{}
	for _, r := range w.routes {
		if r.Roles == nil || slices.Contains(r.Roles, inspect.RoleAgency) {
			open[r.Method+" "+r.Path] = true
		}
	}
	refused := 0
	for n, row := range matrix() {
		route := strings.TrimSuffix(row.route, " (item)")
		if open[route] {
			continue
		}
		req := row.build(w, w.own, 100000+n)
		if r := w.do(gas, req.method, req.path, req.body); r.Status != 403 {
			t.Errorf("%s as the gas company (%s %s): %d, want 403: %s", row.route, req.method, req.path, r.Status, r.Body)
		}
		refused++
	}
	// On the hazard shared with it, every workflow action is refused too.
	for _, a := range []inspect.Action{inspect.ActionNotify, inspect.ActionReinspectFixed, inspect.ActionReinspectPresent,
		inspect.ActionEscalate, inspect.ActionFixOnSpot, inspect.ActionReturnForCorrection, inspect.ActionWithdraw} {
		r := w.do(gas, "POST", fmt.Sprintf("/api/v1/hazards/%d/actions/%s", gasHazard.ID, a), map[string]string{"note": "x"})
		if r.Status != 403 {
			t.Errorf("gas company %s on its shared hazard: %d, want 403: %s", a, r.Status, r.Body)
		}
	}
	// It sees no site, even the one of the hazard shared with it.
	for _, path := range []string{"/api/v1/sites", fmt.Sprintf("/api/v1/sites/%d", gasHazard.SiteID), "/api/v1/units", "/api/v1/inspections"} {
		if r := w.do(gas, "GET", path, nil); r.Status != 403 {
			t.Errorf("gas company GET %s: %d, want 403", path, r.Status)
		}
	}
	if refused < 50 {
		t.Errorf("only %d routes refused; the matrix should have most of the table", refused)
	}
}

// agencyMatrix is the authorization of the agencies' routes (issue 14) for the
// matrix's actors; TestAgencyUserTakesNoStaffAction and
// TestGasHazardSharedWithTheGasCompanyOnly cover the agencies' own users.
func agencyMatrix() []matrixRoute {
	const p = "/api/v1"
	agency := func(w *world, s *scope, n int) inspect.Agency {
		a, err := w.svc.Agencies.CreateAgency(w.ctx, w.adminP, inspect.Agency{Name: fmt.Sprintf("燃气公司 %d", n), Field: "gas", UnitID: s.community.ID})
		if err != nil {
			w.t.Fatal(err)
		}
		return a
	}
	period := "from=" + time.Now().AddDate(0, 0, -30).Format(time.DateOnly) + "&to=" + time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	return []matrixRoute{
		{"GET /api/v1/agencies", func(w *world, s *scope, n int) request { return request{"GET", p + "/agencies", nil} },
			[actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"POST /api/v1/agencies", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/agencies", api.AgencyInput{Name: fmt.Sprintf("供电公司 %d", n), Field: "electrical", UnitID: s.community.ID}}
		}, [actors][2]int{same(201), same(403), same(403), same(403), same(401)}},
		{"GET /api/v1/agencies/:id/kpi", func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/agencies/%d/kpi?%s", p, agency(w, s, n).ID, period), nil}
		}, [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}},
		{"POST /api/v1/hazards/:id/comments", onHazard("POST", "/comments", api.CommentInput{Note: "请燃气公司配合"}),
			[actors][2]int{same(200), ownOnly(200), ownOnly(200), same(403), same(401)}},
		{"POST /api/v1/hazards/:id/agency-actions", onHazard("POST", "/agency-actions", api.AgencyActionInput{Action: "site_visited"}),
			[actors][2]int{same(403), same(403), same(403), same(403), same(401)}},
	}
}
