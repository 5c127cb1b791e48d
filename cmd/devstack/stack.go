package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// stack is the set of services devstack manages for one run.
type stack struct {
	cacheDir  string
	ephemeral bool
	appDB     string
	workDir   string     // service data and logs: dataDir(), or a temporary folder when ephemeral
	stops     []func()   // run in reverse order by stopAll
	pg        *pgCluster // the private Postgres cluster, when devstack started one
}

// start makes every part available and returns the environment for the command.
func (st *stack) start(ctx context.Context) ([]string, error) {
	if err := os.MkdirAll(st.cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache folder: %w", err)
	}
	st.workDir = dataDir()
	if st.ephemeral {
		d, err := os.MkdirTemp("", "safegrid-devstack-")
		if err != nil {
			return nil, err
		}
		st.workDir = d
		st.onStop(func() { os.RemoveAll(d) })
	}
	if err := os.MkdirAll(st.workDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	var env []string
	ortEnv, err := st.ensureORT(ctx)
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %w", err)
	}
	env = append(env, ortEnv...)
	pgEnv, err := st.ensurePostgres(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	env = append(env, pgEnv...)
	s3Env, err := st.ensureMinIO(ctx)
	if err != nil {
		return nil, fmt.Errorf("minio: %w", err)
	}
	env = append(env, s3Env...)
	env = append(env, "SAFEGRID_CACHE_DIR="+st.cacheDir)
	return env, nil
}

// onStop registers f to run when the stack stops.
func (st *stack) onStop(f func()) { st.stops = append(st.stops, f) }

// stopAll stops everything devstack started, newest first (the temporary work
// folder, registered first, goes last).
func (st *stack) stopAll() {
	for i := len(st.stops) - 1; i >= 0; i-- {
		st.stops[i]()
	}
}

// listening reports whether something accepts TCP connections at addr.
func listening(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// freePort asks the kernel for a free loopback port; preferred is tried first.
func freePort(preferred int) (int, error) {
	if preferred > 0 {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", preferred)); err == nil {
			ln.Close()
			return preferred, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// httpOK returns a readiness check that GETs url and wants 200 OK.
func httpOK(url string) func() error {
	return func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
		}
		return nil
	}
}

// waitFor polls ready until it returns nil or timeout passes.
func waitFor(ctx context.Context, what string, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w", what, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
