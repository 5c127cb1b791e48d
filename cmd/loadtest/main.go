// Command loadtest measures SafeGrid at a city's volume: it fills the database
// with `safegrid seed-load` when it is empty, starts `safegrid serve`, and drives
// the real HTTP API with closed-loop clients — a login storm from one address,
// then every read users make, each alone and then mixed with writes — printing
// per-request p50/p95/p99 and throughput beside the baselines of the same run:
// the same work straight through storage (raw pgx, no HTTP) and `pgbench -S`,
// the machine's raw ceiling. `make load` runs it under devstack.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/storage"
)

type options struct {
	safegrid              string
	sites, hazards, years int
	clients, logins       int
	duration, rawDuration time.Duration
	out                   string
	pgbench               bool
	seedOnly              bool
}

func main() {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: loadtest --safegrid BIN [flags]\n\nNeeds DATABASE_URL and the object store's settings (make load runs it under devstack).\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.safegrid, "safegrid", "safegrid", "the safegrid binary to seed and serve with")
	fs.IntVar(&o.sites, "sites", 20000, "sites of the city seed-load writes into an empty database")
	fs.IntVar(&o.hazards, "hazards", 1000000, "hazards of the city seed-load writes into an empty database")
	fs.IntVar(&o.years, "years", 3, "years of history of the city")
	fs.IntVar(&o.clients, "clients", 50, "concurrent clients of each closed-loop run")
	fs.IntVar(&o.logins, "logins", 500, "logins of the login storm, all from one address")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each request's HTTP run and of the mixed run")
	fs.DurationVar(&o.rawDuration, "raw-duration", 5*time.Second, "length of each request's baseline run straight through storage")
	fs.StringVar(&o.out, "out", "", "also write the report (markdown) to this file")
	fs.BoolVar(&o.pgbench, "pgbench", true, "measure pgbench -S as the machine's raw ceiling")
	fs.BoolVar(&o.seedOnly, "seed-only", false, "fill the database when empty, then exit")
	fs.Parse(os.Args[1:]) //nolint:errcheck // ExitOnError
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		return fmt.Errorf("DATABASE_URL is not set: run under devstack (make load)")
	}
	// The baseline's clients each get a connection, as pgbench's do.
	db, err := storage.OpenDB(ctx, withPoolSize(dbURL, o.clients))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureCity(ctx, db, o); err != nil {
		return err
	}
	if o.seedOnly {
		return nil
	}
	srv, err := startServer(ctx, o.safegrid)
	if err != nil {
		return err
	}
	defer srv.stop()
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		return err
	}
	svc := storage.New(storage.Deps{DB: db, Rules: rules})
	l := &load{o: o, api: newAPI(srv.base, o.clients), svc: svc, db: db, metricsURL: srv.metrics}
	var report strings.Builder
	w := io.MultiWriter(os.Stdout, &report)
	fmt.Fprintf(w, "## make load — %s\n\n", time.Now().UTC().Format(time.RFC3339))
	if err := l.describe(ctx, w); err != nil {
		return err
	}
	steps := []func(context.Context, io.Writer) error{l.people, l.loginStorm, l.eachRequest, l.mixed, l.ceiling, l.metrics}
	for _, step := range steps {
		if err := step(ctx, w); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(report.String()), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nreport written to %s\n", o.out)
	}
	return nil
}

// ensureCity seeds the city with safegrid seed-load when the database has no
// units; a database that has them is used as it is.
func ensureCity(ctx context.Context, db *storage.DB, o options) error {
	var units, hazards int64
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM units), (SELECT count(*) FROM hazards)`).Scan(&units, &hazards); err != nil {
		// A database never migrated has no tables yet: seed-load migrates it.
		units = 0
	}
	if units > 0 {
		fmt.Fprintf(os.Stderr, "loadtest: using the city already in the database (%d hazards); drop the database to generate another\n", hazards)
		return nil
	}
	fmt.Fprintf(os.Stderr, "loadtest: the database is empty: seeding %d sites and %d hazards over %d years (minutes)\n", o.sites, o.hazards, o.years)
	cmd := exec.CommandContext(ctx, o.safegrid, "seed-load", "--sites", fmt.Sprint(o.sites), "--hazards", fmt.Sprint(o.hazards), "--years", fmt.Sprint(o.years))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("safegrid seed-load: %w", err)
	}
	return nil
}

// withPoolSize sets pgx's pool_max_conns on a URL.
func withPoolSize(url string, n int) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%spool_max_conns=%d", url, sep, n)
}
