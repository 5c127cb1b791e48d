package webtest

import (
	"encoding/json"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/api"
)

// TestWebServing checks how the binary serves the app without a browser: files
// with their types and revalidation, index.html for app routes, and the API and
// probes never answered by the app.
func TestWebServing(t *testing.T) {
	srv := api.New(api.Config{BodyLimit: 1 << 20, MaxUploadBytes: 1 << 20})
	srv.MountV1(api.V1Config{}) // no store: only routes that fail before reaching it are called
	srv.MountWeb()
	app := srv.App()
	get := func(path string, header map[string]string) (int, map[string]string, string) {
		req := httptest.NewRequest("GET", path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := app.Test(req, 5000)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		h := map[string]string{}
		for k := range res.Header {
			h[k] = res.Header.Get(k)
		}
		return res.StatusCode, h, string(body)
	}
	tests := []struct {
		name, path  string
		status      int
		contentType string
		contains    string
	}{
		{"root is the app", "/", 200, "text/html", `<script type="module" src="/js/main.js">`},
		{"app route falls back to index.html", "/inspections/12", 200, "text/html", `id="view"`},
		{"app route with query", "/office/hazards?state=open", 200, "text/html", `id="view"`},
		{"module", "/js/main.js", 200, "text/javascript", "import"},
		{"stylesheet", "/app.css", 200, "text/css", ":root"},
		{"service worker", "/sw.js", 200, "text/javascript", `"/js/outbox.js"`},
		{"catalog", "/i18n/zh-CN.json", 200, "application/json", `"app.name"`},
		{"missing file is 404, not the app", "/js/nope.js", 404, "application/json", `"not_found"`},
		{"unknown API route stays a JSON 404", "/api/v1/nope", 404, "application/json", `"not_found"`},
		{"API prefix alone is not the app", "/api", 404, "application/json", `"not_found"`},
		{"API path under a file name stays a JSON 404", "/api/v1/sw.js", 404, "application/json", `"not_found"`},
		{"API route still answers", "/api/v1/me", 401, "application/json", `"unauthorized"`},
		{"OpenAPI document", "/api/v1/openapi.json", 200, "application/json", `"paths"`},
		{"liveness probe", "/healthz", 200, "", ""},
		{"readiness probe", "/readyz", 200, "application/json", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := get(tc.path, nil)
			if status != tc.status {
				t.Fatalf("GET %s: status %d, want %d: %.200s", tc.path, status, tc.status, body)
			}
			if !strings.HasPrefix(h["Content-Type"], tc.contentType) {
				t.Errorf("GET %s: Content-Type %q, want %s", tc.path, h["Content-Type"], tc.contentType)
			}
			if !strings.Contains(body, tc.contains) {
				t.Errorf("GET %s: body lacks %q: %.200s", tc.path, tc.contains, body)
			}
		})
	}

	_, h, _ := get("/", nil)
	if h["Cache-Control"] != "no-cache" || h["Etag"] == "" {
		t.Errorf("index.html: Cache-Control %q ETag %q, want no-cache with an ETag", h["Cache-Control"], h["Etag"])
	}
	if !strings.Contains(h["Content-Security-Policy"], "script-src 'self'") {
		t.Errorf("index.html: Content-Security-Policy %q, want scripts from the app's origin only", h["Content-Security-Policy"])
	}
	// The service worker script must never be served stale: an old copy would keep
	// the phone on the old shell. Its version and file list are filled in.
	_, sw, swBody := get("/sw.js", nil)
	if sw["Cache-Control"] != "no-cache" || sw["Etag"] == "" {
		t.Errorf("sw.js: Cache-Control %q ETag %q, want no-cache with an ETag", sw["Cache-Control"], sw["Etag"])
	}
	if strings.Contains(swBody, "__SHELL_") || !regexp.MustCompile(`const VERSION = '[0-9a-f]{16}';`).MatchString(swBody) {
		t.Errorf("sw.js: version or file list not filled in: %.400s", swBody)
	}
	shell := []string{"/index.html", "/app.css", "/icon.svg", "/i18n/en.json", "/i18n/zh-CN.json"}
	modules, _ := filepath.Glob(filepath.Join("..", "web", "js", "*.js"))
	for _, m := range modules {
		shell = append(shell, "/js/"+filepath.Base(m))
	}
	if len(modules) == 0 {
		t.Error("no modules found next to the test")
	}
	for _, f := range shell {
		if !strings.Contains(swBody, `"`+f+`"`) {
			t.Errorf("sw.js does not keep %s for offline use", f)
		}
	}
	if strings.Contains(swBody, `"/sw.js"`) {
		t.Error("sw.js keeps itself in the shell cache")
	}
	_, js, _ := get("/js/main.js", nil)
	if status, _, body := get("/js/main.js", map[string]string{"If-None-Match": js["Etag"]}); status != 304 || body != "" {
		t.Errorf("revalidating an unchanged module: %d with %d bytes, want 304 and no body", status, len(body))
	}
}

var (
	messageCall = regexp.MustCompile(`\bt\('([A-Za-z0-9_.]+)'`)
	familyCall  = regexp.MustCompile("\\bt\\(`([A-Za-z0-9_.]+)\\.\\$\\{")
	placeholder = regexp.MustCompile(`\{(\w+)\}`)
)

// TestCatalogs: both catalogs hold the same messages with the same placeholders,
// none empty, and every message the code asks for by name exists.
// countThenPlural is a placeholder followed by a plural noun, perhaps after one
// adjective ("{n} photos", "{n} new flags").
var countThenPlural = regexp.MustCompile(`\{\w+\} (?:[a-z-]+ )?[a-z]+s\b`)

func TestCatalogs(t *testing.T) {
	load := func(name string) map[string]string {
		b, err := os.ReadFile(filepath.Join("..", "web", "i18n", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	zh, en := load("zh-CN.json"), load("en.json")
	// The vocabulary's labels come from GET /api/v1/vocabulary (i18n.js adds them
	// to the catalogs); a catalog that copied them would be a second owner.
	vocabulary := []string{"location", "evidence", "flag.code"}
	for k := range zh {
		for _, family := range vocabulary {
			if strings.HasPrefix(k, family+".") {
				t.Errorf("the catalogs copy the vocabulary's label %q", k)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(zh)) {
		e, ok := en[k]
		if !ok {
			t.Errorf("en.json lacks %q", k)
			continue
		}
		if strings.TrimSpace(zh[k]) == "" || strings.TrimSpace(e) == "" {
			t.Errorf("%q is empty in a catalog", k)
		}
		pz, pe := placeholder.FindAllString(zh[k], -1), placeholder.FindAllString(e, -1)
		slices.Sort(pz)
		slices.Sort(pe)
		if !slices.Equal(pz, pe) {
			t.Errorf("%q: placeholders differ: zh %v, en %v", k, pz, pe)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("zh-CN.json lacks %q", k)
		}
	}
	// English counts agree with their noun ("1 photo", never "1 photos"): a count
	// followed by a plural needs the {n|one|other} form or a .one variant. The keys
	// listed count what is never one, or what is not a count.
	neverOne := []string{"flag.same_photo", "det.too_few", "plans.draw_line", "kpi.average", "photo.unsupported", "flag.meaning.flag", "because.cmp", "inspection.self_fail_help"}
	for k, v := range en {
		if strings.HasSuffix(k, ".one") || slices.Contains(neverOne, k) {
			continue
		}
		if _, ok := en[k+".one"]; !ok && countThenPlural.MatchString(v) {
			t.Errorf("en.json %q reads %q: a count of one would take the plural; use {n|one|other} or add %q", k, v, k+".one")
		}
	}
	files, err := filepath.Glob(filepath.Join("..", "web", "js", "*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no modules found: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range messageCall.FindAllStringSubmatch(string(src), -1) {
			if _, ok := zh[m[1]]; !ok {
				t.Errorf("%s asks for message %q, which the catalogs lack", filepath.Base(f), m[1])
			}
		}
		for _, m := range familyCall.FindAllStringSubmatch(string(src), -1) {
			if slices.Contains(vocabulary, m[1]) {
				continue
			}
			if !slices.ContainsFunc(slices.Collect(maps.Keys(zh)), func(k string) bool { return strings.HasPrefix(k, m[1]+".") }) {
				t.Errorf("%s asks for messages %s.*, which the catalogs lack", filepath.Base(f), m[1])
			}
		}
	}
}
