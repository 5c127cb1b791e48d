package storage

import (
	"context"
	"fmt"

	"github.com/safegrid/safegrid/inspect"
)

// kpiCountsSQL counts, over the hazards found in unit $1's subtree (their grid is
// in it) and recorded in [$2, $3), what inspect.KPICounts defines:
//   - received: every hazard but withdrawn findings (not hazards);
//   - closed: closed_fixed or closed_on_spot;
//   - closed_on_time: closed with closed_at <= deadline, the deadline in force
//     when it closed (after any escalation);
//   - findings: every hazard but those fixed on the spot (which never go to
//     review); returned: those of them returned for correction at least once;
//   - ratings, rating_sum, ratings_at_least_4: the merchants' 1–5 ratings.
const kpiCountsSQL = `WITH RECURSIVE down AS (
		SELECT id FROM units WHERE id = $1
		UNION ALL
		SELECT u.id FROM units u JOIN down ON u.parent_id = down.id),
	period AS (
		SELECT state, deadline, closed_at, returns, rating FROM hazards
		WHERE grid_id IN (SELECT id FROM down) AND created_at >= $2 AND created_at < $3)
	SELECT
		count(*) FILTER (WHERE state <> 'withdrawn') AS received,
		count(*) FILTER (WHERE state IN ('closed_fixed', 'closed_on_spot')) AS closed,
		count(*) FILTER (WHERE state IN ('closed_fixed', 'closed_on_spot') AND closed_at <= deadline) AS closed_on_time,
		count(*) FILTER (WHERE state <> 'closed_on_spot') AS findings,
		count(*) FILTER (WHERE state <> 'closed_on_spot' AND returns > 0) AS returned,
		count(*) FILTER (WHERE rating > 0) AS ratings,
		COALESCE(sum(rating) FILTER (WHERE rating > 0), 0) AS rating_sum,
		count(*) FILTER (WHERE rating >= 4) AS ratings_at_least_4
	FROM period`

// kpiCounts counts the KPI figures of unit unitID's subtree over period. An
// unknown unit is not_found.
func (db *DB) kpiCounts(ctx context.Context, unitID int64, period inspect.Period) (inspect.Unit, inspect.KPICounts, error) {
	u, err := unitByID(ctx, db.Pool, unitID)
	if err != nil {
		return u, inspect.KPICounts{}, err
	}
	rows, err := db.Pool.Query(ctx, kpiCountsSQL, unitID, period.From, period.To)
	c, err := collectOne[inspect.KPICounts](rows, err, "kpi")
	if err != nil {
		return u, c, fmt.Errorf("count kpis of unit %d: %w", unitID, err)
	}
	return u, c, nil
}

// KPIReport computes the KPIs of unit unitID's subtree over period (see
// kpiCountsSQL for what is counted, inspect.ComputeKPI for the formulas). Admins
// ask for any unit (the report command as inspect.Operator), safety officers for
// units in their subtree; another unit is not_found, like one that does not exist.
func (s *PolicyService) KPIReport(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period) (inspect.KPIReport, error) {
	if !inspect.CanReadKPIs(p) {
		return inspect.KPIReport{}, forbidden("KPIs are for the safety office")
	}
	if !p.InScope(unitID) {
		return inspect.KPIReport{}, notVisible("unit", unitID)
	}
	return s.db.kpiReport(ctx, unitID, period)
}

// kpiReport computes the KPIs of unit unitID's subtree over period.
func (db *DB) kpiReport(ctx context.Context, unitID int64, period inspect.Period) (inspect.KPIReport, error) {
	u, c, err := db.kpiCounts(ctx, unitID, period)
	if err != nil {
		return inspect.KPIReport{}, err
	}
	k, err := inspect.ComputeKPI(c)
	if err != nil {
		return inspect.KPIReport{}, err
	}
	return inspect.KPIReport{UnitID: u.ID, UnitName: u.Name, From: period.From, To: period.To, Counts: c, KPI: k}, nil
}
