package jobs

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// The deadline burst: a district whose hazards all fall due in the same minute,
// shared by TestDeadlineBurst and BenchmarkDeadlineBurst. The rows are written
// with SQL (a grown city, not a workflow), with valid event chains; their jobs are
// the ones the product plans (inspect.PlanDeadline, DeadlineJobs), inserted in
// bulk.

// fakeClock is the injected clock of the services and of River (River's
// rivertype.TimeGenerator).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) NowOrNil() *time.Time {
	t := c.Now()
	return &t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// burstSpec says how big the burst is.
type burstSpec struct {
	hazards int
	grids   int
	sites   int // spread over the grids, one merchant each
	// escalatedEvery: every k-th hazard was escalated to the community once (its
	// clock runs again with the community's deadline); 0 for none.
	escalatedEvery int
	// first is the first deadline; hazard i's deadline is first + i mod 60 s.
	first time.Time
	// plannedAt is when the deadlines were set (reminders after it are planned).
	plannedAt time.Time
}

// burst is what fillBurst wrote.
type burst struct {
	hazards   []inspect.Hazard
	merchant  map[int64]int64 // site → its merchant
	community inspect.Unit
	officer   inspect.Principal // the district's safety officer
	jobs      int               // deadline and reminder jobs planned
}

// fillBurst writes spec's district into db and plans the deadlines' jobs with
// insert (River's InsertManyFast).
func fillBurst(tb testing.TB, svc *storage.Services, db *storage.DB, spec burstSpec,
	insert func(context.Context, []river.InsertManyParams) (int, error)) burst {
	tb.Helper()
	ctx := context.Background()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	f := storagetest.NewFactory(tb, storagetest.DirectoryOf(svc), "burst password")
	tree := f.Tree("武侯区", "玉林街道", "玉林北路社区", "第1网格")
	b := burst{merchant: map[int64]int64{}, community: tree.Community}
	b.officer = f.Principal(f.Officer("district-officer", tree.District))

	// Grids, with an inspector each; sites, with a merchant each.
	rows, _ := db.Pool.Query(ctx, `INSERT INTO units (parent_id, level, name)
		SELECT $1, 'grid', '网格 ' || g FROM generate_series(1, $2) g RETURNING id`, tree.Community.ID, spec.grids)
	grids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	must(err)
	rows, _ = db.Pool.Query(ctx, `INSERT INTO users (username, phone, display_name, role, unit_id, password_hash)
		SELECT 'burst-inspector-' || i, '1391' || lpad(i::text, 7, '0'), 'Inspector ' || i, 'inspector', g, 'x'
		FROM unnest($1::bigint[]) WITH ORDINALITY AS t(g, i) ORDER BY i RETURNING id`, grids)
	inspectors, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	must(err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO user_grids (user_id, grid_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])`, inspectors, grids)
	must(err)
	rows, _ = db.Pool.Query(ctx, `INSERT INTO sites (name, type, address, lat, lng, grid_id)
		SELECT '小吃店 ' || i, 'restaurant', '玉林北路 ' || i || ' 号', 30.64, 104.05, ($1::bigint[])[1 + (i - 1) % cardinality($1::bigint[])]
		FROM generate_series(1, $2) i ORDER BY i RETURNING id`, grids, spec.sites)
	sites, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	must(err)
	rows, _ = db.Pool.Query(ctx, `INSERT INTO users (username, phone, display_name, role, password_hash)
		SELECT 'burst-merchant-' || i, '1392' || lpad(i::text, 7, '0'), 'Merchant ' || i, 'merchant', 'x'
		FROM generate_series(1, $1) i ORDER BY i RETURNING id`, spec.sites)
	merchants, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	must(err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO site_merchants (site_id, user_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])`, sites, merchants)
	must(err)
	for i, s := range sites {
		b.merchant[s] = merchants[i]
	}

	// Hazards with their event chains: notified, or notified, overdue and
	// escalated to the community.
	var base int64
	must(db.Pool.QueryRow(ctx, `SELECT COALESCE(max(id), 0) FROM hazards`).Scan(&base))
	policy := inspect.DefaultPolicy()
	var hazardRows, eventRows [][]any
	var plans []inspect.DeadlineSchedule
	created := spec.plannedAt.Add(-7 * 24 * time.Hour)
	for i := range spec.hazards {
		site := sites[i%len(sites)]
		g := (i % len(sites)) % len(grids)
		h := inspect.Hazard{ID: base + int64(i) + 1, SiteID: site, GridID: grids[g], RuleCode: fmt.Sprintf("R%05d", i/len(sites)),
			State: inspect.StateNotified, Severity: inspect.SeverityGeneral, Level: inspect.LevelGrid, UnitID: grids[g],
			InspectorID: inspectors[g], Observations: 1, Deadline: spec.first.Add(time.Duration(i%60) * time.Second), CreatedAt: created}
		steps := []struct {
			kind    string
			payload any
		}{
			{"created", map[string]any{"rule_code": h.RuleCode, "severity": h.Severity}},
			{"notify", inspect.TransitionPayload{From: inspect.StateOpen, To: inspect.StateNotified}},
		}
		if spec.escalatedEvery > 0 && i%spec.escalatedEvery == 0 {
			old := h.Deadline.Add(-3 * 24 * time.Hour)
			h.State, h.Level, h.UnitID, h.Escalations = inspect.StateEscalated, inspect.LevelCommunity, tree.Community.ID, 1
			steps = append(steps,
				struct {
					kind    string
					payload any
				}{"deadline_passed", inspect.TransitionPayload{From: inspect.StateNotified, To: inspect.StateReinspectionDue, PassedDeadline: &old}},
				struct {
					kind    string
					payload any
				}{"reinspect_present", inspect.TransitionPayload{From: inspect.StateReinspectionDue, To: inspect.StateEscalated}})
		}
		var prev *inspect.Event
		for k, st := range steps {
			actor := inspectors[g]
			if st.kind == "deadline_passed" {
				actor = 0
			}
			e, err := inspect.NewEvent(prev, h.ID, actor, created.Add(time.Duration(k)*time.Hour), st.kind, st.payload)
			must(err)
			eventRows = append(eventRows, []any{e.HazardID, e.Seq, e.Actor, e.At, e.Kind, string(e.Payload), e.PrevHash, e.Hash})
			prev = &e
		}
		hazardRows = append(hazardRows, []any{h.ID, h.SiteID, h.GridID, h.RuleCode, string(h.State), string(h.Severity), string(h.Level),
			h.UnitID, h.InspectorID, h.Escalations, h.Deadline, h.CreatedAt, prev.Seq, prev.Hash})
		b.hazards = append(b.hazards, h)
		if plan, ok := inspect.PlanDeadline(h, policy, spec.plannedAt); ok {
			plans = append(plans, plan)
		}
	}
	_, err = db.Pool.CopyFrom(ctx, pgx.Identifier{"hazards"}, []string{"id", "site_id", "grid_id", "rule_code", "state", "severity", "level",
		"unit_id", "inspector_id", "escalations", "deadline", "created_at", "head_seq", "head_hash"}, pgx.CopyFromRows(hazardRows))
	must(err)
	_, err = db.Pool.CopyFrom(ctx, pgx.Identifier{"hazard_events"}, []string{"hazard_id", "seq", "actor", "at", "kind", "payload", "prev_hash", "hash"},
		pgx.CopyFromRows(eventRows))
	must(err)
	_, err = db.Pool.Exec(ctx, `SELECT setval('hazards_id_seq', (SELECT max(id) FROM hazards))`)
	must(err)
	params := DeadlineJobs(plans)
	for start := 0; start < len(params); start += 10_000 {
		n, err := insert(ctx, params[start:min(start+10_000, len(params))])
		must(err)
		b.jobs += n
	}
	_, err = db.Pool.Exec(ctx, `ANALYZE`)
	must(err)
	return b
}

// makeDue does what River's scheduler does when time reaches now: the scheduled
// jobs due by then become available. Tests call it so as not to wait for the
// scheduler's next run (every 5 s).
func makeDue(tb testing.TB, db *storage.DB, now time.Time) {
	tb.Helper()
	if _, err := db.Pool.Exec(context.Background(), `UPDATE river_job SET state = 'available'
		WHERE state = 'scheduled' AND scheduled_at <= $1`, now); err != nil {
		tb.Fatal(err)
	}
}

// waitQueue waits until queue has no job due by now left to work.
func waitQueue(tb testing.TB, db *storage.DB, queue string, now time.Time, limit time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	for {
		var left int
		if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE queue = $1
			AND state IN ('available', 'running', 'retryable', 'scheduled') AND scheduled_at <= $2`, queue, now).Scan(&left); err != nil {
			tb.Fatal(err)
		}
		if left == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			tb.Fatalf("%d jobs of queue %s still due after %s", left, queue, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
