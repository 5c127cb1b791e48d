package storage_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// The KPI report counts the community's planned inspections due in the period
// (done, on time, overdue) and the merchants' visit requests made in it (answered,
// within 48 h, average response) — by hand below.
func TestKPIReportCountsPlannedWorkAndVisitRequests(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) // 18:00 in China
	env := storagetest.New(t)
	svc := storage.New(storage.Deps{DB: env.DB, Objects: env.Objects, Rules: env.Rules, Now: func() time.Time { return now }})
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(svc), "pw-kpi-work-2024")
	tr := f.Tree("District", "Subdistrict", "Community")
	officer := f.Principal(f.Officer("officer", tr.Community))
	f.Inspector("inspector", tr.Grid)
	merchant := f.Merchant("merchant")
	var sites []inspect.Site
	for i := range 12 {
		sites = append(sites, f.Site(inspect.Site{Name: fmt.Sprintf("site %d", i), GridID: tr.Grid.ID, MerchantIDs: []int64{merchant.ID}}))
	}
	merchantP := f.Principal(merchant)
	ctx := t.Context()
	pl, err := svc.Plans.CreatePlan(ctx, officer, inspect.Plan{UnitID: tr.Community.ID, Name: "月检", Kind: inspect.PlanCadence, Months: 1})
	if err != nil {
		t.Fatal(err)
	}
	if run, err := svc.Plans.RunPlan(ctx, officer, pl.ID); err != nil || run.Created != 12 {
		t.Fatalf("plan run: %+v %v", run, err)
	}
	var planned []int64
	rows, err := env.DB.Pool.Query(ctx, `SELECT inspection_id FROM plan_inspections ORDER BY inspection_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		planned = append(planned, id)
	}
	if rows.Err() != nil || len(planned) != 12 {
		t.Fatalf("planned inspections: %v %v", planned, rows.Err())
	}
	set := func(id int64, due time.Time, submitted *time.Time) {
		t.Helper()
		if _, err := env.DB.Pool.Exec(ctx, `UPDATE inspections SET due = $2, submitted_at = $3, status = CASE WHEN $3::timestamptz IS NULL THEN status ELSE 'submitted' END WHERE id = $1`,
			id, due, submitted); err != nil {
			t.Fatal(err)
		}
	}
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	day := 24 * time.Hour
	for i, id := range planned {
		switch {
		case i < 3: // done on time
			set(id, now.Add(-2*day), at(-3*day))
		case i == 3: // done late
			set(id, now.Add(-2*day), at(-day))
		case i < 6: // overdue
			set(id, now.Add(-time.Hour), nil)
		case i < 11: // due later today, open
			set(id, now.Add(5*time.Hour), nil)
		default: // due next year: outside the period
			set(id, time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), nil)
		}
	}
	// Three visit requests now: answered after 10 h, after 60 h, not yet.
	var visits []int64
	for _, s := range sites[:3] {
		v, err := svc.Inspections.RequestVisit(ctx, merchantP, s.ID, inspect.VisitAdvice, "请来指导")
		if err != nil {
			t.Fatal(err)
		}
		visits = append(visits, v.InspectionID)
	}
	set(visits[0], now.Add(48*time.Hour), at(10*time.Hour))
	set(visits[1], now.Add(48*time.Hour), at(60*time.Hour))

	period, err := inspect.ParsePeriod("2026-11-01", "2026-12-02")
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Policy.KPIReport(ctx, officer, tr.Community.ID, period)
	if err != nil {
		t.Fatal(err)
	}
	if want := (inspect.PlannedWork{Due: 11, Done: 4, DoneOnTime: 3, Overdue: 2}); r.Planned != want {
		t.Errorf("planned: %+v, want %+v", r.Planned, want)
	}
	v := r.Visits
	if v.Requests != 3 || v.Answered != 2 || v.AnsweredInTime != 1 || v.AverageResponseHours == nil || math.Abs(*v.AverageResponseHours-35) > 1e-9 {
		t.Errorf("visits: %+v (average %v), want 3 requests, 2 answered, 1 within 48 h, 35 h on average", v, v.AverageResponseHours)
	}
	// Another period holds none of it.
	dec, _ := inspect.ParsePeriod("2026-12-02", "2026-12-31")
	if r, err := svc.Policy.KPIReport(ctx, officer, tr.Community.ID, dec); err != nil || r.Planned != (inspect.PlannedWork{}) || r.Visits.Requests != 0 || r.Visits.AverageResponseHours != nil {
		t.Errorf("December: %+v %+v %v", r.Planned, r.Visits, err)
	}
}
