package api_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// pdfText extracts a PDF's text and page count with poppler's pdftotext and
// pdfinfo (devstack installs poppler-utils).
func pdfText(t *testing.T, pdf []byte) (string, int) {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: `make devstack` (or apt-get install poppler-utils) installs it", tool)
		}
	}
	file := filepath.Join(t.TempDir(), "dossier.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v (the file starts %q)", err, pdf[:min(len(pdf), 16)])
	}
	info, err := exec.Command("pdfinfo", file).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gives no page count: %s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	return string(text), pages
}

func TestSiteDossierPDFHasTheSiteAndEveryHazard(t *testing.T) {
	w := setup(t)
	var hazards []inspect.HazardDetail
	for _, actions := range [][]inspect.Action{{inspect.ActionNotify}, {inspect.ActionNotify, inspect.ActionSubmitProof}, nil} {
		h, _ := w.hazard(w.own, actions...)
		hazards = append(hazards, h)
	}
	site := hazards[0].SiteID
	const name = "锦里串串香小吃店（武侯祠店）"
	if _, err := w.db.Pool.Exec(w.ctx, `UPDATE sites SET name = $2 WHERE id = $1`, site, name); err != nil {
		t.Fatal(err)
	}
	officer := w.login(w.own.officer)

	var d api.SiteDossier
	if st := w.call(officer, "GET", fmt.Sprintf("/api/v1/sites/%d/dossier", site), nil, &d); st != 200 {
		t.Fatalf("GET dossier: %d", st)
	}
	if d.Site.Name != name || len(d.Hazards) != len(hazards) || len(d.Inspections) != 1 || len(d.Checklist.Items) == 0 {
		t.Fatalf("dossier: site %q, %d hazards, %d inspections, %d checklist items", d.Site.Name, len(d.Hazards), len(d.Inspections), len(d.Checklist.Items))
	}
	for _, h := range d.Hazards {
		if len(h.Events) == 0 || len(h.PhotoIDs) == 0 {
			t.Errorf("hazard %d in the dossier without its events or photos: %d events, %d photos", h.ID, len(h.Events), len(h.PhotoIDs))
		}
	}

	res := w.do(officer, "GET", fmt.Sprintf("/api/v1/sites/%d/dossier.pdf", site), nil)
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("GET dossier.pdf: %d %s %s", res.Status, res.Header.Get("Content-Type"), res.Body[:min(len(res.Body), 200)])
	}
	text, pages := pdfText(t, res.Body)
	flat := strings.Join(strings.Fields(text), "")
	if !strings.Contains(flat, strings.Join(strings.Fields(name), "")) {
		t.Errorf("the PDF's text lacks the site's name %q:\n%s", name, text)
	}
	for _, h := range hazards {
		if !strings.Contains(text, h.RuleCode) || !strings.Contains(text, fmt.Sprintf("#%d", h.ID)) {
			t.Errorf("the PDF's text lacks hazard %d (%s)", h.ID, h.RuleCode)
		}
	}
	// Every event of every hazard has a line (its kind), and the checklist is there.
	if n := strings.Count(text, "submit_proof"); n != 1 {
		t.Errorf("the PDF shows %d submit_proof events, want 1", n)
	}
	if !strings.Contains(text, d.Checklist.Items[0].Code) {
		t.Errorf("the PDF lacks the current checklist (item %s)", d.Checklist.Items[0].Code)
	}
	if pages < 1 || !strings.Contains(text, fmt.Sprintf("共 %d 页", pages)) {
		t.Errorf("%d pages; the footer should say so: %q", pages, text[max(0, len(text)-200):])
	}
	t.Logf("dossier PDF: %d bytes, %d pages", len(res.Body), pages)

	// Another area's officer does not see the site; a merchant has no dossiers.
	if res := w.do(w.login(w.other.officer), "GET", fmt.Sprintf("/api/v1/sites/%d/dossier.pdf", site), nil); res.Status != 404 {
		t.Errorf("the other area's officer: %d, want 404", res.Status)
	}
	if res := w.do(w.login(w.own.merchant), "GET", fmt.Sprintf("/api/v1/sites/%d/dossier", site), nil); res.Status != 403 {
		t.Errorf("a merchant: %d, want 403", res.Status)
	}
}
