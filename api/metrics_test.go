package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/storage"
)

// scrape reads the metrics as Prometheus does.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Serve())
	defer srv.Close()
	res, err := http.Get(srv.URL + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s = %d %v", metrics.Path, res.StatusCode, err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	return string(b)
}

// After requests, /metrics has their latency histograms under the route's
// pattern (never the raw path with its id), the bytes of the photo uploaded and
// the pool's connections.
func TestMetricsScrapedAfterRequest(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	w := setupMetered(t, m)
	// serve's three pools; reports has one connection, held by a report while a
	// second one waits for it.
	m.RegisterPool("api", w.db.Pool)
	m.RegisterPool("jobs", w.openPool(storage.PoolSize{Name: "test-jobs", Conns: 2}).Pool)
	reports := w.openPool(storage.PoolSize{Name: "test-reports", Conns: 1}).Pool
	m.RegisterPool("reports", reports)
	held, err := reports.Acquire(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error)
	go func() {
		c, err := reports.Acquire(w.ctx)
		if err == nil {
			c.Release()
		}
		waited <- err
	}()
	for reports.Stat().EmptyAcquireCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	during := scrape(t, m)
	held.Release()
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`safegrid_db_pool_max_connections{pool="reports"} 1`,
		`safegrid_db_pool_acquired_connections{pool="reports"} 1`,
		`safegrid_db_pool_max_connections{pool="jobs"} 2`,
		`safegrid_db_pool_empty_acquires_total{pool="reports"} 1`,
	} {
		if !strings.Contains(during, want) {
			t.Errorf("metrics while a report waits lack %s", want)
		}
	}
	d := w.startedInspection(w.own)
	token := w.login(w.own.inspector)

	if r := w.do("", "GET", "/api/v1/sites/12345", nil); r.Status != 401 {
		t.Fatalf("GET /api/v1/sites/12345 without a login = %d, want 401", r.Status)
	}
	if r := w.do("", "GET", "/api/v1/vocabulary", nil); r.Status != 200 {
		t.Fatalf("GET /api/v1/vocabulary = %d", r.Status)
	}
	photo := jpegPhoto(t)
	path := fmt.Sprintf("/api/v1/photos/%s?inspection_id=%d&item_code=%s", uuid.New(), d.ID, d.Items[0].Code)
	if r := w.do(token, "PUT", path, photo); r.Status != 201 {
		t.Fatalf("upload = %d %s", r.Status, r.Body)
	}
	text := scrape(t, m)
	for _, want := range []string{
		`safegrid_http_request_duration_seconds_count{method="GET",route="/api/v1/sites/:id",status="4xx"} 1`,
		`safegrid_http_request_duration_seconds_bucket{method="GET",route="/api/v1/vocabulary",status="2xx",le="10"} 1`,
		`safegrid_http_request_duration_seconds_count{method="PUT",route="/api/v1/photos/:uuid",status="2xx"} 1`,
		fmt.Sprintf(`safegrid_upload_bytes_total{kind="photo"} %d`, len(photo)),
		`safegrid_db_pool_max_connections{pool="api"}`,
		`safegrid_db_pool_acquires_total{pool="api"}`,
		`safegrid_db_pool_idle_connections{pool="reports"} 1`,
		`safegrid_db_pool_total_connections{pool="reports"} 1`,
		`safegrid_db_pool_acquire_wait_seconds_total{pool="reports"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s in\n%s", want, text)
		}
	}
	if strings.Contains(text, "12345") {
		t.Error("a raw path with its id became a label")
	}
}
