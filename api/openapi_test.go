package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/api"
)

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
