package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// servedDocument returns the OpenAPI document a server without a store serves.
func servedDocument(t *testing.T) []byte {
	t.Helper()
	srv := api.New(api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20})
	srv.MountV1(api.V1Config{})
	res, err := srv.App().Test(httptest.NewRequest("GET", api.OpenAPIPath, nil), 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", api.OpenAPIPath, res.StatusCode, err)
	}
	return b
}

// TestOpenAPIDocumentIsValid loads the served document with kin-openapi, which
// validates it against the OpenAPI 3 rules, and checks that every $ref in it
// resolves to a schema the document defines.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	b := servedDocument(t)
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "$ref" {
					refs[s] = true
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(raw)
	for ref := range refs {
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok || doc.Components.Schemas[name] == nil {
			t.Errorf("$ref %s does not resolve", ref)
		}
	}
	// The names the web app and clients use, several of which were once
	// referenced and never defined.
	for _, name := range []string{"Flag", "FlagList", "FlagStatsList", "ManualFlag", "Review", "Error", "Site", "HazardDetail", "HazardList", "Vocabulary"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s is not defined", name)
		}
	}
	if len(refs) < 30 {
		t.Errorf("only %d distinct $refs: the walk is broken", len(refs))
	}
}

// TestOpenAPIKeepsEveryName checks that the document changes only additively:
// every schema name the hand-written document of the first releases served or
// referenced is still defined, and a renamed one (Note, now Review) is a
// reference to the schema that took its place.
func TestOpenAPIKeepsEveryName(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(servedDocument(t))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, name := range []string{
		"Answer", "Assignment", "Conclusion", "Determination", "DistrictPolicy", "Error", "Event", "Flag", "FlagList",
		"FlagStatsList", "Hazard", "HazardAction", "HazardDetail", "HazardList", "Inspection", "InspectionDetail",
		"InspectionList", "Item", "KPIReport", "Login", "LoginResult", "ManualFlag", "MerchantHazard", "MerchantHazardList",
		"NewUser", "Note", "Notification", "NotificationList", "OpenDetermination", "Photo", "PolicyOverride", "Rating",
		"Reason", "Reassign", "Site", "SiteList", "Supervision", "TimeLimitPolicy", "Unit", "UnitList", "User", "UserList", "Vote",
	} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s, which clients used, is no longer defined", name)
		}
	}
	note := doc.Components.Schemas["Note"]
	if note == nil || note.Ref != "#/components/schemas/Review" || note.Value != doc.Components.Schemas["Review"].Value {
		t.Errorf("schema Note = %+v, want a reference to Review", note)
	}
}

// TestRequestSchemasListRequiredFields checks that each request body's schema
// lists the fields the API refuses a request without (the required:"true" tags),
// as the hand-written document did, and that a schema with none lists none.
func TestRequestSchemasListRequiredFields(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(servedDocument(t))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for name, want := range map[string][]string{
		"Login":             {"login", "password"},
		"NewUnit":           {"level", "name"},
		"NewUser":           {"username", "phone", "display_name", "role", "password"},
		"SiteInput":         {"name", "type", "address", "lat", "lng", "grid_id", "profile"},
		"Assignment":        {"site_id", "inspector_id", "due"},
		"Answer":            {"answer"},
		"Reason":            {"reason"},
		"Reassign":          {"inspector_id"},
		"Rating":            {"rating"},
		"ManualFlag":        {"code"},
		"OpenDetermination": {"participants"},
		"Vote":              {"vote"},
		"Conclusion":        {"measures", "deadline"},
		"Acknowledgement":   {"document", "name", "signature"},
		"Review":            nil,
		"HazardAction":      nil,
	} {
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Errorf("schema %s is not defined", name)
			continue
		}
		if got := s.Value.Required; !slices.Equal(got, want) {
			t.Errorf("schema %s requires %q, want %q", name, got, want)
		}
		for _, f := range want {
			if s.Value.Properties[f] == nil {
				t.Errorf("schema %s requires %s, which it does not have", name, f)
			}
		}
	}
}

// TestAnswersMatchTheDocument sends requests of the main routes and validates
// each answer against the response schema the document gives for it: a field the
// Go types encode but the document lacks (or the other way round, for a wrong
// type) fails.
func TestAnswersMatchTheDocument(t *testing.T) {
	t.Parallel()
	w := setup(t)
	doc, err := openapi3.NewLoader().LoadFromData(w.do("", "GET", api.OpenAPIPath, nil).Body)
	if err != nil {
		t.Fatal(err)
	}
	h, photo := w.hazard(w.own, inspect.ActionNotify)
	insp := w.startedInspection(w.own)
	admin, merchant := w.login(w.admin), w.login(w.own.merchant)
	paths := []struct{ token, template, path string }{
		{admin, "/api/v1/me", "/api/v1/me"},
		{admin, "/api/v1/vocabulary", "/api/v1/vocabulary"},
		{admin, "/api/v1/units", "/api/v1/units"},
		{admin, "/api/v1/users", "/api/v1/users"},
		{admin, "/api/v1/sites", "/api/v1/sites"},
		{admin, "/api/v1/sites/{id}", "/api/v1/sites/" + itoa(w.own.site.ID)},
		{admin, "/api/v1/inspections", "/api/v1/inspections"},
		{admin, "/api/v1/inspections/{id}", "/api/v1/inspections/" + itoa(insp.ID)},
		{admin, "/api/v1/photos/{uuid}", "/api/v1/photos/" + photo},
		{admin, "/api/v1/hazards", "/api/v1/hazards"},
		{admin, "/api/v1/hazards/{id}", "/api/v1/hazards/" + itoa(h.ID)},
		{merchant, "/api/v1/merchant/hazards", "/api/v1/merchant/hazards"},
		{admin, "/api/v1/flags", "/api/v1/flags"},
		{admin, "/api/v1/flags/stats", "/api/v1/flags/stats"},
		{admin, "/api/v1/photos/{uuid}/flags", "/api/v1/photos/" + photo + "/flags"},
		{merchant, "/api/v1/notifications", "/api/v1/notifications"},
		{admin, "/api/v1/kpi", "/api/v1/kpi?from=2026-01-01&to=2026-12-31&unit=" + itoa(w.district.ID)},
		{admin, "/api/v1/policy", "/api/v1/policy?district_id=" + itoa(w.district.ID)},
	}
	for _, p := range paths {
		r := w.do(p.token, "GET", p.path, nil)
		if r.Status != 200 {
			t.Errorf("GET %s: %d %s", p.path, r.Status, r.Body)
			continue
		}
		item := doc.Paths.Find(p.template)
		if item == nil || item.Get == nil {
			t.Errorf("GET %s is not documented", p.template)
			continue
		}
		schema := item.Get.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(v); err != nil {
			t.Errorf("GET %s answers what its schema does not allow: %v\n%s", p.path, err, r.Body)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOpenAPIDocumentsEveryRoute checks the served document against the routes the
// app really has: every /api/v1 route is documented and every documented route
// exists, with its path parameters declared.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	w := setup(t)
	r := w.do("", "GET", api.OpenAPIPath, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s: status %d", api.OpenAPIPath, r.Status)
	}
	var doc api.OpenAPI
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
			if op.Summary == "" || len(op.Responses) == 0 {
				t.Errorf("%s %s lacks a summary or responses", method, path)
			}
			for _, seg := range strings.Split(path, "/") {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				found := false
				for _, p := range op.Parameters {
					found = found || (p["in"] == "path" && "{"+p["name"].(string)+"}" == seg)
				}
				if !found {
					t.Errorf("%s %s does not declare path parameter %s", method, path, seg)
				}
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range w.app().GetRoutes(true) {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Method == "HEAD" {
			continue
		}
		key := rt.Method + " " + api.OpenAPIPathOf(rt.Path)
		served[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in the OpenAPI document", key)
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("documented route %s does not exist", key)
		}
	}
	if len(served) < 20 {
		t.Errorf("only %d routes served; the route walk is broken", len(served))
	}
}
