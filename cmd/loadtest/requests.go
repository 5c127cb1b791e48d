package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// actor is one logged-in user of the load: their principal for the raw calls,
// their token for HTTP, and what they work on.
type actor struct {
	p          inspect.Principal
	username   string
	token      string
	inspection int64    // an inspector's started inspection, 0 for none
	items      []string // its item codes
	next       int      // the next item to answer
}

// request is one thing users do, named as the table prints it: the HTTP request,
// and the same work done straight through storage (the services the handler
// calls, with the same filter) for the baseline. raw is nil for writes and for
// requests that are only HTTP.
type request struct {
	name string
	role inspect.Role
	// district: only the district's officer makes this request.
	district bool
	path     func(a *actor, city *city) string
	raw      func(ctx context.Context, svc *storage.Services, a *actor, city *city) error
}

// city is what the load learned of the database: the district and a period.
type city struct {
	districtID int64
	from, to   string // the KPI period: the last three years, days in UTC+8
}

// reads are the read requests of the mix, by role.
var reads = []request{
	{name: "inspector: today's inspections", role: inspect.RoleInspector,
		path: func(a *actor, c *city) string { return "/api/v1/inspections?status=assigned&limit=50" },
		raw: func(ctx context.Context, svc *storage.Services, a *actor, c *city) error {
			_, err := svc.Inspections.Inspections(ctx, a.p, inspect.InspectionFilter{Status: inspect.InspectionAssigned, Limit: 50})
			return err
		}},
	{name: "inspector: re-inspections due", role: inspect.RoleInspector,
		path: func(a *actor, c *city) string { return "/api/v1/hazards?state=reinspection_due&limit=50" },
		raw: func(ctx context.Context, svc *storage.Services, a *actor, c *city) error {
			_, err := svc.Hazards.Hazards(ctx, a.p, inspect.HazardFilter{States: []inspect.HazardState{inspect.StateReinspectionDue}, Limit: 50})
			return err
		}},
	{name: "merchant: my hazards", role: inspect.RoleMerchant,
		path: func(a *actor, c *city) string { return "/api/v1/merchant/hazards?limit=20" },
		raw: func(ctx context.Context, svc *storage.Services, a *actor, c *city) error {
			_, err := svc.Hazards.OwnHazards(ctx, a.p, inspect.OwnHazardPage{Limit: 20})
			return err
		}},
	{name: "officer: hazard list, first page", role: inspect.RoleSafetyOfficer,
		path: func(a *actor, c *city) string { return "/api/v1/hazards?limit=50" },
		raw: func(ctx context.Context, svc *storage.Services, a *actor, c *city) error {
			_, err := svc.Hazards.Hazards(ctx, a.p, inspect.HazardFilter{Limit: 50})
			return err
		}},
	{name: "officer: hazards filtered (open, escalated)", role: inspect.RoleSafetyOfficer,
		path: func(a *actor, c *city) string {
			return "/api/v1/hazards?state=escalated&state=reinspection_due&limit=50"
		},
		raw: func(ctx context.Context, svc *storage.Services, a *actor, c *city) error {
			_, err := svc.Hazards.Hazards(ctx, a.p, inspect.HazardFilter{States: []inspect.HazardState{inspect.StateEscalated, inspect.StateReinspectionDue}, Limit: 50})
			return err
		}},
	{name: "officer: review queue", role: inspect.RoleSafetyOfficer,
		path: func(a *actor, c *city) string { return "/api/v1/flags?review=pending&limit=50" },
		raw: func(ctx context.Context, svc *storage.Services, a *actor, c *city) error {
			_, err := svc.Flags.Flags(ctx, a.p, inspect.FlagFilter{Review: "pending", Limit: 50})
			return err
		}},
	{name: "officer: KPI of the district, 3 years", role: inspect.RoleSafetyOfficer, district: true,
		path: func(a *actor, c *city) string {
			return "/api/v1/kpi?" + url.Values{"unit": {fmt.Sprint(c.districtID)}, "from": {c.from}, "to": {c.to}}.Encode()
		},
		raw: func(ctx context.Context, svc *storage.Services, a *actor, c *city) error {
			period, err := inspect.ParsePeriod(c.from, c.to)
			if err != nil {
				return err
			}
			_, err = svc.Policy.KPIReport(ctx, a.p, c.districtID, period)
			return err
		}},
}

// kpiPeriod returns the last three years up to tomorrow, as the KPI query takes it.
func kpiPeriod(now time.Time) (from, to string) {
	now = now.In(inspect.ReportZone)
	return now.AddDate(-3, 0, 0).Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
}
