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
// dedup key (inspect.DeadlineReminderKey) makes a second run store nothing.
func (s *HazardService) RemindDeadline(ctx context.Context, hazardID int64, deadline time.Time, before inspect.Duration) (DeadlineOutcome, error) {
	return s.deadlineJob(ctx, hazardID, func(tx pgx.Tx, h *hazardRow) (bool, error) {
		site, err := siteName(ctx, tx, h.SiteID)
		if err != nil {
			return false, err
		}
		notified, err := s.execute(ctx, tx, inspect.Effects{Notices: inspect.RemindDeadline(h.Hazard, deadline, before, site)})
		return notified > 0, err
	})
}

// PassDeadline is the deadline job's work: under the hazard's row lock, when the
// hazard still has the planned deadline and its clock runs (notified or
// escalated), it takes deadline_passed as the system (actor 0): the hazard becomes
// reinspection_due, the event is appended and the inspector gets the
// re-inspection task — all in one transaction. A second run finds the hazard
// reinspection_due and does nothing.
func (s *HazardService) PassDeadline(ctx context.Context, hazardID int64, deadline time.Time) (DeadlineOutcome, error) {
	return s.deadlineJob(ctx, hazardID, func(tx pgx.Tx, h *hazardRow) (bool, error) {
		req, err := s.actionRequest(ctx, tx, h, s.now())
		if err != nil {
			return false, err
		}
		out, acted, err := inspect.PassDeadline(req, deadline)
		if err != nil || !acted {
			return false, err
		}
		return true, s.record(ctx, tx, h, out)
	})
}

// deadlineJob runs a deadline job's work in one transaction with the hazard
// locked: a hazard that no longer exists leaves the job stale; else work says
// whether it acted.
func (s *HazardService) deadlineJob(ctx context.Context, hazardID int64, work func(tx pgx.Tx, h *hazardRow) (bool, error)) (DeadlineOutcome, error) {
	outcome := DeadlineStale
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		h, err := hazardByID(ctx, tx, hazardID, true)
		if inspect.ErrorCode(err) == inspect.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		acted, err := work(tx, &h)
		if acted && err == nil {
			outcome = DeadlineActed
		}
		return err
	})
	return outcome, err
}

// notifyUser enqueues msg for user in tx: in-app always, and by SMS to the user's
// phone when SMS is on and jobs can be inserted. key names the event.
func (s *base) notifyUser(ctx context.Context, tx pgx.Tx, userID int64, msg inspect.HazardMessage, key string) error {
	n := inspect.Notification{UserID: userID, Channel: inspect.ChannelInApp, Kind: msg.Kind, TextZH: msg.TextZH, TextEN: msg.TextEN, DedupKey: key}
	if _, _, err := s.enqueueNotification(ctx, tx, n); err != nil {
		return err
	}
	if !s.sms {
		return nil
	}
	var phone string
	if err := tx.QueryRow(ctx, `SELECT phone FROM users WHERE id = $1`, userID).Scan(&phone); err != nil {
		return fmt.Errorf("phone of user %d: %w", userID, mapPgError(err, "user"))
	}
	if phone == "" {
		return nil
	}
	n.Channel, n.Phone = inspect.ChannelSMS, phone
	_, _, err := s.enqueueNotification(ctx, tx, n)
	return err
}

// execute carries out effects in tx, as the domain decided them: it lists a
// hazard for supervision, resolves each notice's audience to users and enqueues
// the notice for each (notifyUser), and has the queue schedule the deadline's
// jobs. It returns how many users were notified.
func (s *base) execute(ctx context.Context, tx pgx.Tx, e inspect.Effects) (notified int, err error) {
	if e.Supervise != nil {
		if err := supervise(ctx, tx, *e.Supervise, s.now()); err != nil {
			return 0, err
		}
	}
	for _, n := range e.Notices {
		var users []int64
		switch n.To {
		case inspect.ToSiteMerchants:
			users, err = siteMerchants(ctx, tx, n.SiteID)
		case inspect.ToUnitOfficers:
			users, err = unitOfficers(ctx, tx, n.UnitID)
		case inspect.ToUsers:
			users = n.UserIDs
		default:
			err = fmt.Errorf("notice %q: unknown audience %q", n.DedupKey, n.To)
		}
		if err != nil {
			return notified, err
		}
		for _, u := range users {
			if err := s.notifyUser(ctx, tx, u, n.Message, n.DedupKey); err != nil {
				return notified, err
			}
			notified++
		}
	}
	if e.Schedule != nil && s.queue != nil {
		if err := s.queue.ScheduleDeadline(ctx, tx, *e.Schedule); err != nil {
			return notified, fmt.Errorf("schedule deadline of hazard %d: %w", e.Schedule.HazardID, err)
		}
	}
	return notified, nil
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
	rows, err := q.Query(ctx, `SELECT hazard_id, supervising_unit_id, COALESCE(responsible_user_id, 0) AS responsible_user_id,
		deadline, created_at, updated_at FROM listed_supervisions WHERE hazard_id = $1`, id)
	list, err := collectAll[inspect.Supervision](rows, err)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

// siteMerchants returns the merchants linked to the site, by id.
func siteMerchants(ctx context.Context, q querier, siteID int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT user_id FROM site_merchants WHERE site_id = $1 ORDER BY user_id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("merchants of site %d: %w", siteID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// unitOfficers returns the safety officers whose home unit is unitID, by id.
func unitOfficers(ctx context.Context, q querier, unitID int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM users WHERE unit_id = $1 AND role = 'safety_officer' ORDER BY id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("safety officers of unit %d: %w", unitID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
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
