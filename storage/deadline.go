package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// The deadline path in storage. Whenever a hazard's deadline is set or changes, the
// transaction that changes it inserts River jobs for it: a reminder at each
// offset of the policy's RemindBefore still in the future, and the deadline job at
// the deadline. Jobs carry the deadline they were planned for and re-read the
// hazard under its row lock when they run: when the hazard closed or its deadline
// changed, they do nothing. That is how closing a hazard early cancels its
// reminders and a new deadline reschedules them, without having to find and
// delete old jobs. Jobs are unique by their arguments, so planning the same
// deadline twice inserts them once; the outbox's dedup key and the state machine
// make a job that runs twice (a crash after the work, before River recorded it)
// change nothing the second time.

// DeadlineOutcome says what a deadline or reminder job did.
type DeadlineOutcome string

// The outcomes.
const (
	// DeadlineActed: the reminder was enqueued, or the hazard became
	// reinspection_due.
	DeadlineActed DeadlineOutcome = "acted"
	// DeadlineStale: the hazard closed, its deadline changed, or its state does not
	// call for the job (proof already submitted); nothing was done.
	DeadlineStale DeadlineOutcome = "stale"
)

// RemindDeadline is the reminder job's work: in one transaction, under the
// hazard's row lock, it checks that the hazard is open and still has the planned
// deadline, and enqueues the reminder for the site's merchants (while the clock
// runs) and the responsible inspector, in-app and (when on) by SMS. The outbox's
// dedup key (inspect.DeadlineReminderKey) makes a second run store nothing. It is
// WorkDeadlines with this one job.
func (s *HazardService) RemindDeadline(ctx context.Context, hazardID int64, deadline time.Time, before inspect.Duration) (DeadlineOutcome, error) {
	return s.deadlineJob(ctx, DeadlineJob{HazardID: hazardID, Deadline: deadline, Before: before})
}

// PassDeadline is the deadline job's work: under the hazard's row lock, when the
// hazard still has the planned deadline and its clock runs (notified or
// escalated), it takes deadline_passed as the system (actor 0): the hazard becomes
// reinspection_due, the event is appended and the inspector gets the
// re-inspection task — all in one transaction. A second run finds the hazard
// reinspection_due and does nothing. It is WorkDeadlines with this one job.
func (s *HazardService) PassDeadline(ctx context.Context, hazardID int64, deadline time.Time) (DeadlineOutcome, error) {
	return s.deadlineJob(ctx, DeadlineJob{HazardID: hazardID, Deadline: deadline})
}

// deadlineJob works job alone and says what it did.
func (s *HazardService) deadlineJob(ctx context.Context, job DeadlineJob) (DeadlineOutcome, error) {
	tally, err := s.WorkDeadlines(ctx, []DeadlineJob{job}, nil)
	if err != nil || tally.Acted == 0 {
		return DeadlineStale, err
	}
	return DeadlineActed, nil
}

// supervise creates (or moves the deadline of) the listed-supervision record the
// domain asked for; the site's first merchant is responsible for the fix.
func supervise(ctx context.Context, tx pgx.Tx, sv inspect.Supervision, now time.Time) error {
	var siteID int64
	if err := tx.QueryRow(ctx, `SELECT site_id FROM hazards WHERE id = $1`, sv.HazardID).Scan(&siteID); err != nil {
		return fmt.Errorf("site of hazard %d: %w", sv.HazardID, err)
	}
	merchants, err := siteMerchants(ctx, tx, siteID)
	if err != nil {
		return err
	}
	var responsible *int64
	if len(merchants) > 0 {
		responsible = &merchants[0]
	}
	_, err = tx.Exec(ctx, `INSERT INTO listed_supervisions (hazard_id, supervising_unit_id, responsible_user_id, deadline, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (hazard_id) DO UPDATE SET supervising_unit_id = EXCLUDED.supervising_unit_id, deadline = EXCLUDED.deadline, updated_at = EXCLUDED.updated_at`,
		sv.HazardID, sv.SupervisingUnitID, responsible, sv.Deadline, now)
	if err != nil {
		return fmt.Errorf("list hazard %d for supervision: %w", sv.HazardID, err)
	}
	return nil
}

// supervisionOf returns the listed-supervision record of hazard id, or nil.
func supervisionOf(ctx context.Context, q querier, id int64) (*inspect.Supervision, error) {
	rows, err := q.Query(ctx, `SELECT ls.hazard_id, ls.supervising_unit_id, u.name AS supervising_unit_name,
		COALESCE(ls.responsible_user_id, 0) AS responsible_user_id, ls.deadline, ls.created_at, ls.updated_at
		FROM listed_supervisions ls JOIN units u ON u.id = ls.supervising_unit_id WHERE ls.hazard_id = $1`, id)
	list, err := collectAll[inspect.Supervision](rows, err)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

func siteName(ctx context.Context, q querier, siteID int64) (string, error) {
	var name string
	if err := q.QueryRow(ctx, `SELECT name FROM sites WHERE id = $1`, siteID).Scan(&name); err != nil {
		return "", fmt.Errorf("name of site %d: %w", siteID, mapPgError(err, "site"))
	}
	return name, nil
}

// policyFor returns the time-limit policy for hazards of grid gridID: the base
// policy with the override of the grid's district applied.
func (s *base) policyFor(ctx context.Context, q querier, gridID int64) (inspect.TimeLimitPolicy, error) {
	district, err := ancestorOfLevel(ctx, q, gridID, inspect.LevelDistrict)
	if err != nil {
		return inspect.TimeLimitPolicy{}, fmt.Errorf("district of unit %d: %w", gridID, err)
	}
	return s.districtPolicy(ctx, q, district.ID)
}

// districtPolicy returns the base policy with district's stored override.
func (s *base) districtPolicy(ctx context.Context, q querier, district int64) (inspect.TimeLimitPolicy, error) {
	o, err := districtOverride(ctx, q, district)
	if err != nil {
		return inspect.TimeLimitPolicy{}, err
	}
	p, err := s.policy.WithOverride(o)
	if err != nil {
		return inspect.TimeLimitPolicy{}, fmt.Errorf("apply stored policy of district %d: %w", district, err)
	}
	return p, nil
}
