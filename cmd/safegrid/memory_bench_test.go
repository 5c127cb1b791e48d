package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/api/apitest"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/benchgoal"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

// BenchmarkServeMemory12MP is issue #11's memory figure, measured on what runs in
// production: a `safegrid serve` process of its own (built here, real Postgres,
// real MinIO, the real model with its default sessions), whose resident memory is
// read from /proc. It prints the idle RSS once the model is loaded (goal < 150 MB)
// and the peak RSS (VmHWM, reset after start-up) while 8 clients upload a 12 MP
// JPEG each at once and the server analyses all 8 (goal < 300 MB). Each loop
// iteration is one such round.
func BenchmarkServeMemory12MP(b *testing.B) {
	modelSource, images, ortLib := os.Getenv("SAFEGRID_MODEL_SOURCE"), os.Getenv("SAFEGRID_TEST_IMAGES"), os.Getenv("SAFEGRID_ORT_LIB")
	if modelSource == "" || images == "" || ortLib == "" {
		b.Skipf("SKIPPED: needs SAFEGRID_MODEL_SOURCE (%q), SAFEGRID_TEST_IMAGES (%q) and SAFEGRID_ORT_LIB (%q): the real model, photos and runtime (make bench sets them)", modelSource, images, ortLib)
	}
	ctx := context.Background()
	bin := filepath.Join(b.TempDir(), "safegrid")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build safegrid: %v\n%s", err, out)
	}
	fx := newAnalysisFixture(b)
	srv := startReplica(b, bin, "serve", append(os.Environ(),
		"DATABASE_URL="+fx.dbURL, "SAFEGRID_S3_BUCKET="+fx.bucket.Bucket(), "SAFEGRID_ORT_LIB="+ortLib,
		"SAFEGRID_CACHE_DIR="+b.TempDir(), "SAFEGRID_MODEL_SOURCE="+modelSource, "SAFEGRID_LOG_LEVEL=warn"))
	pid := srv.cmd.Process.Pid
	if a := waitReady(b, srv.addr, "the model loaded", func(a readyAnswer) bool { return a.status == http.StatusOK }); a.body.Checks["model"].Status != "ok" {
		b.Fatalf("the model is not loaded: %+v", a.body.Checks["model"])
	}
	photos := phototest.FromSharedPhotos(b, images, 4)
	db, err := pgx.Connect(ctx, fx.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close(ctx)

	c := apitest.New(b, "http://"+srv.addr)
	token := c.Login("inspector", analysisPassword)
	var started inspect.InspectionDetail
	if st, raw := call(c, token, "POST", fmt.Sprintf("/api/v1/inspections/%d/start", fx.insp.ID), nil, &started); st != 200 {
		b.Fatalf("start inspection: %d %s", st, raw)
	}
	item := corridorItem(b, started)

	// Idle: ready, the model's sessions made, nothing uploaded yet.
	time.Sleep(time.Second)
	idle := procStatusMB(b, pid, "VmRSS")
	startupPeak := procStatusMB(b, pid, "VmHWM")
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		b.Fatalf("reset the peak RSS of serve: %v", err)
	}

	var sampled atomic.Int64 // the highest VmRSS seen by polling, a check on VmHWM
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if mb, err := readProcStatus(pid, "VmRSS"); err == nil && int64(mb) > sampled.Load() {
				sampled.Store(int64(mb))
			}
		}
	}()
	client := &http.Client{Timeout: time.Minute}
	const uploads = 8
	var seq atomic.Int64
	var round time.Duration
	for b.Loop() {
		start := time.Now()
		ids := make([]string, uploads)
		var wg sync.WaitGroup
		errs := make(chan error, uploads)
		for i := range uploads {
			ids[i] = uuid.NewString()
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := seq.Add(1)
				body := phototest.WithComment(photos[n%int64(len(photos))], fmt.Sprint("memory bench ", n))
				req, _ := http.NewRequest("PUT", fmt.Sprintf("http://%s/api/v1/photos/%s?inspection_id=%d&item_code=%s", srv.addr, ids[i], fx.insp.ID, item.Code), bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					errs <- fmt.Errorf("upload: %s", resp.Status)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		waitAnalysed(b, db, ids)
		round = time.Since(start)
	}
	close(stop)
	peak := procStatusMB(b, pid, "VmHWM")
	b.ReportMetric(peak, "peak-RSS-MB")
	b.ReportMetric(idle, "idle-RSS-MB")
	how := fmt.Sprintf("VmHWM of the serve process (pid %d) from /proc, reset after start-up; highest VmRSS polled every 20 ms %d MB; %d uploads + analyses in %.1f s; start-up peak %.0f MB",
		pid, sampled.Load(), uploads, round.Seconds(), startupPeak)
	benchgoal.Below("(d) serve peak RSS, 8×12 MP uploads + analysis", peak, 300, "MB", how)
	benchgoal.Below("(d) serve idle RSS, model loaded", idle, 150, "MB", "VmRSS of the serve process 1 s after /readyz reported the model loaded, before any upload")
}

// waitAnalysed waits until every photo in ids has its analysis stored.
func waitAnalysed(b *testing.B, db *pgx.Conn, ids []string) {
	b.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM photo_analyses WHERE photo_id = ANY($1::uuid[])`, ids).Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d photos analysed after 3 minutes", n, len(ids))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procStatusMB reads a memory field (VmRSS, VmHWM) of process pid, in MB.
func procStatusMB(b *testing.B, pid int, field string) float64 {
	b.Helper()
	mb, err := readProcStatus(pid, field)
	if err != nil {
		b.Fatal(err)
	}
	return mb
}

func readProcStatus(pid int, field string) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s of pid %d: %w", field, pid, err)
			}
			return float64(kb) / 1024, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
