package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/safegrid/safegrid/inspect"
)

// kpiSubtreeSQL is the WITH clause naming unit $1's subtree "down".
const kpiSubtreeSQL = `WITH RECURSIVE down AS (
		SELECT id FROM units WHERE id = $1
		UNION ALL
		SELECT u.id FROM units u JOIN down ON u.parent_id = down.id)
	`

// kpiRawColumns count, over hazards, what inspect.KPICounts defines:
//   - received: every hazard but withdrawn findings (not hazards);
//   - closed: closed_fixed or closed_on_spot;
//   - closed_on_time: closed with closed_at <= deadline, the deadline in force
//     when it closed (after any escalation);
//   - findings: every hazard but those fixed on the spot (which never go to
//     review); returned: those of them returned for correction at least once;
//   - ratings, rating_sum, ratings_at_least_4: the merchants' 1–5 ratings;
//   - self_received, self_closed: the parts of received and closed that
//     merchants reported themselves (self-inspection).
//
// The rollups' triggers (kpi_delta_of in migrations 0120 and 0240) count the same per
// hazard; TestKPIRollupExact holds them to it.
const kpiRawColumns = `count(*) FILTER (WHERE state <> 'withdrawn') AS received,
		count(*) FILTER (WHERE state IN ('closed_fixed', 'closed_on_spot')) AS closed,
		count(*) FILTER (WHERE state IN ('closed_fixed', 'closed_on_spot') AND closed_at <= deadline) AS closed_on_time,
		count(*) FILTER (WHERE state <> 'closed_on_spot') AS findings,
		count(*) FILTER (WHERE state <> 'closed_on_spot' AND returns > 0) AS returned,
		count(*) FILTER (WHERE rating > 0) AS ratings,
		COALESCE(sum(rating) FILTER (WHERE rating > 0), 0) AS rating_sum,
		count(*) FILTER (WHERE rating >= 4) AS ratings_at_least_4,
		count(*) FILTER (WHERE self_reported AND state <> 'withdrawn') AS self_received,
		count(*) FILTER (WHERE self_reported AND state IN ('closed_fixed', 'closed_on_spot')) AS self_closed`

// kpiCountsRawSQL counts the KPI figures of the hazards found in unit $1's
// subtree (their grid is in it) and recorded in [$2, $3) straight from the
// hazards table: the definition the rollups are checked against (tests, the
// benchmark, `safegrid report --raw`). It reads every hazard of the period.
const kpiCountsRawSQL = kpiSubtreeSQL + `SELECT ` + kpiRawColumns + `
	FROM hazards WHERE grid_id IN (SELECT id FROM down) AND created_at >= $2 AND created_at < $3`

// kpiRollupColumns are the names of the counts, the same in both rollups.
const kpiRollupColumns = `received, closed, closed_on_time, findings, returned, ratings, rating_sum, ratings_at_least_4,
	self_received, self_closed`

// kpiSource is where one span of a period is counted from.
type kpiSource int

const (
	kpiFromMonths  kpiSource = iota // kpi_month, whole months of China time
	kpiFromDays                     // kpi_day, whole days of China time
	kpiFromHazards                  // hazards, the partial days at the edges
)

// kpiSpan is a part [From, To) of a period and where it is counted from.
type kpiSpan struct {
	Source   kpiSource
	From, To time.Time
}

// kpiSpans splits period into the fewest rows to read: the whole months of China
// time (inspect.ReportZone, the days of the rollups) inside it from kpi_month,
// the remaining whole days from kpi_day and the partial days at its edges from
// hazards. A period of whole days, as the API and the report command give,
// reads rollups only. Empty spans are left out.
func kpiSpans(period inspect.Period) []kpiSpan {
	zone := inspect.ReportZone
	from, to := period.From.In(zone), period.To.In(zone)
	if !from.Before(to) {
		return nil
	}
	firstDay := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, zone)
	if firstDay.Before(from) {
		firstDay = firstDay.AddDate(0, 0, 1)
	}
	endDay := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, zone)
	if !firstDay.Before(endDay) {
		return []kpiSpan{{kpiFromHazards, from, to}}
	}
	firstMonth := time.Date(firstDay.Year(), firstDay.Month(), 1, 0, 0, 0, 0, zone)
	if firstMonth.Before(firstDay) {
		firstMonth = firstMonth.AddDate(0, 1, 0)
	}
	endMonth := time.Date(endDay.Year(), endDay.Month(), 1, 0, 0, 0, 0, zone)
	spans := []kpiSpan{{kpiFromHazards, from, firstDay}}
	if firstMonth.Before(endMonth) {
		spans = append(spans, kpiSpan{kpiFromDays, firstDay, firstMonth}, kpiSpan{kpiFromMonths, firstMonth, endMonth},
			kpiSpan{kpiFromDays, endMonth, endDay})
	} else {
		spans = append(spans, kpiSpan{kpiFromDays, firstDay, endDay})
	}
	spans = append(spans, kpiSpan{kpiFromHazards, endDay, to})
	out := spans[:0]
	for _, s := range spans {
		if s.From.Before(s.To) {
			out = append(out, s)
		}
	}
	return out
}

// kpiCountsQuery is the rollup query for period and its arguments after the
// subtree's unit ids ($1): one branch per span, summed. Its text depends only on
// which spans the period has, never on input.
func kpiCountsQuery(period inspect.Period) (string, []any) {
	var branches []string
	var args []any
	for _, s := range kpiSpans(period) {
		n := len(args) + 2
		switch s.Source {
		case kpiFromMonths, kpiFromDays:
			table, key := "kpi_day", "day"
			if s.Source == kpiFromMonths {
				table, key = "kpi_month", "month"
			}
			branches = append(branches, fmt.Sprintf("SELECT %s FROM %s WHERE grid_id = ANY($1) AND %s >= $%d AND %s < $%d",
				kpiRollupColumns, table, key, n, key, n+1))
			args = append(args, rollupDate(s.From), rollupDate(s.To))
		case kpiFromHazards:
			branches = append(branches, fmt.Sprintf("SELECT %s FROM hazards WHERE grid_id = ANY($1) AND created_at >= $%d AND created_at < $%d",
				kpiRawColumns, n, n+1))
			args = append(args, s.From, s.To)
		}
	}
	if len(branches) == 0 { // an empty period
		branches = []string{"SELECT " + kpiRollupColumns + " FROM kpi_day WHERE grid_id = ANY($1) AND false"}
	}
	var sums []string
	for _, c := range strings.Split(kpiRollupColumns, ",") {
		c = strings.TrimSpace(c)
		sums = append(sums, fmt.Sprintf("COALESCE(sum(%s), 0)::bigint AS %[1]s", c))
	}
	return "SELECT " + strings.Join(sums, ", ") + "\n\tFROM (" + strings.Join(branches, "\n\t\tUNION ALL ") + ") parts", args
}

// rollupDate is midnight t of China time as the date of the rollups.
func rollupDate(t time.Time) pgtype.Date {
	t = t.In(inspect.ReportZone)
	return pgtype.Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
}

// kpiCounts counts the KPI figures of unit unitID's subtree over period from the
// rollups (and the partial days at the period's edges from hazards): the same
// figures as kpiCountsRaw, in one statement, so from one snapshot. The subtree
// is read first (subtreeIDs; units are a few thousand at most), so that the
// statement is planned knowing how many grids it reads: a district's days are a
// range of kpi_day's day index, a grid's an index probe by its key.
//
// The statement runs in pgx's QueryExecModeExec: an unnamed statement, planned
// with this call's dates and grids. A named prepared statement would switch to a
// generic plan after five runs, blind to how long the period is.
func (db *DB) kpiCounts(ctx context.Context, unitID int64, period inspect.Period) (inspect.KPICounts, error) {
	ids, err := subtreeIDs(ctx, db.Pool, unitID)
	if err != nil {
		return inspect.KPICounts{}, fmt.Errorf("read the subtree of unit %d: %w", unitID, err)
	}
	sql, args := kpiCountsQuery(period)
	return db.countKPIs(ctx, unitID, sql, append([]any{pgx.QueryExecModeExec, ids}, args...))
}

// kpiCountsRaw counts the KPI figures of unit unitID's subtree over period
// straight from hazards (kpiCountsRawSQL).
func (db *DB) kpiCountsRaw(ctx context.Context, unitID int64, period inspect.Period) (inspect.KPICounts, error) {
	return db.countKPIs(ctx, unitID, kpiCountsRawSQL, []any{pgx.QueryExecModeExec, unitID, period.From, period.To})
}

func (db *DB) countKPIs(ctx context.Context, unitID int64, sql string, args []any) (inspect.KPICounts, error) {
	rows, err := db.Pool.Query(ctx, sql, args...)
	c, err := collectOne[inspect.KPICounts](rows, err, "kpi")
	if err != nil {
		return c, fmt.Errorf("count kpis of unit %d: %w", unitID, err)
	}
	return c, nil
}

// KPIReport computes the KPIs of unit unitID's subtree over period (see
// kpiRawColumns for what is counted, inspect.ComputeKPI for the formulas). Admins
// ask for any unit (the report command as inspect.Operator), safety officers for
// units in their subtree; another unit is not_found, like one that does not exist.
func (s *PolicyService) KPIReport(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period) (inspect.KPIReport, error) {
	return s.kpiReport(ctx, p, unitID, period, s.db.kpiCounts)
}

// KPIReportRaw is KPIReport counted straight from the hazards table instead of
// the rollups: slow (it reads every hazard of the period), for checking them.
func (s *PolicyService) KPIReportRaw(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period) (inspect.KPIReport, error) {
	return s.kpiReport(ctx, p, unitID, period, s.db.kpiCountsRaw)
}

type kpiCounter func(ctx context.Context, unitID int64, period inspect.Period) (inspect.KPICounts, error)

func (s *PolicyService) kpiReport(ctx context.Context, p inspect.Principal, unitID int64, period inspect.Period, count kpiCounter) (inspect.KPIReport, error) {
	if !inspect.CanReadKPIs(p) {
		return inspect.KPIReport{}, forbidden("KPIs are for the safety office")
	}
	if !p.InScope(unitID) {
		return inspect.KPIReport{}, notVisible("unit", unitID)
	}
	u, err := unitByID(ctx, s.db.Pool, unitID)
	if err != nil {
		return inspect.KPIReport{}, err
	}
	c, err := count(ctx, unitID, period)
	if err != nil {
		return inspect.KPIReport{}, err
	}
	k, err := inspect.ComputeKPI(c)
	if err != nil {
		return inspect.KPIReport{}, err
	}
	work, err := s.db.kpiWork(ctx, unitID, period, s.now())
	if err != nil {
		return inspect.KPIReport{}, err
	}
	return inspect.KPIReport{UnitID: u.ID, UnitName: u.Name, From: period.From, To: period.To, Counts: c, KPI: k, KPIWork: work}, nil
}

// KPIRollupCheck is the outcome of VerifyKPIRollups.
type KPIRollupCheck struct {
	Days, Months int // rollup rows with counts
	// Mismatched counts the (grid, day) rows of kpi_day that differ from the
	// raw count of their grid and day, and the (grid, month) rows of kpi_month
	// that differ from the sum of their days (a row missing on either side
	// included; rows of zeros count as missing).
	Mismatched int
}

// kpiRollupCheckSQL recounts every (grid, day) from hazards with the triggers'
// own kpi_delta_of, in one snapshot with the rollups it compares.
const kpiRollupCheckSQL = `WITH raw AS (
		SELECT (d).grid_id, (d).day, sum((d).received) AS received, sum((d).closed) AS closed,
			sum((d).closed_on_time) AS closed_on_time, sum((d).findings) AS findings, sum((d).returned) AS returned,
			sum((d).ratings) AS ratings, sum((d).rating_sum) AS rating_sum, sum((d).ratings_at_least_4) AS ratings_at_least_4,
			sum((d).self_received) AS self_received, sum((d).self_closed) AS self_closed
		FROM (SELECT kpi_delta_of(grid_id, created_at, state, closed_at, deadline, returns, rating, self_reported, 1) AS d FROM hazards) h
		GROUP BY 1, 2),
	days AS (SELECT grid_id, day, ` + kpiRollupColumns + ` FROM kpi_day WHERE (` + kpiRollupColumns + `) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
	months AS (SELECT grid_id, month, ` + kpiRollupColumns + ` FROM kpi_month WHERE (` + kpiRollupColumns + `) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
	months_of_days AS (
		SELECT grid_id, date_trunc('month', day)::date AS month, sum(received)::bigint AS received, sum(closed)::bigint AS closed,
			sum(closed_on_time)::bigint AS closed_on_time, sum(findings)::bigint AS findings, sum(returned)::bigint AS returned,
			sum(ratings)::bigint AS ratings, sum(rating_sum)::bigint AS rating_sum, sum(ratings_at_least_4)::bigint AS ratings_at_least_4,
			sum(self_received)::bigint AS self_received, sum(self_closed)::bigint AS self_closed
		FROM days GROUP BY 1, 2)
	SELECT (SELECT count(*) FROM days) AS days, (SELECT count(*) FROM months) AS months,
		(SELECT count(*) FROM days d FULL JOIN raw r USING (grid_id, day) WHERE ROW(d.*) IS DISTINCT FROM ROW(r.*))
		+ (SELECT count(*) FROM months m FULL JOIN months_of_days s USING (grid_id, month) WHERE ROW(m.*) IS DISTINCT FROM ROW(s.*))
		AS mismatched`

// VerifyKPIRollups checks the KPI rollups against the hazards table: every
// (grid, day) row against the raw count, every (grid, month) row against its
// days. It reads every hazard (seconds per million); `safegrid audit verify`
// runs it. A mismatch is repaired with SELECT kpi_rebuild() (migrations 0120, 0240).
func (db *DB) VerifyKPIRollups(ctx context.Context) (KPIRollupCheck, error) {
	var c KPIRollupCheck
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// A million (grid, day) groups fit in memory instead of spilling to disk.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, kpiRollupCheckSQL)
		c, err = collectOne[KPIRollupCheck](rows, err, "kpi rollups")
		return err
	})
	if err != nil {
		return c, fmt.Errorf("verify kpi rollups: %w", err)
	}
	return c, nil
}
