package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/inspect"
)

// The deadline scheduler. Whenever a hazard's deadline is set or changes, the
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

// deadlineJobAttempts bounds the retries of a deadline or reminder job; a job
// that keeps failing is a bug to look at, not something to hammer the database
// with.
const deadlineJobAttempts = 10

// DeadlineReminderArgs is the River job that reminds the people responsible for a
// hazard Before its Deadline.
type DeadlineReminderArgs struct {
	HazardID int64            `json:"hazard_id"`
	Deadline time.Time        `json:"deadline"`
	Before   inspect.Duration `json:"before"`
}

// Kind names the job for River.
func (DeadlineReminderArgs) Kind() string { return "deadline_reminder" }

// InsertOpts makes the job unique by its arguments: one reminder per hazard,
// deadline and offset.
func (DeadlineReminderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: deadlineJobAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// HazardDeadlineArgs is the River job that runs at a hazard's Deadline: when the
// hazard is still waiting for the fix, it becomes reinspection_due and its
// inspector gets the re-inspection task.
type HazardDeadlineArgs struct {
	HazardID int64     `json:"hazard_id"`
	Deadline time.Time `json:"deadline"`
}

// Kind names the job for River.
func (HazardDeadlineArgs) Kind() string { return "hazard_deadline" }

// InsertOpts makes the job unique by its arguments: one per hazard and deadline.
func (HazardDeadlineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: deadlineJobAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// scheduleDeadline inserts, in tx, the reminder jobs and the deadline job of h's
// current deadline under policy p. It does nothing for a closed hazard or without
// Store.Jobs. Reminders already past are skipped; the deadline job is inserted even
// when the deadline is past, so that it runs at once.
func (s *Store) scheduleDeadline(ctx context.Context, tx pgx.Tx, h inspect.Hazard, p inspect.TimeLimitPolicy) error {
	if s.Jobs == nil || !inspect.IsOpen(h.State) {
		return nil
	}
	now := s.now()
	deadline := h.Deadline.UTC()
	for _, before := range p.RemindBefore {
		at := deadline.Add(-time.Duration(before))
		if !at.After(now) {
			continue
		}
		args := DeadlineReminderArgs{HazardID: h.ID, Deadline: deadline, Before: before}
		if _, err := s.Jobs.InsertTx(ctx, tx, args, &river.InsertOpts{ScheduledAt: at}); err != nil {
			return fmt.Errorf("schedule %s reminder of hazard %d: %w", before, h.ID, err)
		}
	}
	if _, err := s.Jobs.InsertTx(ctx, tx, HazardDeadlineArgs{HazardID: h.ID, Deadline: deadline}, &river.InsertOpts{ScheduledAt: deadline}); err != nil {
		return fmt.Errorf("schedule deadline of hazard %d: %w", h.ID, err)
	}
	return nil
}

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
func (s *Store) RemindDeadline(ctx context.Context, a DeadlineReminderArgs) (DeadlineOutcome, error) {
	outcome := DeadlineStale
	err := s.DB.inTx(ctx, func(tx pgx.Tx) error {
		h, err := hazardByID(ctx, tx, a.HazardID, true)
		if inspect.ErrorCode(err) == inspect.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if !inspect.IsOpen(h.State) || !h.Deadline.Equal(a.Deadline) {
			return nil
		}
		var users []int64
		if inspect.RemindMerchant(h.State) {
			if users, err = siteMerchants(ctx, tx, h.SiteID); err != nil {
				return err
			}
		}
		if inspect.RemindInspector(h.State) && h.InspectorID != 0 {
			users = append(users, h.InspectorID)
		}
		if len(users) == 0 {
			return nil
		}
		site, err := siteName(ctx, tx, h.SiteID)
		if err != nil {
			return err
		}
		msg := inspect.ReminderMessage(h.Hazard, site, a.Before)
		key := inspect.DeadlineReminderKey(h.ID, h.Deadline, a.Before)
		for _, u := range users {
			if err := s.notifyUser(ctx, tx, u, msg, key); err != nil {
				return err
			}
		}
		outcome = DeadlineActed
		return nil
	})
	return outcome, err
}

// PassDeadline is the deadline job's work: under the hazard's row lock, when the
// hazard still has the planned deadline and its clock runs (notified or
// escalated), it takes deadline_passed as the system (actor 0): the hazard becomes
// reinspection_due, the event is appended and the inspector gets the
// re-inspection task — all in one transaction. A second run finds the hazard
// reinspection_due and does nothing.
func (s *Store) PassDeadline(ctx context.Context, a HazardDeadlineArgs) (DeadlineOutcome, error) {
	outcome := DeadlineStale
	err := s.DB.inTx(ctx, func(tx pgx.Tx) error {
		h, err := hazardByID(ctx, tx, a.HazardID, true)
		if inspect.ErrorCode(err) == inspect.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if !h.Deadline.Equal(a.Deadline) || !inspect.ClockRuns(h.State) {
			return nil
		}
		if err := s.applyAction(ctx, tx, &h, inspect.ActionDeadlinePassed, inspect.HazardActionInput{}, 0, s.now()); err != nil {
			return err
		}
		outcome = DeadlineActed
		return nil
	})
	return outcome, err
}

// notifyUser enqueues msg for user in tx: in-app always, and by SMS to the user's
// phone when SMS is on and jobs can be inserted. key names the event.
func (s *Store) notifyUser(ctx context.Context, tx pgx.Tx, userID int64, msg inspect.HazardMessage, key string) error {
	n := inspect.Notification{UserID: userID, Channel: inspect.ChannelInApp, Kind: msg.Kind, TextZH: msg.TextZH, TextEN: msg.TextEN, DedupKey: key}
	if _, _, err := EnqueueNotificationTx(ctx, tx, s.Jobs, n); err != nil {
		return err
	}
	if !s.SMS || s.Jobs == nil {
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
	_, _, err := EnqueueNotificationTx(ctx, tx, s.Jobs, n)
	return err
}

// notifyAfter sends what an action on h (just taken in tx, recorded as event e)
// tells people: the merchant of the notice and of the deadline after a
// determination of general; the inspector of the re-inspection task; the safety
// officers of the unit a hazard was escalated to.
func (s *Store) notifyAfter(ctx context.Context, tx pgx.Tx, h inspect.Hazard, a inspect.Action, e inspect.Event) error {
	var (
		users []int64
		msg   inspect.HazardMessage
		err   error
	)
	site, err := siteName(ctx, tx, h.SiteID)
	if err != nil {
		return err
	}
	key := inspect.HazardEventKey(h.ID, e.Seq)
	switch a {
	case inspect.ActionNotify, inspect.ActionDetermineGeneral:
		users, err = siteMerchants(ctx, tx, h.SiteID)
		msg = inspect.NotifiedMessage(h, site)
	case inspect.ActionDeadlinePassed:
		if h.InspectorID != 0 {
			users = []int64{h.InspectorID}
		}
		msg = inspect.ReinspectionMessage(h, site, h.Deadline)
		key = inspect.DeadlineDueKey(h.ID, h.Deadline)
	case inspect.ActionReinspectPresent, inspect.ActionEscalate, inspect.ActionDetermineMajor:
		users, err = unitOfficers(ctx, tx, h.UnitID)
		msg = inspect.EscalatedMessage(h, site)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := s.notifyUser(ctx, tx, u, msg, key); err != nil {
			return err
		}
	}
	return nil
}

// superviseIfMajor creates (or moves the deadline of) the listed-supervision record
// of h when h is a major hazard at the district.
func superviseIfMajor(ctx context.Context, tx pgx.Tx, h inspect.Hazard, now time.Time) error {
	if !inspect.NeedsSupervision(h) {
		return nil
	}
	merchants, err := siteMerchants(ctx, tx, h.SiteID)
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
		h.ID, h.UnitID, responsible, h.Deadline, now)
	if err != nil {
		return fmt.Errorf("list hazard %d for supervision: %w", h.ID, err)
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
func (s *Store) policyFor(ctx context.Context, q querier, gridID int64) (inspect.TimeLimitPolicy, error) {
	district, err := ancestorOfLevel(ctx, q, gridID, inspect.LevelDistrict)
	if err != nil {
		return inspect.TimeLimitPolicy{}, fmt.Errorf("district of unit %d: %w", gridID, err)
	}
	return s.districtPolicy(ctx, q, district.ID)
}

// basePolicy is Store.Policy, or the default when it was left empty.
func (s *Store) basePolicy() inspect.TimeLimitPolicy {
	if s.Policy.Rectify == nil {
		return inspect.DefaultPolicy()
	}
	return s.Policy
}

// districtPolicy returns the base policy with district's stored override.
func (s *Store) districtPolicy(ctx context.Context, q querier, district int64) (inspect.TimeLimitPolicy, error) {
	o, err := districtOverride(ctx, q, district)
	if err != nil {
		return inspect.TimeLimitPolicy{}, err
	}
	p, err := s.basePolicy().WithOverride(o)
	if err != nil {
		return inspect.TimeLimitPolicy{}, fmt.Errorf("apply stored policy of district %d: %w", district, err)
	}
	return p, nil
}
