package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api/metrics"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestJobsQueueAndUploads(t *testing.T) {
	m := metrics.New()
	m.ObserveJob("analyse_photo", 300*time.Millisecond, nil)
	m.ObserveJob("analyse_photo", 2*time.Second, errors.New("model failed"))
	m.AddUpload("photo", 2048)
	m.ObserveRequest("GET", "/api/v1/hazards", 503, 20*time.Millisecond)
	depth := map[string]int64{"available": 7, "scheduled": 100000}
	m.RegisterQueue(func(context.Context) (map[string]int64, error) { return depth, nil })

	status, text := get(t, m.Serve(), metrics.Path)
	if status != 200 {
		t.Fatalf("GET %s = %d", metrics.Path, status)
	}
	for _, want := range []string{
		`safegrid_job_duration_seconds_bucket{kind="analyse_photo",outcome="ok",le="0.5"} 1`,
		`safegrid_job_duration_seconds_count{kind="analyse_photo",outcome="error"} 1`,
		`safegrid_upload_bytes_total{kind="photo"} 2048`,
		`safegrid_http_request_duration_seconds_count{method="GET",route="/api/v1/hazards",status="5xx"} 1`,
		`safegrid_jobs_waiting{state="available"} 7`,
		`safegrid_jobs_waiting{state="scheduled"} 100000`,
		`safegrid_jobs_waiting{state="retryable"} 0`,
		`safegrid_jobs_queue_up 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if status, _ := get(t, m.Serve(), "/api/v1/hazards"); status != 404 {
		t.Errorf("the metrics listener answers another path with %d, want 404", status)
	}
}

// A queue that cannot be read says so instead of failing the scrape.
func TestQueueUnreadable(t *testing.T) {
	m := metrics.New()
	m.RegisterQueue(func(context.Context) (map[string]int64, error) { return nil, errors.New("database down") })
	status, text := get(t, m.Serve(), metrics.Path)
	if status != 200 || !strings.Contains(text, "safegrid_jobs_queue_up 0") || strings.Contains(text, "safegrid_jobs_waiting{") {
		t.Errorf("scrape with the queue unreadable = %d, want 200 with safegrid_jobs_queue_up 0 and no depth:\n%s", status, text)
	}
}
