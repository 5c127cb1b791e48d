package storage_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

const restaurantProfile = "restaurant-shandong-pipeline.json"

// planWorld is a community with two grids, four inspectors and twelve sites.
func planWorld(t *testing.T, now time.Time) (*storage.Services, *storage.DB, inspect.Unit, inspect.Principal) {
	t.Helper()
	env := storagetest.New(t)
	svc := storage.New(storage.Deps{DB: env.DB, Objects: env.Objects, Rules: env.Rules, Now: func() time.Time { return now }})
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(svc), "pw-plans-2024")
	tr := f.Tree("District", "Subdistrict", "Community")
	grid2 := f.Unit(tr.Community.ID, inspect.LevelGrid, "grid 2")
	officer := f.Officer("officer", tr.Community)
	for i, g := range []inspect.Unit{tr.Grid, tr.Grid, grid2, grid2} {
		f.Inspector(fmt.Sprintf("insp%d", i), g)
	}
	for i := range 12 {
		g := []inspect.Unit{tr.Grid, grid2}[i%2]
		site := inspect.Site{Name: fmt.Sprintf("site %d", i), GridID: g.ID}
		if i%3 == 1 {
			site.Type, site.Profile = "restaurant", storagetest.Profile(t, restaurantProfile)
		}
		f.Site(site)
	}
	return svc, env.DB, tr.Community, f.Principal(officer)
}

func TestDoubleRandomDrawReplaysAndRunsOncePerPeriod(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	svc, db, community, officer := planWorld(t, now)
	ctx := t.Context()
	pl, err := svc.Plans.CreatePlan(ctx, officer, inspect.Plan{UnitID: community.ID, Name: "双随机抽查 2026", Kind: inspect.PlanDoubleRandom, Months: 3, DrawCount: 5})
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.Plans.RunPlan(ctx, officer, pl.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := first.Draw
	if first.Period != "2026-Q4" || first.Created != 5 || d == nil || len(d.Sites) != 5 || len(d.Pairs) != 5 || len(d.Candidates) != 12 || len(d.Inspectors) != 4 {
		t.Fatalf("first run: %+v, draw %+v", first, d)
	}
	for i, p := range d.Pairs {
		if p[0] == p[1] {
			t.Errorf("pair %d is one inspector twice: %v", i, p)
		}
	}
	// Anyone with the recorded seed and inputs gets the same draw.
	stored, err := svc.Plans.Draws(ctx, officer, pl.ID, 0, 50)
	if err != nil || len(stored) != 1 {
		t.Fatalf("draws: %v %v", stored, err)
	}
	sites, pairs := inspect.RunDraw(stored[0].Seed, stored[0].Candidates, stored[0].Inspectors, stored[0].Count)
	if !slices.Equal(sites, d.Sites) || !slices.Equal(pairs, d.Pairs) || !stored[0].Verify() {
		t.Errorf("re-running the draw: sites %v pairs %v, want %v %v", sites, pairs, d.Sites, d.Pairs)
	}
	// Another seed draws otherwise (with 12 choose 5 orderings, alike by chance
	// almost never).
	if other, _ := inspect.RunDraw(stored[0].Seed+1, stored[0].Candidates, stored[0].Inspectors, 5); slices.Equal(other, d.Sites) {
		t.Errorf("seeds %d and %d drew the same sites", stored[0].Seed, stored[0].Seed+1)
	}

	// The periodic job runs the plan again in the same period, twice: nothing new.
	for range 2 {
		runs, err := svc.Plans.RunDuePlans(ctx, now.Add(time.Hour))
		if err != nil || len(runs) != 1 || runs[0].Created != 0 || runs[0].Already != 5 || !slices.Equal(runs[0].Draw.Sites, d.Sites) {
			t.Fatalf("a second run of the period: %+v %v", runs, err)
		}
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM inspections`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("%d inspections after three runs, want 5", n)
	}
	// The next quarter draws again.
	next, err := svc.Plans.RunDuePlans(ctx, now.AddDate(0, 2, 0))
	if err != nil || next[0].Period != "2027-Q1" || next[0].Created != 5 {
		t.Errorf("next quarter: %+v %v", next, err)
	}
	pub, err := svc.Plans.PublicDraws(ctx, 0, 10)
	if err != nil || len(pub) != 2 || len(pub[1].Sites) != 5 || pub[1].Plan != "双随机抽查 2026" {
		t.Errorf("published draws: %+v %v", pub, err)
	}
}

func TestCadencePlanMakesOneInspectionPerSitePerPeriod(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	svc, _, community, officer := planWorld(t, now)
	ctx := t.Context()
	pl, err := svc.Plans.CreatePlan(ctx, officer, inspect.Plan{UnitID: community.ID, Name: "餐饮月检", Kind: inspect.PlanCadence, Months: 1, SiteTypes: []inspect.SiteType{"restaurant"}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.Plans.RunPlan(ctx, officer, pl.ID)
	if err != nil || a.Created != 4 || a.Period != "2026-11" {
		t.Fatalf("first run: %+v %v", a, err)
	}
	b, err := svc.Plans.RunPlan(ctx, officer, pl.ID)
	if err != nil || b.Created != 0 || b.Already != 4 {
		t.Fatalf("second run: %+v %v", b, err)
	}
	list, err := svc.Inspections.Inspections(ctx, officer, inspect.InspectionFilter{Status: inspect.InspectionAssigned})
	if err != nil || len(list) != 4 {
		t.Fatalf("assigned inspections: %d %v", len(list), err)
	}
	if due := list[0].Due.In(inspect.ReportZone); due.Month() != time.November || due.Day() != 30 {
		t.Errorf("due %s, want the end of November (UTC+8)", due)
	}
	if _, err := svc.Plans.CreatePlan(ctx, officer, inspect.Plan{UnitID: community.ID, Name: "x", Kind: inspect.PlanCadence, Months: 2}); inspect.ErrorCode(err) != inspect.EINVALID {
		t.Errorf("a plan of 2 months: %v, want invalid", err)
	}
}
