package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/benchgoal"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// BenchmarkDeadlineBurst measures the scheduler at a city's volume: N hazards
// (SAFEGRID_BURST_HAZARDS, default 100,000) whose deadlines fall in the same
// minute, with the jobs the product plans for them (the reminder 2 h before and
// the deadline), worked by the product's River client and workers on a job pool
// of SAFEGRID_BURST_JOB_POOL connections (default 12). It prints, for the
// reminders and then the deadlines, the time from all N being due until all are
// handled and the rate, and the same for one transaction per job (batches off,
// the ten workers and the default pool of 4 of before) on
// SAFEGRID_BURST_BASELINE hazards (default 2,000) in the same run, with the
// ratio. Meanwhile a separate pool of 4 runs the hazard list (the storage
// behind GET /hazards, the district officer's first page) in a loop and the
// p50/p99 of its latency are printed idle and during each burst.
//
//	~/.cache/safegrid/bin/devstack --ephemeral --app-db= -- \
//	  go test -run '^$' -bench DeadlineBurst -benchtime 1x -timeout 30m ./storage/jobs/
func BenchmarkDeadlineBurst(b *testing.B) {
	n := envInt(b, "SAFEGRID_BURST_HAZARDS", 100_000)
	baseN := envInt(b, "SAFEGRID_BURST_BASELINE", 2_000)
	jobPool := envInt(b, "SAFEGRID_BURST_JOB_POOL", 12)
	for range b.N {
		base := runBurst(b, baseN, 0)
		batch := runBurst(b, n, jobPool)
		for i, phase := range []string{"reminders", "deadlines"} {
			b.Logf("%s: batches %d in %s (%.0f/s); one transaction per job %d in %s (%.0f/s); ratio %.1fx",
				phase, n, batch.took[i].Round(time.Millisecond), batch.rate(i), baseN, base.took[i].Round(time.Millisecond), base.rate(i),
				batch.rate(i)/base.rate(i))
		}
		b.Logf("hazard list (pool of 4): idle %s; batch reminders %s, deadlines %s; per-job reminders %s, deadlines %s",
			batch.list[0], batch.list[1], batch.list[2], base.list[1], base.list[2])
		how := fmt.Sprintf("%.0f/s; one transaction per job %.0f/s on %d, ratio %.1f", batch.rate(1), base.rate(1), baseN, batch.rate(1)/base.rate(1))
		benchgoal.Below(fmt.Sprintf("%d deadlines due in one minute, all handled", n), batch.took[1].Seconds(), 120, "s", how)
		benchgoal.Below(fmt.Sprintf("%d reminders due in one minute, all handled", n), batch.took[0].Seconds(), 120, "s",
			fmt.Sprintf("%.0f/s; one transaction per job %.0f/s", batch.rate(0), base.rate(0)))
		benchgoal.Info("hazard list p99 during the deadline burst", float64(batch.list[2].p99.Microseconds())/1000, "ms",
			fmt.Sprintf("idle p99 %s, pool of 4 beside a job pool of %d", batch.list[0].p99.Round(10*time.Microsecond), jobPool))
		b.ReportMetric(batch.rate(1), "deadlines/s")
		b.ReportMetric(batch.rate(1)/base.rate(1), "x-baseline")
	}
}

// burstRun is what one runBurst measured: per phase (reminders, deadlines) the
// time to handle all, and the hazard list's latency idle and in each phase.
type burstRun struct {
	n    int
	took [2]time.Duration
	list [3]percentiles
}

func (r burstRun) rate(phase int) float64 { return float64(r.n) / r.took[phase].Seconds() }

// runBurst fills a scratch database with n hazards due in one minute and works
// their reminders, then their deadlines, with the product's client on a job pool
// of jobPool connections; jobPool 0 is the baseline: one transaction per job,
// ten workers, the default pool.
func runBurst(b *testing.B, n, jobPool int) burstRun {
	b.Helper()
	ctx := context.Background()
	db, url := storagetest.NewDB(b)
	clock := &fakeClock{t: time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Hour)}
	sched, err := NewScheduler(db, false)
	if err != nil {
		b.Fatal(err)
	}
	first := clock.Now().Add(3 * time.Hour)
	spec := burstSpec{hazards: n, grids: max(10, n/100), sites: max(100, n/10), escalatedEvery: 10, first: first, plannedAt: clock.Now()}
	start := time.Now()
	fill := fillBurst(b, storage.New(storage.Deps{DB: db, Queue: sched, SMS: true, Now: clock.Now}), db, spec, sched.client.InsertManyFast)
	b.Logf("%d hazards and %d jobs written in %s", n, fill.jobs, time.Since(start).Round(time.Millisecond))

	// The job pool, the API's pool and one connection that watches the queue.
	jobDB, api, poll := db, openPool(b, url, 4), openPool(b, url, 1)
	if jobPool > 0 {
		jobDB = openPool(b, url, jobPool)
	}
	svc := storage.New(storage.Deps{DB: jobDB, Queue: sched, SMS: true, Now: clock.Now})
	lists := &latencies{}
	listCtx, stopList := context.WithCancel(ctx)
	defer stopList()
	go lists.loop(listCtx, storage.New(storage.Deps{DB: api, Now: clock.Now}).Hazards, fill.officer)
	lists.record(0)
	time.Sleep(2 * time.Second)

	var run burstRun
	run.n = n
	run.list[0] = lists.record(-1)
	for phase, at := range []time.Time{first.Add(-2*time.Hour + time.Minute), first.Add(time.Minute)} {
		// Autovacuum is off on the test server; in production it runs in the two
		// hours between the reminders and the deadlines.
		if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
		clock.Set(at)
		makeDue(b, db, at)
		client := burstClient(b, jobDB, svc, clock)
		if jobPool == 0 {
			client = perJobClient(b, jobDB, svc, clock)
		}
		lists.record(phase + 1)
		if err := client.Start(ctx); err != nil {
			b.Fatal(err)
		}
		run.took[phase] = waitQueue(b, poll, DeadlineQueue, at, 30*time.Minute)
		run.list[phase+1] = lists.record(-1)
		if err := client.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	}
	var left int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM hazards WHERE state <> 'reinspection_due'`).Scan(&left); err != nil || left != 0 {
		b.Fatalf("%d hazards not handled (%v)", left, err)
	}
	return run
}

// perJobClient is the baseline: the deadline workers without batches, ten at a
// time (the default queue's workers they had before).
func perJobClient(b *testing.B, db *storage.DB, svc *storage.Services, clock *fakeClock) *river.Client[pgx.Tx] {
	b.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	workers := river.NewWorkers()
	river.AddWorker(workers, &DeadlineReminderWorker{hazards: svc.Hazards, log: log, alone: true})
	river.AddWorker(workers, &HazardDeadlineWorker{hazards: svc.Hazards, log: log, alone: true})
	client, err := river.NewClient(riverpgxv5.New(db.Pool), &river.Config{
		Queues:  map[string]river.QueueConfig{DeadlineQueue: {MaxWorkers: 10}},
		Workers: workers, Logger: log, Test: river.TestConfig{Time: clock},
	})
	if err != nil {
		b.Fatal(err)
	}
	return client
}

func openPool(b *testing.B, url string, size int) *storage.DB {
	b.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = int32(size)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return &storage.DB{Pool: pool}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// latencies records the hazard list's latency into the bucket chosen last.
type latencies struct {
	mu      sync.Mutex
	bucket  int
	samples map[int][]time.Duration
}

// record starts bucket (-1: none) and returns the percentiles of the one before.
func (l *latencies) record(bucket int) percentiles {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.samples == nil {
		l.samples = map[int][]time.Duration{}
	}
	prev := l.samples[l.bucket]
	l.bucket = bucket
	return percentilesOf(prev)
}

func (l *latencies) loop(ctx context.Context, hazards *storage.HazardService, p inspect.Principal) {
	for ctx.Err() == nil {
		start := time.Now()
		if _, err := hazards.Hazards(ctx, p, inspect.HazardFilter{}); err != nil {
			return
		}
		d := time.Since(start)
		l.mu.Lock()
		if l.bucket >= 0 {
			l.samples[l.bucket] = append(l.samples[l.bucket], d)
		}
		l.mu.Unlock()
	}
}

type percentiles struct {
	n        int
	p50, p99 time.Duration
}

func (p percentiles) String() string {
	return fmt.Sprintf("p50 %s p99 %s (%d)", p.p50.Round(10*time.Microsecond), p.p99.Round(10*time.Microsecond), p.n)
}

func percentilesOf(ds []time.Duration) percentiles {
	if len(ds) == 0 {
		return percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return percentiles{n: len(s), p50: s[len(s)/2], p99: s[min(len(s)-1, len(s)*99/100)]}
}
