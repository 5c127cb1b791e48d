package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/safegrid/safegrid/models/benchgoal"
	"github.com/safegrid/safegrid/models/photo/phototest"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// parallelRate runs do from clients goroutines until b.N calls are done and
// returns calls per second.
func parallelRate(b *testing.B, clients int, do func(n int64) error) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				if err := do(n); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "photos/s")
	return rate
}

// BenchmarkPhotoIngest12MP measures 12 MP phone JPEGs uploaded by 4 concurrent
// clients through PUT /api/v1/photos/{uuid} (the server on a real socket, real
// Postgres, real MinIO) against minio-go PutObject of the same bytes to the same
// MinIO in the same run, and prints the ratio (goal of issue #11: ≥ 0.8) and the
// process's peak resident memory (server and clients are one process here).
func BenchmarkPhotoIngest12MP(b *testing.B) {
	w := setup(b)
	d := w.startedInspection(w.own)
	token := w.login(w.own.inspector)
	dir := os.Getenv("SAFEGRID_TEST_IMAGES")
	if dir == "" {
		b.Fatal("SAFEGRID_TEST_IMAGES is not set: the benchmark needs the shared photos (make bench sets it)")
	}
	photos := phototest.FromSharedPhotos(b, dir, 4)
	cfg := storagetest.ObjectStoreConfig(b)
	raw, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Secure: cfg.UseTLS})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	const clients = 4
	var seq atomic.Int64
	var upload, put float64
	b.Run("upload", func(b *testing.B) {
		upload = parallelRate(b, clients, func(int64) error {
			n := seq.Add(1)
			body := phototest.WithComment(photos[n%int64(len(photos))], fmt.Sprint("bench ", n))
			url := fmt.Sprintf("%s/api/v1/photos/%s?inspection_id=%d&item_code=%s", w.base, uuid.NewString(), d.ID, d.Items[0].Code)
			req, _ := http.NewRequest("PUT", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "image/jpeg")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				return fmt.Errorf("upload: %s", resp.Status)
			}
			return nil
		})
	})
	b.Run("minio-put", func(b *testing.B) {
		put = parallelRate(b, clients, func(int64) error {
			n := seq.Add(1)
			body := phototest.WithComment(photos[n%int64(len(photos))], fmt.Sprint("bench ", n))
			_, err := raw.PutObject(context.Background(), w.objects.Bucket(), "bench/"+uuid.NewString(), bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{ContentType: "image/jpeg"})
			return err
		})
	})
	var peak float64
	b.Run("upload-8-concurrent-peak-rss", func(b *testing.B) {
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			b.Fatal(err)
		}
		parallelRate(b, 8, func(int64) error {
			n := seq.Add(1)
			body := phototest.WithComment(photos[n%int64(len(photos))], fmt.Sprint("bench ", n))
			url := fmt.Sprintf("%s/api/v1/photos/%s?inspection_id=%d&item_code=%s", w.base, uuid.NewString(), d.ID, d.Items[0].Code)
			req, _ := http.NewRequest("PUT", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		})
		peak = float64(hwm(b)) / (1 << 20)
		b.ReportMetric(peak, "peak-RSS-MB")
	})
	if upload > 0 && put > 0 {
		fmt.Printf("12 MP JPEG ingest, %d clients: PUT /api/v1/photos %.1f photos/s, minio-go PutObject %.1f photos/s; ratio %.3f (goal ≥ 0.8); peak RSS of the process (server + clients) during 8 concurrent uploads %.0f MB\n",
			clients, upload, put, upload/put, peak)
		benchgoal.AtLeast("(c) upload ingest, 12 MP JPEG, 4 clients ÷ PutObject", upload/put, 0.8,
			fmt.Sprintf("PUT /api/v1/photos %.1f photos/s ÷ minio-go PutObject of the same bytes to the same MinIO %.1f photos/s", upload, put))
	}
}

// hwm reads the process's peak resident size (VmHWM) in bytes.
func hwm(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}
