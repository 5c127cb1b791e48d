package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// form posts an urlencoded form, as Open311 clients do.
func (w *world) form(path string, v url.Values) (int, []byte) {
	w.t.Helper()
	resp, err := http.Post(w.base+path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, "")
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, []byte(b.String())
}

type open311Err []struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// A hotline's whole flow: discovery, services, a report filed with a key, its
// status before and after the inspector acts; bad keys and codes answered in the
// Open311 error shape.
func TestOpen311HotlineFlow(t *testing.T) {
	w := setup(t)
	admin := w.login(w.admin)
	var key api.NewAPIKey
	if st := w.call(admin, "POST", "/api/v1/integrations/keys", map[string]string{"name": "12345 hotline"}, &key); st != 201 || !strings.HasPrefix(key.Key, "sg311_") {
		t.Fatalf("create key: %d %+v", st, key)
	}
	if st := w.call(w.login(w.own.officer), "POST", "/api/v1/integrations/keys", map[string]string{"name": "x"}, nil); st != 403 {
		t.Errorf("an officer creating a key: %d, want 403", st)
	}

	var disc struct {
		Endpoints []struct {
			Specification string `json:"specification"`
			URL           string `json:"url"`
		} `json:"endpoints"`
	}
	if st := w.call("", "GET", "/open311/v2/discovery.json", nil, &disc); st != 200 || len(disc.Endpoints) != 1 || !strings.HasSuffix(disc.Endpoints[0].URL, "/open311/v2") {
		t.Fatalf("discovery: %d %+v", st, disc)
	}
	var services []struct {
		Code string `json:"service_code"`
	}
	if st := w.call("", "GET", "/open311/v2/services.json", nil, &services); st != 200 || len(services) == 0 {
		t.Fatalf("services: %d %v", st, services)
	}

	// Filed by the site's coordinates: the nearest registered premises, its grid's
	// inspector.
	site := w.own.site
	post := url.Values{"api_key": {key.Key}, "service_code": {"ebike_indoor"}, "description": {"楼道里有电动车在充电"},
		"lat": {fmt.Sprint(site.Lat + 0.0005)}, "long": {fmt.Sprint(site.Lng)}}
	st, body := w.form("/open311/v2/requests.json", post)
	var filed []struct {
		ID string `json:"service_request_id"`
	}
	if st != 200 || json.Unmarshal(body, &filed) != nil || len(filed) != 1 {
		t.Fatalf("POST requests.json: %d %s", st, body)
	}
	status := func() (string, string) {
		t.Helper()
		var got []struct {
			Status string `json:"status"`
			Notes  string `json:"status_notes"`
			Code   string `json:"service_code"`
		}
		if st := w.call("", "GET", "/open311/v2/requests/"+filed[0].ID+".json?api_key="+url.QueryEscape(key.Key), nil, &got); st != 200 || len(got) != 1 {
			t.Fatalf("GET request %s: %d", filed[0].ID, st)
		}
		return got[0].Status, got[0].Notes
	}
	if s, _ := status(); s != "open" {
		t.Errorf("status after filing: %s, want open", s)
	}
	// The inspector sees it in their list, and inspects: a hazard found.
	var list api.List[inspect.Inspection]
	w.call(w.login(w.own.inspector), "GET", "/api/v1/inspections?status=assigned", nil, &list)
	var insp inspect.Inspection
	for _, in := range list.Items {
		if in.SiteID == site.ID {
			insp = in
		}
	}
	if insp.ID == 0 {
		t.Fatalf("the grid's inspector has no inspection of site %d: %+v", site.ID, list.Items)
	}
	// The inspector inspects the premises: the first item fails (a hazard), the rest
	// pass, and submits.
	s := w.own
	d, err := w.svc.Inspections.StartInspection(w.ctx, s.inspectorP, insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := status(); st != "open" {
		t.Errorf("status while the inspector is there: %s, want open", st)
	}
	for i, it := range d.Items {
		answer := inspect.Item{Code: it.Code, Answer: inspect.AnswerPass}
		if i == 0 {
			answer = inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "楼道内电动车充电"}
		}
		if it.NeedsPhoto || i == 0 {
			w.photo(s.inspectorP, inspect.PhotoTarget{InspectionID: d.ID, ItemCode: it.Code})
		}
		if _, err := w.svc.Inspections.AnswerItem(w.ctx, s.inspectorP, d.ID, answer); err != nil {
			t.Fatal(err)
		}
	}
	if st := w.call(w.login(s.inspector), "POST", fmt.Sprintf("/api/v1/inspections/%d/submit", d.ID), nil, nil); st != 200 {
		t.Fatalf("submit the hotline's inspection: %d", st)
	}
	if st, notes := status(); st != "closed" || !strings.Contains(notes, "发现隐患 1 项") {
		t.Errorf("status after the inspection: %s %q, want closed with 1 hazard found", st, notes)
	}

	// Errors in the Open311 shape.
	bad := func(v url.Values, want int, about string) {
		t.Helper()
		st, body := w.form("/open311/v2/requests.json", v)
		var e open311Err
		if st != want || json.Unmarshal(body, &e) != nil || len(e) != 1 || e[0].Code != want || !strings.Contains(e[0].Description, about) {
			t.Errorf("%v: %d %s, want %d naming %q", v, st, body, want, about)
		}
	}
	bad(url.Values{"api_key": {"sg311_wrong"}, "service_code": {"ebike_indoor"}}, 401, "api_key")
	bad(url.Values{"service_code": {"ebike_indoor"}}, 401, "api_key")
	bad(url.Values{"api_key": {key.Key}, "service_code": {"graffiti"}, "attribute[site_id]": {fmt.Sprint(site.ID)}}, 400, "service_code")
	bad(url.Values{"api_key": {key.Key}, "service_code": {"blocked_exit"}, "lat": {"10"}, "long": {"10"}}, 400, "no registered premises")
	bad(url.Values{"api_key": {key.Key}, "service_code": {"blocked_exit"}}, 400, "location")
	bad(url.Values{"api_key": {key.Key}, "service_code": {"blocked_exit"}, "lat": {"NaN"}, "long": {"104"}}, 400, "lat")
	bad(url.Values{"api_key": {key.Key}, "service_code": {"blocked_exit"}, "lat": {"30.6"}, "long": {"+Inf"}}, 400, "long")
	bad(url.Values{"api_key": {key.Key}, "service_code": {"blocked_exit"}, "attribute[site_id]": {fmt.Sprint(site.ID)},
		"description": {strings.Repeat("很", 2001)}}, 400, "description")
	// A revoked key stops at once; another key does not see this key's requests.
	if st := w.call(admin, "DELETE", fmt.Sprintf("/api/v1/integrations/keys/%d", key.ID), nil, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	bad(url.Values{"api_key": {key.Key}, "service_code": {"blocked_exit"}, "attribute[site_id]": {fmt.Sprint(site.ID)}}, 401, "revoked")
	var other api.NewAPIKey
	w.call(admin, "POST", "/api/v1/integrations/keys", map[string]string{"name": "grid platform"}, &other)
	if st := w.call("", "GET", "/open311/v2/requests/"+filed[0].ID+".json?api_key="+url.QueryEscape(other.Key), nil, nil); st != 404 {
		t.Errorf("another key reading the request: %d, want 404", st)
	}
}
