package jobs

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// burstClient is the product's River client (clientConfig) on db, on clock:
// deliveries are left queued (their queue is not worked) and no periodic job runs.
func burstClient(tb testing.TB, db *storage.DB, svc *storage.Services, clock *fakeClock) *river.Client[pgx.Tx] {
	tb.Helper()
	cfg, err := clientConfig(Config{DB: db, Services: svc, Senders: Senders{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	if clock != nil {
		cfg.Test.Time = clock
	}
	delete(cfg.Queues, NotificationQueue)
	cfg.PeriodicJobs = nil
	cfg.FetchCooldown, cfg.FetchPollInterval = 10*time.Millisecond, 50*time.Millisecond
	client, err := river.NewClient(riverpgxv5.New(db.Pool), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

// TestDeadlineBurst: 3,000 hazards whose deadlines fall in the same minute, a
// tenth of them already escalated once, worked by the product's River client on
// an injected clock at 24 h before, 2 h before and after the deadline. Every
// reminder and every re-inspection task is stored once per user and channel with
// one delivery job per text message, every deadline passes once, no escalation
// happens again, and every hazard's event chain verifies. Working a sample of
// the jobs a second time (a rescued job) changes nothing.
func TestDeadlineBurst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := storagetest.NewDB(t)
	clock := &fakeClock{t: time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Hour)}
	sched, err := NewScheduler(db, false)
	if err != nil {
		t.Fatal(err)
	}
	svc := storage.New(storage.Deps{DB: db, Queue: sched, SMS: true, Now: clock.Now})
	first := clock.Now().Add(25 * time.Hour)
	spec := burstSpec{hazards: 3000, grids: 10, sites: 300, escalatedEvery: 10, first: first, plannedAt: clock.Now()}
	start := time.Now()
	b := fillBurst(t, svc, db, spec, sched.client.InsertManyFast)
	t.Logf("filled in %s", time.Since(start))
	if want := 3 * spec.hazards; b.jobs != want {
		t.Fatalf("%d jobs planned, want %d (two reminders and the deadline each)", b.jobs, want)
	}

	client := burstClient(t, db, svc, clock)
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Stop(context.Background()) })
	for _, at := range []time.Time{first.Add(-24*time.Hour + time.Minute), first.Add(-2*time.Hour + time.Minute), first.Add(time.Minute)} {
		clock.Set(at)
		makeDue(t, db, at)
		t.Logf("jobs due at %s worked in %s", at.Sub(first), waitQueue(t, db, DeadlineQueue, at, time.Minute))
	}
	if err := client.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	escalated := spec.hazards / spec.escalatedEvery
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	outbox := func() map[string]int {
		t.Helper()
		rows, _ := db.Pool.Query(ctx, `SELECT dedup_key || ' ' || channel, count(*) FROM notifications GROUP BY 1`)
		out := map[string]int{}
		var k string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[k] = n; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(when string) {
		t.Helper()
		if n := count(`SELECT count(*) FROM hazards WHERE state <> 'reinspection_due'`); n != 0 {
			t.Errorf("%s: %d hazards not reinspection_due", when, n)
		}
		// Each hazard's deadline passed once: one deadline_passed event carries it.
		if n := count(`SELECT count(*) FROM hazards h WHERE (SELECT count(*) FROM hazard_events e WHERE e.hazard_id = h.id
				AND e.kind = 'deadline_passed' AND (e.payload->>'passed_deadline')::timestamptz = h.deadline) <> 1`); n != 0 {
			t.Errorf("%s: %d hazards whose deadline did not pass exactly once", when, n)
		}
		if n, want := count(`SELECT count(*) FROM hazard_events WHERE kind = 'deadline_passed'`), spec.hazards+escalated; n != want {
			t.Errorf("%s: %d deadline_passed events, want %d", when, n, want)
		}
		// No escalation happened again, and no one was told of one.
		if n := count(`SELECT count(*) FROM hazard_events WHERE kind = 'reinspect_present'`); n != escalated {
			t.Errorf("%s: %d escalation events, want %d", when, n, escalated)
		}
		// Reminders 24 h and 2 h before to the merchant and the inspector, the
		// re-inspection task to the inspector: in-app and by text, once each.
		want := map[string]int{}
		for _, h := range b.hazards {
			for _, before := range []time.Duration{24 * time.Hour, 2 * time.Hour} {
				key := inspect.DeadlineReminderKey(h.ID, h.Deadline, inspect.Duration(before))
				want[key+" in_app"], want[key+" sms"] = 2, 2
			}
			due := inspect.DeadlineDueKey(h.ID, h.Deadline)
			want[due+" in_app"], want[due+" sms"] = 1, 1
		}
		if got := outbox(); !maps.Equal(got, want) {
			diff := 0
			for k, v := range want {
				if got[k] != v {
					diff++
				}
			}
			t.Errorf("%s: outbox has %d keys (want %d), %d differ", when, len(got), len(want), diff)
		}
		if n := count(`SELECT count(*) FROM notifications WHERE kind = 'escalated'`); n != 0 {
			t.Errorf("%s: %d escalation notifications", when, n)
		}
		// One delivery job per text message.
		sms := count(`SELECT count(*) FROM notifications WHERE channel = 'sms'`)
		if n := count(`SELECT count(DISTINCT (args->>'notification_id')::bigint) FROM river_job WHERE kind = 'deliver_notification'`); n != sms {
			t.Errorf("%s: %d text messages have a delivery job, want all %d", when, n, sms)
		}
		if n := count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_notification'`); n != sms {
			t.Errorf("%s: %d delivery jobs for %d text messages", when, n, sms)
		}
		rep, err := db.VerifyHazardChains(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Broken) != 0 || rep.Hazards != spec.hazards || rep.Events != 3*spec.hazards+2*escalated {
			t.Errorf("%s: audit of %d hazards, %d events: %d broken chains", when, rep.Hazards, rep.Events, len(rep.Broken))
		}
	}
	start = time.Now()
	check("after the burst")
	t.Logf("checked in %s", time.Since(start))

	// Every job was worked and finished, most of them in batches.
	if n := count(`SELECT count(*) FROM river_job WHERE queue = $1 AND state = 'completed'`, DeadlineQueue); n != b.jobs {
		t.Errorf("%d of %d deadline jobs completed", n, b.jobs)
	}
	if n := count(`SELECT count(*) FROM river_job WHERE queue = $1 AND metadata ? 'worked_with_job'`, DeadlineQueue); n < b.jobs/2 {
		t.Errorf("only %d of %d jobs were worked in a batch", n, b.jobs)
	}

	// A rescued job runs again: every one of them, alone, changes nothing.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reminders, deadlines := &DeadlineReminderWorker{hazards: svc.Hazards, log: log}, &HazardDeadlineWorker{hazards: svc.Hazards, log: log}
	rows, _ := db.Pool.Query(ctx, `SELECT id FROM river_job WHERE queue = $1 AND id % 30 = 0`, DeadlineQueue)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	for _, id := range ids {
		row, err := client.JobGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		row.Attempt = 2 // a retry works alone
		switch row.Kind {
		case DeadlineReminderArgs{}.Kind():
			err = reminders.Work(ctx, decodeJob[DeadlineReminderArgs](t, row))
		default:
			err = deadlines.Work(ctx, decodeJob[HazardDeadlineArgs](t, row))
		}
		if err != nil {
			t.Fatalf("job %d again: %v", id, err)
		}
	}
	t.Logf("%d jobs worked again in %s", len(ids), time.Since(start))
	check("after working a thirtieth of the jobs again")
}

// TestDeadlineBatchLeavesBusyHazards: a batch does not wait for a hazard someone
// else holds (a user's action in progress): the job of that hazard stays due,
// unfinished, and is worked once the hazard is free.
func TestDeadlineBatchLeavesBusyHazards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := storagetest.NewDB(t)
	clock := &fakeClock{t: time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Hour)}
	sched, err := NewScheduler(db, false)
	if err != nil {
		t.Fatal(err)
	}
	svc := storage.New(storage.Deps{DB: db, Queue: sched, SMS: true, Now: clock.Now})
	first := clock.Now().Add(time.Hour)
	b := fillBurst(t, svc, db, burstSpec{hazards: 20, grids: 2, sites: 20, first: first, plannedAt: clock.Now()}, sched.client.InsertManyFast)
	clock.Set(first.Add(time.Minute))
	makeDue(t, db, clock.Now())

	busy, leader := b.hazards[7].ID, b.hazards[0].ID
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT id FROM hazards WHERE id = $1 FOR UPDATE`, busy); err != nil {
		t.Fatal(err)
	}
	worker := &HazardDeadlineWorker{hazards: svc.Hazards, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	work := func(hazard int64) {
		t.Helper()
		var id int64
		if err := db.Pool.QueryRow(ctx, `SELECT id FROM river_job WHERE kind = 'hazard_deadline' AND (args->>'hazard_id')::bigint = $1`, hazard).Scan(&id); err != nil {
			t.Fatal(err)
		}
		// As River's fetch leaves it: running, first attempt.
		if _, err := db.Pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1 WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		row, err := sched.client.JobGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := worker.Work(ctx, decodeJob[HazardDeadlineArgs](t, row)); err != nil {
			t.Fatal(err)
		}
	}
	states := func() (due, available int) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM hazards WHERE state = 'reinspection_due'),
			(SELECT count(*) FROM river_job WHERE kind = 'hazard_deadline' AND state = 'available')`).Scan(&due, &available); err != nil {
			t.Fatal(err)
		}
		return due, available
	}
	work(leader)
	if due, available := states(); due != 19 || available != 1 {
		t.Errorf("with hazard %d held: %d hazards due for re-inspection, %d jobs still available; want 19 and 1", busy, due, available)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	work(busy)
	if due, _ := states(); due != 20 {
		t.Errorf("after hazard %d was freed: %d hazards due for re-inspection, want 20", busy, due)
	}
	rep, err := db.VerifyHazardChains(ctx)
	if err != nil || len(rep.Broken) != 0 {
		t.Errorf("audit: %v, %d broken", err, len(rep.Broken))
	}
}
