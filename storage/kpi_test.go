package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// kpiWorld is a district of six grids (two subdistricts, three communities) with
// a site and a merchant in each grid, and a second district beside it.
type kpiWorld struct {
	ctx    context.Context
	db     *storage.DB
	store  *storage.Services
	units  []inspect.Unit // every unit of both districts
	grids  []inspect.Unit
	sites  []inspect.Site // sites[i] is in grids[i]
	owners []inspect.Principal
	admin  inspect.Principal
	rules  int // rule codes used, one per hazard (a site has one open hazard per rule)
}

func newKPIWorld(t *testing.T) *kpiWorld {
	t.Helper()
	db, _ := storagetest.NewDB(t)
	w := &kpiWorld{ctx: context.Background(), db: db, store: storage.New(storage.Deps{DB: db})}
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(w.store), "kpi-rollup-password")
	w.admin = f.AdminP
	for d := range 2 {
		district := f.Unit(0, inspect.LevelDistrict, fmt.Sprintf("District %d", d))
		w.units = append(w.units, district)
		for s := range 2 - d {
			sub := f.Unit(district.ID, inspect.LevelSubdistrict, fmt.Sprintf("Sub %d.%d", d, s))
			w.units = append(w.units, sub)
			for c := range 2 - s {
				com := f.Unit(sub.ID, inspect.LevelCommunity, fmt.Sprintf("Com %d.%d.%d", d, s, c))
				w.units = append(w.units, com)
				for g := range 2 {
					grid := f.Unit(com.ID, inspect.LevelGrid, fmt.Sprintf("Grid %d.%d.%d.%d", d, s, c, g))
					merchant := f.Merchant(fmt.Sprintf("merchant%d", grid.ID))
					site := f.Site(inspect.Site{Name: grid.Name + " shop", GridID: grid.ID, MerchantIDs: []int64{merchant.ID}})
					w.units, w.grids, w.sites = append(w.units, grid), append(w.grids, grid), append(w.sites, site)
					w.owners = append(w.owners, f.Principal(merchant))
				}
			}
		}
	}
	return w
}

// kpiEdges are instants around the edges of days and months in China time and
// in UTC, where a rollup keyed by the wrong day would show.
func kpiEdges() []time.Time {
	var out []time.Time
	for _, day := range []string{"2025-01-31", "2025-02-01", "2025-02-28", "2025-03-01", "2025-03-15", "2025-12-31", "2026-01-01"} {
		cst, _ := time.ParseInLocation(time.DateOnly, day, inspect.ReportZone)
		utc, _ := time.Parse(time.DateOnly, day)
		for _, at := range []time.Time{cst, utc} {
			for _, d := range []time.Duration{-time.Hour, -time.Microsecond, 0, time.Microsecond, 7 * time.Hour} {
				out = append(out, at.Add(d))
			}
		}
	}
	return out
}

// randomInstant is an edge or any microsecond between the first and last edge.
func randomInstant(rng *rand.Rand, edges []time.Time) time.Time {
	if rng.IntN(3) > 0 {
		return edges[rng.IntN(len(edges))]
	}
	first, last := edges[0].Add(-48*time.Hour), edges[len(edges)-1].Add(48*time.Hour)
	return first.Add(time.Duration(rng.Int64N(int64(last.Sub(first))/1000) * 1000))
}

var kpiStates = []inspect.HazardState{inspect.StateOpen, inspect.StateReturned, inspect.StateNotified,
	inspect.StateRectificationSubmitted, inspect.StateReinspectionDue, inspect.StateEscalated,
	inspect.StateUnderDetermination, inspect.StateClosedFixed, inspect.StateClosedOnSpot, inspect.StateWithdrawn}

// insertHazards inserts n hazards of random grids, states and times, in
// statements of one to five rows.
func (w *kpiWorld) insertHazards(t *testing.T, rng *rand.Rand, edges []time.Time, n int) {
	t.Helper()
	for i := 0; i < n; {
		batch := &pgx.Batch{}
		rows := min(1+rng.IntN(5), n-i)
		sql := `INSERT INTO hazards (site_id, grid_id, rule_code, state, severity, level, unit_id, deadline, created_at, closed_at, returns, rating) VALUES `
		var args []any
		for r := range rows {
			g := rng.IntN(len(w.grids))
			state := kpiStates[rng.IntN(len(kpiStates))]
			created := randomInstant(rng, edges)
			deadline := created.Add(time.Duration(rng.IntN(72)) * time.Hour)
			var closed *time.Time
			if !inspect.IsOpen(state) {
				c := deadline.Add(time.Duration(rng.IntN(5)-2) * time.Hour)
				if rng.IntN(4) == 0 {
					c = deadline // on time, to the microsecond
				}
				closed = &c
			}
			rating := 0
			if state == inspect.StateClosedFixed || state == inspect.StateClosedOnSpot {
				rating = rng.IntN(6)
			}
			if r > 0 {
				sql += ", "
			}
			k := len(args)
			sql += fmt.Sprintf("($%d, $%d, $%d, $%d, 'general', 'grid', $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+2, k+5, k+6, k+7, k+8, k+9)
			args = append(args, w.sites[g].ID, w.grids[g].ID, fmt.Sprintf("KPI-%d", w.rules+i+r), state, deadline, created, closed, rng.IntN(3)*rng.IntN(2), rating)
		}
		batch.Queue(sql, args...)
		if err := w.db.Pool.SendBatch(w.ctx, batch).Close(); err != nil {
			t.Fatalf("insert hazards: %v", err)
		}
		i += rows
	}
	w.rules += n
}

// checkKPIs compares the rollup counts with the raw ones for count random
// (unit, period) pairs and the whole span of the data for every unit.
func (w *kpiWorld) checkKPIs(t *testing.T, rng *rand.Rand, edges []time.Time, count int, stage string) {
	t.Helper()
	whole := inspect.Period{From: edges[0].Add(-72 * time.Hour), To: edges[len(edges)-1].Add(72 * time.Hour)}
	check := func(unit inspect.Unit, period inspect.Period) {
		t.Helper()
		got, err := w.store.Policy.KPIReport(w.ctx, inspect.Operator(), unit.ID, period)
		if err != nil {
			t.Fatalf("%s: rollup KPIs of %s over %v: %v", stage, unit.Name, period, err)
		}
		want, err := w.store.Policy.KPIReportRaw(w.ctx, inspect.Operator(), unit.ID, period)
		if err != nil {
			t.Fatalf("%s: raw KPIs of %s over %v: %v", stage, unit.Name, period, err)
		}
		if diff := cmp.Diff(want.Counts, got.Counts); diff != "" {
			t.Errorf("%s: KPIs of %s from %s to %s: rollups differ from the raw count (-raw +rollup):\n%s",
				stage, unit.Name, period.From.Format(time.RFC3339Nano), period.To.Format(time.RFC3339Nano), diff)
		}
	}
	for _, u := range w.units {
		check(u, whole)
	}
	for range count {
		a, b := randomInstant(rng, edges), randomInstant(rng, edges)
		if b.Before(a) {
			a, b = b, a
		}
		check(w.units[rng.IntN(len(w.units))], inspect.Period{From: a, To: b})
	}
	if rep, err := w.db.VerifyKPIRollups(w.ctx); err != nil || rep.Mismatched != 0 {
		t.Errorf("%s: VerifyKPIRollups: %+v, %v; want no mismatched rollup rows", stage, rep, err)
	}
}

// TestKPIRollupExact checks that the rollup-based KPI counts equal the raw count
// of hazards for random units and periods (edges anywhere, also a microsecond
// around midnight of China time, of UTC and of months), after inserts and after
// every kind of change: the product's own actions and ratings, and SQL updates
// of every counted column, of the grid and of the time of recording, and deletes.
func TestKPIRollupExact(t *testing.T) {
	t.Parallel()
	w := newKPIWorld(t)
	rng := rand.New(rand.NewPCG(2025, 3))
	edges := kpiEdges()
	w.insertHazards(t, rng, edges, 400)
	w.checkKPIs(t, rng, edges, 150, "after inserts")

	ids := func(sql string, args ...any) []int64 {
		rows, err := w.db.Pool.Query(w.ctx, sql, args...)
		out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The product's own changes: ratings by the site's merchant, the safety
	// office's actions as the admin and the deadline passing.
	acted := map[string]int{}
	for _, id := range ids(`SELECT id FROM hazards ORDER BY id`) {
		var site int64
		if err := w.db.Pool.QueryRow(w.ctx, `SELECT site_id FROM hazards WHERE id = $1`, id).Scan(&site); err != nil {
			t.Fatal(err)
		}
		var err error
		switch rng.IntN(5) {
		case 0:
			for i, s := range w.sites {
				if s.ID == site {
					_, err = w.store.Hazards.RateHazard(w.ctx, w.owners[i], id, 1+rng.IntN(5))
				}
			}
			if err == nil {
				acted["rate"]++
			}
		case 1, 2:
			a := []inspect.Action{inspect.ActionWithdraw, inspect.ActionReturnForCorrection, inspect.ActionFixOnSpot,
				inspect.ActionReinspectFixed, inspect.ActionNotify}[rng.IntN(5)]
			if _, err = w.store.Hazards.HazardAction(w.ctx, w.admin, id, a, inspect.HazardActionInput{Note: "kpi test"}); err == nil {
				acted[string(a)]++
			}
		case 3:
			var deadline time.Time
			if err := w.db.Pool.QueryRow(w.ctx, `SELECT deadline FROM hazards WHERE id = $1`, id).Scan(&deadline); err != nil {
				t.Fatal(err)
			}
			if out, err := w.store.Hazards.PassDeadline(w.ctx, id, deadline); err == nil && out == storage.DeadlineActed {
				acted["deadline passed"]++
			}
		}
		if code := inspect.ErrorCode(err); err != nil && code == inspect.EINTERNAL {
			t.Fatalf("hazard %d: %v", id, err)
		}
	}
	t.Logf("product changes: %v", acted)
	if len(acted) < 3 {
		t.Errorf("only %v of the product's changes succeeded; the test no longer exercises them", acted)
	}
	w.checkKPIs(t, rng, edges, 100, "after the product's changes")

	// SQL changes of every counted column, one row or many per statement.
	changes := []string{
		`UPDATE hazards SET state = 'closed_fixed', closed_at = deadline WHERE id = ANY($1)`,
		`UPDATE hazards SET state = 'closed_on_spot', closed_at = created_at, rating = 4 WHERE id = ANY($1)`,
		`UPDATE hazards SET state = 'withdrawn', rating = 0 WHERE id = ANY($1)`,
		`UPDATE hazards SET returns = returns + 1 WHERE id = ANY($1)`,
		`UPDATE hazards SET deadline = deadline + interval '2 hours' WHERE id = ANY($1)`,
		`UPDATE hazards SET closed_at = closed_at - interval '3 hours' WHERE id = ANY($1)`,
		`UPDATE hazards SET rating = 5 - rating WHERE id = ANY($1) AND state IN ('closed_fixed', 'closed_on_spot')`,
		`UPDATE hazards SET created_at = created_at + interval '1 microsecond' WHERE id = ANY($1)`,
		`UPDATE hazards SET created_at = created_at - interval '8 hours' WHERE id = ANY($1)`,
		`UPDATE hazards SET grid_id = (SELECT grid_id FROM hazards h2 WHERE h2.id <> hazards.id ORDER BY h2.id DESC LIMIT 1) WHERE id = ANY($1)`,
		`UPDATE hazards SET note = 'only a note' WHERE id = ANY($1)`,
	}
	all := ids(`SELECT id FROM hazards ORDER BY id`)
	for round := range 3 {
		for _, sql := range changes {
			pick := make([]int64, 0, 8)
			for range 1 + rng.IntN(8) {
				pick = append(pick, all[rng.IntN(len(all))])
			}
			if _, err := w.db.Pool.Exec(w.ctx, sql, pick); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		w.checkKPIs(t, rng, edges, 50, fmt.Sprintf("after SQL changes, round %d", round))
	}
	// Deletes (the product never deletes a hazard; a repair might), of the rows
	// nothing else refers to.
	deleted := 0
	for _, id := range all {
		if id%5 != 0 {
			continue
		}
		if _, err := w.db.Pool.Exec(w.ctx, `DELETE FROM hazards WHERE id = $1`, id); err == nil {
			deleted++
		} else if !strings.Contains(err.Error(), "23503") {
			t.Fatalf("delete hazard %d: %v", id, err)
		}
	}
	if deleted == 0 {
		t.Error("no hazard deleted; the test no longer exercises deletes")
	}
	w.insertHazards(t, rng, edges, 50)
	w.checkKPIs(t, rng, edges, 100, "after deletes and more inserts")
}

// TestKPIRollupConcurrentWriters runs two writers whose single statements
// change many hazards of the same grids and days, visited in opposite orders:
// the rollup rows they share are locked in one order, so neither deadlocks, and
// the counts stay exact.
func TestKPIRollupConcurrentWriters(t *testing.T) {
	t.Parallel()
	w := newKPIWorld(t)
	rng := rand.New(rand.NewPCG(7, 11))
	edges := kpiEdges()
	w.insertHazards(t, rng, edges, 300)
	rows, err := w.db.Pool.Query(w.ctx, `SELECT id FROM hazards ORDER BY grid_id, created_at, id`)
	all, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	// Writer 0 takes the even hazards in (grid, time) order, writer 1 the odd
	// ones in reverse: different hazard rows, the same rollup rows.
	var mine [2][]int64
	for i, id := range all {
		mine[i%2] = append(mine[i%2], id)
	}
	for i, j := 0, len(mine[1])-1; i < j; i, j = i+1, j-1 {
		mine[1][i], mine[1][j] = mine[1][j], mine[1][i]
	}
	// The ids are joined in the order given; each statement holds its rollup
	// locks until a short pause before commit, so the two overlap.
	const update = `UPDATE hazards h SET returns = h.returns + 1, rating = (h.rating + 1) % 6
		FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) WHERE h.id = u.id`
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for wr := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				err := pgx.BeginFunc(w.ctx, w.db.Pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(w.ctx, update, mine[wr]); err != nil {
						return err
					}
					_, err := tx.Exec(w.ctx, `SELECT pg_sleep(0.005)`)
					return err
				})
				if err != nil {
					errs[wr] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for wr, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", wr, err)
		}
	}
	w.checkKPIs(t, rng, edges, 30, "after concurrent writers")
}
