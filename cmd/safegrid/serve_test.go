package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safegrid/safegrid/storage/storagetest"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startMinIO runs a MinIO of the test's own on addr with data in dir, so the test
// can stop it while the server runs.
func startMinIO(t testing.TB, bin, addr, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, dir)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER=safegrid", "MINIO_ROOT_PASSWORD=safegrid-dev-secret", "MINIO_BROWSER=off")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

type readyAnswer struct {
	status int
	body   struct {
		Status  string   `json:"status"`
		Failing []string `json:"failing"`
		Checks  map[string]struct {
			Status string `json:"status"`
			Detail string `json:"detail"`
		} `json:"checks"`
	}
}

func getReady(addr string) (readyAnswer, error) {
	var a readyAnswer
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	a.status = resp.StatusCode
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &a.body); err != nil {
		return a, fmt.Errorf("decode %q: %w", b, err)
	}
	return a, nil
}

// waitReady polls /readyz until cond holds or a minute passes.
func waitReady(t testing.TB, addr string, what string, cond func(readyAnswer) bool) readyAnswer {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last readyAnswer
	var lastErr error
	for time.Now().Before(deadline) {
		last, lastErr = getReady(addr)
		if lastErr == nil && cond(last) {
			return last
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: last /readyz status %d body %+v err %v", what, last.status, last.body, lastErr)
	return last
}

// TestServeReadinessFollowsObjectStore runs the real server against real Postgres and
// a MinIO of its own, stops MinIO and starts it again, and checks /readyz each time,
// then shuts the server down with a cancelled context.
func TestServeReadinessFollowsObjectStore(t *testing.T) {
	minioBin := os.Getenv("SAFEGRID_MINIO_BIN")
	if minioBin == "" {
		t.Skip("SKIPPED: SAFEGRID_MINIO_BIN is not set (make test sets it); this test needs a MinIO binary it can stop and start")
	}
	ortLib := os.Getenv("SAFEGRID_ORT_LIB")
	if ortLib == "" {
		t.Fatal("SAFEGRID_ORT_LIB is not set; run the tests with make test")
	}
	_, dbURL := storagetest.NewDB(t)
	minioAddr, httpAddr, minioDir := freeAddr(t), freeAddr(t), t.TempDir()
	minio := startMinIO(t, minioBin, minioAddr, minioDir)

	env := map[string]string{
		"DATABASE_URL":          dbURL,
		"SAFEGRID_HTTP_ADDR":    httpAddr,
		"SAFEGRID_S3_ENDPOINT":  minioAddr,
		"SAFEGRID_S3_BUCKET":    "readyz-test",
		"SAFEGRID_ORT_LIB":      ortLib,
		"SAFEGRID_CACHE_DIR":    t.TempDir(),
		"SAFEGRID_MODEL_SOURCE": os.Getenv("SAFEGRID_MODEL_SOURCE"),
		"SAFEGRID_AI_SESSIONS":  "1",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, &runEnv{stdout: io.Discard, stderr: logs, getenv: func(k string) string { return env[k] }}, nil)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	first := waitReady(t, httpAddr, "every check ok", func(a readyAnswer) bool { return a.status == http.StatusOK })
	for _, name := range []string{"postgres", "object_store", "onnx_runtime"} {
		if got := first.body.Checks[name].Status; got != "ok" {
			t.Errorf("check %s = %q, want ok", name, got)
		}
	}
	wantModel := "ok"
	if env["SAFEGRID_MODEL_SOURCE"] == "" {
		wantModel = "disabled"
	}
	if got := first.body.Checks["model"].Status; got != wantModel {
		t.Errorf("model check = %q (%s), want %q", got, first.body.Checks["model"].Detail, wantModel)
	}

	minio.Process.Kill()
	minio.Wait()
	down := waitReady(t, httpAddr, "503 naming the object store", func(a readyAnswer) bool { return a.status == http.StatusServiceUnavailable })
	if !slices.Equal(down.body.Failing, []string{"object_store"}) {
		t.Errorf("with MinIO down, failing = %v, want [object_store]", down.body.Failing)
	}

	startMinIO(t, minioBin, minioAddr, minioDir)
	waitReady(t, httpAddr, "200 after MinIO is back", func(a readyAnswer) bool { return a.status == http.StatusOK })

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown, want nil", err)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("shutdown took %s, want within 10s", took)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s of cancellation")
	}
	if _, err := net.DialTimeout("tcp", httpAddr, time.Second); err == nil {
		t.Error("the HTTP port still accepts connections after shutdown")
	}
}
