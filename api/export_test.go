package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// fillHazards writes n hazards at site (of grid) straight into the table: a
// volume the services would take minutes to build. Every tenth is open
// (notified), with its own rule code.
func (w *world) fillHazards(n int, s *scope) {
	w.t.Helper()
	_, err := w.db.Pool.Exec(w.ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, rule, state, severity, level, unit_id, deadline, created_at, closed_at)
		SELECT $1, $2, 'LOAD-' || g, '{"title": {"zh": "电动自行车室内充电", "en": "e-bike charged indoors"}}',
			CASE WHEN g % 10 = 0 THEN 'notified' ELSE 'closed_fixed' END, 'general', 'grid', $2,
			now() + interval '7 days', now() - g * interval '1 minute',
			CASE WHEN g % 10 = 0 THEN NULL ELSE now() END
		FROM generate_series(1, $3) g`, s.site.ID, s.grid.ID, n)
	if err != nil {
		w.t.Fatalf("fill %d hazards: %v", n, err)
	}
	if _, err := w.db.Pool.Exec(w.ctx, `ANALYZE hazards`); err != nil { // as autovacuum would after such a load
		w.t.Fatal(err)
	}
}

// heapPeak samples the heap in use while f runs and returns the highest sample.
func heapPeak(f func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	runtime.GC()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

// exportIDs reads the ids (first column) of a CSV export, checking its BOM and
// header.
func exportIDs(t *testing.T, body []byte) []int64 {
	t.Helper()
	rest, ok := bytes.CutPrefix(body, []byte("\uFEFF"))
	if !ok {
		t.Fatalf("the CSV does not start with a UTF-8 byte order mark: %q", body[:min(len(body), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if len(recs) == 0 || recs[0][0] != "隐患编号 id" {
		t.Fatalf("the CSV has no header: %v", recs[:min(1, len(recs))])
	}
	return idsOf(t, recs[1:])
}

func idsOf(t *testing.T, rows [][]string) []int64 {
	t.Helper()
	ids := make([]int64, len(rows))
	for i, r := range rows {
		id, err := strconv.ParseInt(r[0], 10, 64)
		if err != nil {
			t.Fatalf("row %d: id %q", i+1, r[0])
		}
		ids[i] = id
	}
	return ids
}

func TestHazardExportsStreamEveryRow(t *testing.T) {
	w := setup(t)
	const n = 100_000
	start := time.Now()
	w.fillHazards(n, w.own)
	t.Logf("filled %d hazards in %s", n, time.Since(start))
	w.fillHazards(50, w.other)
	want := w.ids(`SELECT id FROM hazards WHERE grid_id = $1 ORDER BY id`, w.own.grid.ID)
	same := func(format string, got []int64, want []int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", format, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: row %d is hazard %d, want %d", format, i+1, got[i], want[i])
			}
		}
	}
	// The inspector of the own grid: every hazard of the grid, none of the other.
	tok := w.login(w.own.inspector)
	var res response
	start = time.Now()
	peak := heapPeak(func() { res = w.do(tok, "GET", "/api/v1/hazards/export.csv", nil) })
	t.Logf("exported the CSV in %s", time.Since(start))
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV export: %d %s %q", res.Status, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	same("csv", exportIDs(t, res.Body), want)
	t.Logf("CSV of %d hazards: %.1f MB, heap in use at most %.1f MB while the test process served and received it",
		n, float64(len(res.Body))/1e6, float64(peak)/1e6)

	peak = heapPeak(func() { res = w.do(tok, "GET", "/api/v1/hazards/export.xlsx", nil) })
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("XLSX export: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	start = time.Now()
	book, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	it, err := book.Rows("Sheet1") // streaming: GetRows would hold every cell at once
	if err != nil {
		t.Fatal(err)
	}
	var sheet [][]string
	for it.Next() {
		cols, err := it.Columns()
		if err != nil {
			t.Fatal(err)
		}
		if len(sheet) < 2 {
			sheet = append(sheet, cols)
		} else {
			sheet = append(sheet, cols[:1])
		}
	}
	if len(sheet) < 2 || sheet[0][0] != "隐患编号 id" || sheet[1][4] != "电动自行车室内充电" {
		t.Fatalf("the XLSX's first rows: %v", sheet[:min(2, len(sheet))])
	}
	same("xlsx", idsOf(t, sheet[1:]), want)
	t.Logf("read the XLSX back in %s", time.Since(start))
	t.Logf("XLSX of %d hazards: %.1f MB, heap in use at most %.1f MB", n, float64(len(res.Body))/1e6, float64(peak)/1e6)

	// The list's filters apply: the open ones only.
	res = w.do(tok, "GET", "/api/v1/hazards/export.csv?state=notified", nil)
	if got := exportIDs(t, res.Body); len(got) != n/10 {
		t.Errorf("state=notified: %d rows, want %d", len(got), n/10)
	}
	// A bad filter is an error status, not a file; merchants export nothing.
	if res := w.do(tok, "GET", "/api/v1/hazards/export.csv?state=all", nil); res.Status != 400 {
		t.Errorf("state=all: %d, want 400", res.Status)
	}
	if res := w.do(w.login(w.own.merchant), "GET", "/api/v1/hazards/export.xlsx", nil); res.Status != 403 {
		t.Errorf("a merchant's export: %d, want 403", res.Status)
	}
}

func TestKPIExportHasARowPerUnit(t *testing.T) {
	w := setup(t)
	w.fillHazards(30, w.own)
	w.fillHazards(20, w.other)
	tok := w.login(w.admin)
	from, to := time.Now().AddDate(0, 0, -2).Format(time.DateOnly), time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	res := w.do(tok, "GET", fmt.Sprintf("/api/v1/kpi/export.csv?unit=%d&from=%s&to=%s", w.sub.ID, from, to), nil)
	if res.Status != 200 {
		t.Fatalf("KPI export: %d %s", res.Status, res.Body)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The subdistrict, then its two communities; volume and completion by hand:
	// 30 + 20 hazards, nine in ten closed.
	want := [][]string{
		{fmt.Sprint(w.sub.ID), "50", "45", "0.9"},
		{fmt.Sprint(w.own.community.ID), "30", "27", "0.9"},
		{fmt.Sprint(w.other.community.ID), "20", "18", "0.9"},
	}
	if len(recs) != len(want)+1 {
		t.Fatalf("KPI export rows: %v", recs)
	}
	for i, wr := range want {
		r := recs[i+1]
		if got := []string{r[0], r[3], r[4], r[5]}; strings.Join(got, ",") != strings.Join(wr, ",") {
			t.Errorf("row %d: unit, volume, closed, completion = %v, want %v", i+1, got, wr)
		}
	}
	res = w.do(w.login(w.own.officer), "GET", fmt.Sprintf("/api/v1/kpi/export.xlsx?unit=%d&from=%s&to=%s", w.other.community.ID, from, to), nil)
	if res.Status != 404 {
		t.Errorf("an officer's export of a unit outside their area: %d, want 404", res.Status)
	}
}
