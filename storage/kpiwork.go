package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// kpiWorkSQL counts, for unit $1's subtree (the sites' grids in it), the
// planned inspections due in [$2, $3) and the visit requests made in it
// (inspect.KPIWork); $4 is now, past which an unsubmitted planned inspection is
// overdue, $5 the visit response time. Both tables are small beside hazards (an
// inspection per site and period, a request now and then), so they are read
// directly, without rollups.
const kpiWorkSQL = kpiSubtreeSQL + `, planned AS (
		SELECT i.due, i.submitted_at FROM plan_inspections pi
		JOIN inspections i ON i.id = pi.inspection_id JOIN sites s ON s.id = i.site_id
		WHERE s.grid_id IN (SELECT id FROM down) AND i.due >= $2 AND i.due < $3),
	visits AS (
		SELECT v.requested_at, i.submitted_at FROM visit_requests v
		JOIN inspections i ON i.id = v.inspection_id JOIN sites s ON s.id = v.site_id
		WHERE s.grid_id IN (SELECT id FROM down) AND v.requested_at >= $2 AND v.requested_at < $3)
	SELECT (SELECT count(*) FROM planned) AS due,
		(SELECT count(submitted_at) FROM planned) AS done,
		(SELECT count(*) FROM planned WHERE submitted_at <= due) AS done_on_time,
		(SELECT count(*) FROM planned WHERE submitted_at IS NULL AND due < $4) AS overdue,
		(SELECT count(*) FROM visits) AS requests,
		(SELECT count(submitted_at) FROM visits) AS answered,
		(SELECT count(*) FROM visits WHERE submitted_at <= requested_at + $5 * interval '1 second') AS answered_in_time,
		(SELECT avg(extract(epoch FROM submitted_at - requested_at)) / 3600 FROM visits WHERE submitted_at IS NOT NULL)::float8
			AS average_response_hours`

// kpiWork counts the planned inspections and visit requests of unit unitID's
// subtree over period (kpiWorkSQL), at now.
func (db *DB) kpiWork(ctx context.Context, unitID int64, period inspect.Period, now time.Time) (inspect.KPIWork, error) {
	var w inspect.KPIWork
	p, v := &w.Planned, &w.Visits
	err := db.Pool.QueryRow(ctx, kpiWorkSQL, pgx.QueryExecModeExec, unitID, period.From, period.To, now, int64(inspect.VisitResponseTime/time.Second)).
		Scan(&p.Due, &p.Done, &p.DoneOnTime, &p.Overdue, &v.Requests, &v.Answered, &v.AnsweredInTime, &v.AverageResponseHours)
	if err != nil {
		return w, fmt.Errorf("count the planned work of unit %d: %w", unitID, err)
	}
	return w, nil
}
