package seed

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// BenchmarkCityGenerate measures generating a city's rows in Go, without the
// database: the part of seed-load that runs beside the COPY.
func BenchmarkCityGenerate(b *testing.B) {
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	w, err := newWorld(rules, CityOptions{Sites: 1000, Hazards: 50000, Years: 3, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	w.people()
	hazards := 0
	b.ResetTimer()
	for range b.N {
		bt, err := w.sites(0, 1000)
		if err != nil {
			b.Fatal(err)
		}
		hazards += bt.rows("hazards")
	}
	b.ReportMetric(float64(hazards)/b.Elapsed().Seconds(), "hazards/s")
}

// fingerprint sums up a city: every table's row count and the hash of every
// hazard's chain head, in id order.
func fingerprint(t *testing.T, db *storage.DB) string {
	t.Helper()
	var fp string
	err := db.Pool.QueryRow(context.Background(), `SELECT concat_ws(' ',
		(SELECT count(*) FROM units), (SELECT count(*) FROM users), (SELECT count(*) FROM sites),
		(SELECT count(*) FROM inspections), (SELECT count(*) FROM inspection_items), (SELECT count(*) FROM hazard_events),
		(SELECT count(*) FROM photos), (SELECT count(*) FROM ai_flags), (SELECT count(*) FROM notifications),
		(SELECT count(*) FROM determinations), (SELECT count(*) FROM listed_supervisions),
		(SELECT md5(string_agg(head_hash, ',' ORDER BY id)) FROM hazards))`).Scan(&fp)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

func constraintsAndIndexes(t *testing.T, db *storage.DB) string {
	t.Helper()
	var s string
	err := db.Pool.QueryRow(context.Background(), `SELECT
		(SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE connamespace = 'public'::regnamespace) || ' ' ||
		(SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public')`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCityIsConsistentAndDeterministic(t *testing.T) {
	ctx := context.Background()
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	opts := CityOptions{Sites: 100, Hazards: 3000, Years: 2, Seed: 7, Now: now}
	city := func(o CityOptions) (*storage.DB, CitySummary) {
		db, _ := storagetest.NewDB(t)
		before := constraintsAndIndexes(t, db)
		sum, err := City(ctx, db, rules, o)
		if err != nil {
			t.Fatalf("City: %v", err)
		}
		if after := constraintsAndIndexes(t, db); after != before {
			t.Errorf("the load did not restore every index and constraint:\nbefore %s\nafter  %s", before, after)
		}
		return db, sum
	}
	db, sum := city(opts)
	if sum.Hazards != opts.Hazards || sum.Sites != opts.Sites {
		t.Errorf("wrote %d hazards at %d sites, want %d at %d", sum.Hazards, sum.Sites, opts.Hazards, opts.Sites)
	}
	rep, err := db.VerifyHazardChains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hazards != opts.Hazards || len(rep.Broken) > 0 {
		t.Fatalf("audit: %d hazards checked, broken chains %v", rep.Hazards, rep.Broken)
	}
	// Every hazard's row agrees with its chain: the last event's state, and the
	// head recorded on the row (VerifyHead above).
	var disagree int
	err = db.Pool.QueryRow(ctx, `SELECT count(*) FROM hazards h JOIN hazard_events e ON e.hazard_id = h.id AND e.seq = h.head_seq
		WHERE e.payload ? 'to' AND e.payload->>'to' <> h.state`).Scan(&disagree)
	if err != nil || disagree > 0 {
		t.Errorf("%d hazards whose state is not their last transition's (err %v)", disagree, err)
	}
	var states, open int
	if err := db.Pool.QueryRow(ctx, `SELECT count(DISTINCT state), count(*) FILTER (WHERE state NOT IN ('closed_fixed', 'closed_on_spot', 'withdrawn')) FROM hazards`).Scan(&states, &open); err != nil {
		t.Fatal(err)
	}
	if states < 6 || open == 0 || open != sum.OpenHazards {
		t.Errorf("%d distinct states and %d open hazards (summary says %d): not a lived-in city", states, open, sum.OpenHazards)
	}
	if sum.Events <= sum.Hazards || sum.Notifications == 0 || sum.Flags == 0 {
		t.Errorf("summary %+v: too few events, notifications or flags", sum)
	}
	// The same options and seed write the same city; another seed another.
	again, _ := city(opts)
	if a, b := fingerprint(t, db), fingerprint(t, again); a != b {
		t.Errorf("the same seed wrote two cities:\n%s\n%s", a, b)
	}
	opts.Seed = 8
	other, _ := city(opts)
	if a, b := fingerprint(t, db), fingerprint(t, other); a == b {
		t.Errorf("seeds 7 and 8 wrote the same city %s", a)
	}
	if _, err := City(ctx, db, rules, opts); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("a second load into the same database: err %v, want a refusal naming the empty database", err)
	}
}
