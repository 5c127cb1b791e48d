package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/safegrid/safegrid/api/apitest"
	"github.com/safegrid/safegrid/api/metrics"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage/config"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// serve's pools are separate: with every connection of the report pool and of
// the jobs pool taken, a KPI report waits (for its own pool) while the API still
// logs in and answers lists at once.
func TestServePoolsAreSeparate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := storagetest.New(t)
	vars := map[string]string{"DATABASE_URL": env.URL, "SAFEGRID_DB_API_CONNS": "3", "SAFEGRID_DB_JOB_CONNS": "2", "SAFEGRID_DB_REPORT_CONNS": "1"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New()
	dbs, err := openPools(ctx, cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	for name, want := range map[string]struct {
		got  int32
		want int32
	}{"api": {dbs.api.Pool.Stat().MaxConns(), 3}, "jobs": {dbs.jobs.Pool.Stat().MaxConns(), 2}, "reports": {dbs.reports.Pool.Stat().MaxConns(), 1}} {
		if want.got != want.want {
			t.Errorf("%s pool has %d connections, want %d", name, want.got, want.want)
		}
	}
	svc, err := newServices(cfg, dbs, env.Objects, env.Rules, nil, m, log)
	if err != nil {
		t.Fatal(err)
	}
	client := apitest.Serve(t, newServer(cfg, log, m, dbs, svc.Services, nil))
	const password = "pools are separate"
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(svc.Services), password)
	district := f.Unit(0, inspect.LevelDistrict, "District")
	period, err := inspect.ParsePeriod("2026-01-01", "2026-02-01")
	if err != nil {
		t.Fatal(err)
	}

	// Saturate the report and the jobs pools.
	var held []*pgxpool.Conn
	for _, pool := range []*pgxpool.Pool{dbs.reports.Pool, dbs.jobs.Pool, dbs.jobs.Pool} {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = svc.Policy.KPIReport(waitCtx, f.AdminP, district.ID, period)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("KPI report with the report pool saturated: %v, want it to wait for the pool", err)
	}

	start := time.Now()
	token := client.Login(f.Admin.Username, password)
	for _, path := range []string{"/api/v1/hazards", "/api/v1/sites", "/api/v1/units"} {
		if r := client.Do(token, "GET", path, nil); r.Status != 200 {
			t.Errorf("GET %s with the report and jobs pools saturated: %d %s", path, r.Status, r.Body)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the API took %s with the other pools saturated", took)
	}

	for _, c := range held {
		c.Release()
	}
	if _, err := svc.Policy.KPIReport(ctx, f.AdminP, district.ID, period); err != nil {
		t.Errorf("KPI report once the report pool is free: %v", err)
	}
}
