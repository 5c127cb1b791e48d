// Command devstack brings up what SafeGrid needs on a development or CI machine —
// Postgres, MinIO and the ONNX Runtime library — runs one command with the
// environment pointing at them, and stops everything it started when that command
// ends or on Ctrl-C. Parts given by environment variables (DATABASE_URL,
// SAFEGRID_S3_ENDPOINT, SAFEGRID_ORT_LIB) are used as they are.
//
// usage: devstack [--ephemeral] [--app-db NAME] -- COMMAND [ARGS...]
//
//	devstack --packages
//
// The second form installs the system packages SafeGrid needs to build and test
// (Debian's libjpeg62-turbo-dev, fonts-droid-fallback, poppler-utils) when they are
// missing, and exits.
//
// devstack cluster starts the production shape on loopback instead: a private
// Postgres, MinIO erasure-coded over four server processes, several safegrid
// serve replicas and nginx in front, with health checks on /readyz and a small
// fault-injection API for make chaos (see cluster.go).
//
// usage: devstack cluster [--replicas N] [--port PORT] [--safegrid BIN] [-- COMMAND [ARGS...]]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	os.Exit(run())
}

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "cluster" {
		return runCluster(os.Args[2:])
	}
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	ephemeral := fs.Bool("ephemeral", false, "keep service data in temporary folders removed at exit (tests)")
	packages := fs.Bool("packages", false, "install the system packages SafeGrid needs to build and test (libjpeg62-turbo-dev, fonts-droid-fallback, poppler-utils) when missing, then exit")
	appDB := fs.String("app-db", "safegrid", "database to create and point DATABASE_URL at when using a local server; empty points at the server's postgres database (tests create their own)")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: devstack [--ephemeral] [--app-db NAME] -- COMMAND [ARGS...]")
		fmt.Fprintln(os.Stderr, "       devstack --packages")
		fmt.Fprintln(os.Stderr, "       "+strings.TrimPrefix(clusterUsage, "usage: "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *packages {
		if err := ensurePackages(context.Background()); err != nil {
			logf("%v", err)
			return 1
		}
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}

	// Ctrl-C reaches the whole foreground process group: the command gets it
	// directly, the services do not (they run in their own groups) and are stopped
	// below, after the command has finished.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	st := &stack{cacheDir: cacheDir(), ephemeral: *ephemeral, appDB: *appDB}
	defer st.stopAll()
	env, err := st.start(ctx)
	if err != nil {
		logf("%v", err)
		return 1
	}

	return runCommand(ctx, fs.Args(), env)
}

// cacheDir is where downloads and builds are kept between runs.
func cacheDir() string {
	if d := os.Getenv("SAFEGRID_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "safegrid")
	}
	return filepath.Join(os.TempDir(), "safegrid-cache")
}

// dataDir is where `make run` keeps its database cluster and objects between runs.
func dataDir() string {
	if d := os.Getenv("SAFEGRID_DATA_DIR"); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "safegrid")
	}
	return filepath.Join(os.TempDir(), "safegrid-data")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "devstack: "+format+"\n", args...)
}

// runCommand runs args with the environment plus env, passing Ctrl-C (ctx's end)
// on to it, and returns its exit code.
func runCommand(ctx context.Context, args, env []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		logf("start %s: %v", args[0], err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// Signals sent to devstack alone (not to the terminal's group) are passed on.
		_ = cmd.Process.Signal(os.Interrupt)
		err = <-done
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		if exitErr.ExitCode() >= 0 {
			return exitErr.ExitCode()
		}
		return 1 // killed by a signal
	default:
		logf("%s: %v", args[0], err)
		return 1
	}
}
