package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clusterUsage is the synopsis of devstack cluster.
const clusterUsage = "usage: devstack cluster [--replicas N] [--port PORT] [--safegrid BIN] [-- COMMAND [ARGS...]]"

// cluster is the production shape on one machine: a private Postgres, MinIO
// erasure-coded over four server processes, several safegrid serve replicas and
// nginx in front of the replicas (and of MinIO), all on loopback.
type cluster struct {
	st       *stack
	safegrid string   // the safegrid binary
	env      []string // the replicas' environment
	pgPort   int      // the private Postgres cluster
	lbPort   int      // nginx, in front of the replicas
	s3Port   int      // nginx, in front of the MinIO nodes
	nginx    *proc
	replicas []*proc
	minio    []*proc
	control  string // the control API's address

	mu       sync.Mutex
	stopping bool
}

// ClusterState is what the cluster writes to cluster.json for tools (make chaos)
// that drive it.
type ClusterState struct {
	LoadBalancer string   `json:"load_balancer"` // http://127.0.0.1:PORT
	Control      string   `json:"control"`       // http://127.0.0.1:PORT, the fault-injection API
	S3Endpoint   string   `json:"s3_endpoint"`   // host:port (nginx in front of MinIO)
	DatabaseURL  string   `json:"database_url"`
	Env          []string `json:"env"` // the replicas' SAFEGRID_* environment
	Safegrid     string   `json:"safegrid"`
	Dir          string   `json:"dir"`
}

func runCluster(args []string) int {
	fs := flag.NewFlagSet("devstack cluster", flag.ContinueOnError)
	replicas := fs.Int("replicas", 3, "safegrid serve replicas behind the load balancer (2 or more)")
	port := fs.Int("port", 8080, "loopback port of the load balancer (a free one if taken)")
	safegrid := fs.String("safegrid", "", "the safegrid binary (default: beside devstack)")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, clusterUsage)
		fmt.Fprintln(os.Stderr, "Starts Postgres, 4 MinIO nodes (erasure-coded), the replicas and nginx on loopback; runs COMMAND with SAFEGRID_CLUSTER naming cluster.json, or waits for Ctrl-C; then stops everything.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *replicas < 2 {
		logf("cluster: --replicas must be 2 or more")
		return 2
	}
	if *safegrid == "" {
		exe, _ := os.Executable()
		*safegrid = filepath.Join(filepath.Dir(exe), "safegrid")
	}
	if _, err := os.Stat(*safegrid); err != nil {
		logf("cluster: safegrid binary: %v (build it: make build)", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c := &cluster{st: &stack{cacheDir: cacheDir(), ephemeral: true, appDB: "safegrid"}, safegrid: *safegrid}
	runCtx, cancel := context.WithCancel(ctx) // ends the health checker before the stop
	code := c.run(runCtx, *replicas, *port, fs.Args())
	cancel()
	c.mu.Lock()
	c.stopping = true
	c.mu.Unlock()
	ports := c.ports()
	c.st.stopAll()
	if open := listeningPorts(ports); len(open) > 0 {
		logf("cluster: still listening after stop: %v", open)
		return 1
	}
	logf("cluster: stopped; nothing left listening on %v", ports)
	return code
}

func (c *cluster) run(ctx context.Context, replicas, port int, command []string) int {
	state, err := c.start(ctx, replicas, port)
	if err != nil {
		logf("cluster: %v", err)
		return 1
	}
	path := filepath.Join(c.st.workDir, "cluster.json")
	b, _ := json.MarshalIndent(state, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		logf("cluster: %v", err)
		return 1
	}
	logf("cluster: ready — %s (readyz: %s/readyz), control %s, state %s", state.LoadBalancer, state.LoadBalancer, state.Control, path)
	if len(command) == 0 {
		logf("cluster: Ctrl-C stops everything")
		<-ctx.Done()
		return 0
	}
	return runCommand(ctx, command, []string{"SAFEGRID_CLUSTER=" + path})
}

// start brings every part up, in dependency order, and returns the state.
func (c *cluster) start(ctx context.Context, replicas, port int) (ClusterState, error) {
	st := c.st
	if err := os.MkdirAll(st.cacheDir, 0o755); err != nil {
		return ClusterState{}, err
	}
	dir, err := os.MkdirTemp("", "safegrid-cluster-")
	if err != nil {
		return ClusterState{}, err
	}
	st.workDir = dir
	kept := filepath.Join(st.cacheDir, "cluster-logs")
	st.onStop(func() {
		keepLogs(dir, kept)
		os.RemoveAll(dir)
	})
	logf("cluster: data and logs in %s (removed at stop; the logs are copied to %s)", dir, kept)

	ortEnv, err := st.ensureORT(ctx)
	if err != nil {
		return ClusterState{}, fmt.Errorf("ONNX Runtime: %w", err)
	}
	if c.pgPort, err = st.startCluster(ctx); err != nil {
		return ClusterState{}, fmt.Errorf("postgres: %w", err)
	}
	server := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.pgPort)
	if err := createDatabase(ctx, server, st.appDB); err != nil {
		return ClusterState{}, err
	}
	dbURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.pgPort, st.appDB)

	accessKey, secretKey := envOr("SAFEGRID_S3_ACCESS_KEY", "safegrid"), envOr("SAFEGRID_S3_SECRET_KEY", "safegrid-dev-secret")
	if err := c.startMinIO(ctx, accessKey, secretKey); err != nil {
		return ClusterState{}, fmt.Errorf("minio: %w", err)
	}
	if c.lbPort, err = freePort(port); err != nil {
		return ClusterState{}, err
	}
	if c.s3Port, err = freePort(0); err != nil {
		return ClusterState{}, err
	}
	for i := range replicas {
		p, err := freePort(0)
		if err != nil {
			return ClusterState{}, err
		}
		c.replicas = append(c.replicas, &proc{name: fmt.Sprintf("replica-%d", i+1), port: p, autoRestart: true, ready: true})
	}
	if err := c.startNginx(ctx); err != nil {
		return ClusterState{}, fmt.Errorf("nginx: %w", err)
	}
	c.env = append(ortEnv, "DATABASE_URL="+dbURL,
		fmt.Sprintf("SAFEGRID_S3_ENDPOINT=127.0.0.1:%d", c.s3Port), "SAFEGRID_S3_ACCESS_KEY="+accessKey, "SAFEGRID_S3_SECRET_KEY="+secretKey,
		"SAFEGRID_CACHE_DIR="+st.cacheDir, "SAFEGRID_TRUSTED_PROXIES=127.0.0.1", "SAFEGRID_LOG_FORMAT=json")
	seed := exec.CommandContext(ctx, c.safegrid, "seed-demo", "--if-empty")
	seed.Env = append(os.Environ(), c.env...)
	seed.Stdout, seed.Stderr = os.Stderr, os.Stderr
	if err := seed.Run(); err != nil {
		return ClusterState{}, fmt.Errorf("seed-demo: %w", err)
	}
	for _, r := range c.replicas {
		r.args = []string{c.safegrid, "serve"}
		r.env = append(append(os.Environ(), c.env...), fmt.Sprintf("SAFEGRID_HTTP_ADDR=127.0.0.1:%d", r.port))
		r.log = filepath.Join(dir, r.name+".log")
		if err := c.launch(r); err != nil {
			return ClusterState{}, err
		}
	}
	st.onStop(func() {
		logf("cluster: stopping replicas")
		for _, r := range c.replicas {
			c.stop(r, 15*time.Second)
		}
	})
	go c.watchHealth(ctx)
	lb := fmt.Sprintf("http://127.0.0.1:%d", c.lbPort)
	err = waitFor(ctx, "load balancer /readyz", 120*time.Second, httpOK(lb+"/readyz"))
	if err != nil {
		return ClusterState{}, fmt.Errorf("%w (replica logs in %s)", err, dir)
	}
	if err := c.serveControl(); err != nil {
		return ClusterState{}, err
	}
	return ClusterState{
		LoadBalancer: lb, Control: "http://" + c.control, S3Endpoint: fmt.Sprintf("127.0.0.1:%d", c.s3Port),
		DatabaseURL: dbURL, Env: c.env, Safegrid: c.safegrid, Dir: dir,
	}, nil
}

// ports lists every port the cluster listens on.
func (c *cluster) ports() []int {
	ports := []int{c.pgPort, c.lbPort, c.s3Port}
	for _, p := range append(slices.Clone(c.replicas), c.minio...) {
		ports = append(ports, p.port)
	}
	if c.control != "" {
		_, p, _ := splitHostPort(c.control)
		ports = append(ports, p)
	}
	return ports
}

func listeningPorts(ports []int) []int {
	var open []int
	for _, p := range ports {
		if p != 0 && listening("127.0.0.1:"+strconv.Itoa(p)) {
			open = append(open, p)
		}
	}
	return open
}

func splitHostPort(addr string) (string, int, error) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			p, err := strconv.Atoi(addr[i+1:])
			return addr[:i], p, err
		}
	}
	return addr, 0, fmt.Errorf("no port in %q", addr)
}

// keepLogs copies the cluster's log files (not its data) to dst, replacing the
// previous run's, so that a failed chaos run can be read afterwards.
func keepLogs(dir, dst string) {
	os.RemoveAll(dst)
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	more, _ := filepath.Glob(filepath.Join(dir, "*", "*.log"))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return
	}
	for _, f := range append(logs, more...) {
		if b, err := os.ReadFile(f); err == nil {
			os.WriteFile(filepath.Join(dst, strings.ReplaceAll(strings.TrimPrefix(f, dir+"/"), "/", "-")), b, 0o644) //nolint:errcheck
		}
	}
}
