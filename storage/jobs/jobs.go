// Package jobs owns every River job of SafeGrid: the job kinds, their workers and
// the client that runs them. It is the job system's wiring between the storage
// services (which decide and write) and the detector (which looks at photos).
//
// It is built River's way, in two steps. NewScheduler makes an insert-only River
// client first; the storage services get it at construction (as a storage.Queue)
// and enqueue jobs in the transaction of the change that needs them. NewClient
// then makes the client that works the jobs, with workers that call those
// services. Workers are idempotent: they re-read state and do nothing when it
// already moved on.
package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// NotificationQueue is the River queue of delivery jobs, apart from the default
// queue so that a slow SMS provider holds up no other work.
const NotificationQueue = "notifications"

// DeadlineQueue is the River queue of reminder and deadline jobs. Its jobs come in
// bursts (a morning's notices fall due in the same minute) and each one works a
// batch of its kind (storage.HazardService.WorkDeadlines): a few workers keep
// both cores busy, and the burst does not take the default queue's workers.
const DeadlineQueue = "deadlines"

// deadlineJobAttempts bounds the retries of a deadline or reminder job; a job
// that keeps failing is a bug to look at, not something to hammer the database
// with.
const deadlineJobAttempts = 10

// deadlineJobOpts are the insert options of both deadline jobs: their queue,
// bounded retries, and unique by their arguments (not by queue), so planning a
// deadline twice inserts it once.
func deadlineJobOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DeadlineQueue, MaxAttempts: deadlineJobAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeadlineReminderArgs is the job that reminds the people responsible for a
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
func (DeadlineReminderArgs) InsertOpts() river.InsertOpts { return deadlineJobOpts() }

// HazardDeadlineArgs is the job that runs at a hazard's Deadline: when the hazard
// is still waiting for the fix, it becomes reinspection_due and its inspector gets
// the re-inspection task.
type HazardDeadlineArgs struct {
	HazardID int64     `json:"hazard_id"`
	Deadline time.Time `json:"deadline"`
}

// Kind names the job for River.
func (HazardDeadlineArgs) Kind() string { return "hazard_deadline" }

// InsertOpts makes the job unique by its arguments: one per hazard and deadline.
func (HazardDeadlineArgs) InsertOpts() river.InsertOpts { return deadlineJobOpts() }

// HazardTimeLimitArgs is the job that runs when a hazard's time limit besides
// its deadline falls due: the signature (签收) of the party it was handed to, the
// grace after a reminder of it, or the re-inspection after a passed deadline.
// Due is the limit it was planned for (the hazard's sign_by or reinspect_by
// then); when the hazard still has it unkept, it escalates (or the party is
// reminded first, as the policy says): inspect.PassTimeLimit.
type HazardTimeLimitArgs struct {
	HazardID int64             `json:"hazard_id"`
	Limit    inspect.TimeLimit `json:"limit"`
	Due      time.Time         `json:"due"`
}

// Kind names the job for River.
func (HazardTimeLimitArgs) Kind() string { return "hazard_time_limit" }

// InsertOpts makes the job unique by its arguments: one per hazard, limit and
// planned time.
func (HazardTimeLimitArgs) InsertOpts() river.InsertOpts { return deadlineJobOpts() }

// DeliverNotificationArgs is the job that delivers one outbox notification.
type DeliverNotificationArgs struct {
	NotificationID int64 `json:"notification_id"`
}

// Kind names the job for River.
func (DeliverNotificationArgs) Kind() string { return "deliver_notification" }

// InsertOpts puts delivery jobs on NotificationQueue with inspect's attempt limit.
func (DeliverNotificationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: NotificationQueue, MaxAttempts: inspect.MaxDeliveryAttempts}
}

// AnalysePhotoArgs is the job that runs the detector on one uploaded photo. It is
// enqueued in the transaction that inserts the photo row, so every stored photo
// gets exactly one analysis and no analysis exists without its photo.
type AnalysePhotoArgs struct {
	PhotoID uuid.UUID `json:"photo_id"`
}

// Kind names the job for River.
func (AnalysePhotoArgs) Kind() string { return "analyse_photo" }

// InsertOpts bounds the retries: a photo that cannot be analysed after a few tries
// stays stored and reviewable by people; only its analysis is given up.
func (AnalysePhotoArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 8} }

// heartbeatArgs is a periodic job that records when the job system last ran a job,
// so an operator can tell the scheduler is alive (settings key "jobs.heartbeat").
type heartbeatArgs struct{}

// Kind names the job for River.
func (heartbeatArgs) Kind() string { return "heartbeat" }

// sweepOrphanPhotosArgs is the hourly job that deletes photo objects no row refers
// to (left by a crash between an upload's object writes and its commit).
type sweepOrphanPhotosArgs struct{}

// Kind names the job for River.
func (sweepOrphanPhotosArgs) Kind() string { return "sweep_orphan_photos" }

// Scheduler enqueues jobs inside the storage services' transactions through an
// insert-only River client (no queues, no workers, never started). It implements
// storage.Queue.
type Scheduler struct {
	client  *river.Client[pgx.Tx]
	analyse bool
}

var _ storage.Queue = (*Scheduler)(nil)

// NewScheduler makes the insert-only client on db. analyse says whether photos
// get an analysis job (a detector is configured); without one, none is enqueued.
func NewScheduler(db *storage.DB, analyse bool) (*Scheduler, error) {
	client, err := river.NewClient(riverpgxv5.New(db.Pool), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("create insert-only job client: %w", err)
	}
	return &Scheduler{client: client, analyse: analyse}, nil
}

// ScheduleDeadline inserts the reminder jobs of plan at their times and the
// deadline job at the deadline (ScheduleDeadlines).
func (s *Scheduler) ScheduleDeadline(ctx context.Context, tx pgx.Tx, plan inspect.DeadlineSchedule) error {
	return s.ScheduleDeadlines(ctx, tx, []inspect.DeadlineSchedule{plan})
}

// ScheduleDeadlines inserts, with one insert, the reminder jobs of each of plans
// at their times and its deadline job at the deadline. Jobs are unique by their
// arguments, so planning the same deadline twice inserts them once.
func (s *Scheduler) ScheduleDeadlines(ctx context.Context, tx pgx.Tx, plans []inspect.DeadlineSchedule) error {
	if _, err := s.client.InsertManyTx(ctx, tx, DeadlineJobs(plans)); err != nil {
		if len(plans) == 1 {
			return fmt.Errorf("insert deadline jobs of hazard %d: %w", plans[0].HazardID, err)
		}
		return fmt.Errorf("insert deadline jobs of %d hazards: %w", len(plans), err)
	}
	return nil
}

// DeadlineJobs are the River jobs of plans: a reminder at each of a plan's
// reminders, the deadline job at its deadline (none for a zero deadline) and a
// time-limit job for each of its limits.
func DeadlineJobs(plans []inspect.DeadlineSchedule) []river.InsertManyParams {
	params := make([]river.InsertManyParams, 0, 3*len(plans))
	for _, plan := range plans {
		for _, l := range plan.Limits {
			params = append(params, river.InsertManyParams{
				Args:       HazardTimeLimitArgs{HazardID: plan.HazardID, Limit: l.Limit, Due: l.Due},
				InsertOpts: &river.InsertOpts{ScheduledAt: l.At},
			})
		}
		if plan.Deadline.IsZero() {
			continue
		}
		for _, r := range plan.Reminders {
			params = append(params, river.InsertManyParams{
				Args:       DeadlineReminderArgs{HazardID: plan.HazardID, Deadline: plan.Deadline, Before: r.Before},
				InsertOpts: &river.InsertOpts{ScheduledAt: r.At},
			})
		}
		params = append(params, river.InsertManyParams{
			Args:       HazardDeadlineArgs{HazardID: plan.HazardID, Deadline: plan.Deadline},
			InsertOpts: &river.InsertOpts{ScheduledAt: plan.Deadline},
		})
	}
	return params
}

// DeliverNotification inserts the delivery job of notification id.
func (s *Scheduler) DeliverNotification(ctx context.Context, tx pgx.Tx, id int64) error {
	if _, err := s.client.InsertTx(ctx, tx, DeliverNotificationArgs{NotificationID: id}, nil); err != nil {
		return fmt.Errorf("schedule delivery of notification %d: %w", id, err)
	}
	return nil
}

// DeliverNotifications inserts the delivery jobs of notifications ids with one
// insert.
func (s *Scheduler) DeliverNotifications(ctx context.Context, tx pgx.Tx, ids []int64) error {
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: DeliverNotificationArgs{NotificationID: id}}
	}
	if _, err := s.client.InsertManyFastTx(ctx, tx, params); err != nil {
		return fmt.Errorf("schedule delivery of %d notifications: %w", len(ids), err)
	}
	return nil
}

// AnalysePhoto inserts the analysis job of photo p, when photos are analysed.
func (s *Scheduler) AnalysePhoto(ctx context.Context, tx pgx.Tx, p storage.PhotoRecord) error {
	if !s.analyse {
		return nil
	}
	if _, err := s.client.InsertTx(ctx, tx, AnalysePhotoArgs{PhotoID: p.ID}, nil); err != nil {
		return fmt.Errorf("enqueue analysis of photo %s: %w", p.ID, err)
	}
	return nil
}
