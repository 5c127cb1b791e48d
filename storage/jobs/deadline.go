package jobs

// The deadline workers: reminders before a hazard's deadline and the deadline
// itself. The work and its idempotency live in storage (HazardService.RemindDeadline,
// HazardService.PassDeadline): each re-reads the hazard under its row lock and does
// nothing when it closed or its deadline changed.

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/storage"
)

// DeadlineReminderWorker sends the reminders of one deadline of one hazard.
type DeadlineReminderWorker struct {
	river.WorkerDefaults[DeadlineReminderArgs]
	hazards *storage.HazardService
	log     *slog.Logger
}

// Work enqueues the reminder notifications, or does nothing when they are stale.
func (w *DeadlineReminderWorker) Work(ctx context.Context, job *river.Job[DeadlineReminderArgs]) error {
	a := job.Args
	outcome, err := w.hazards.RemindDeadline(ctx, a.HazardID, a.Deadline, a.Before)
	if err != nil {
		return err
	}
	w.log.DebugContext(ctx, "deadline reminder", "hazard_id", a.HazardID, "before", a.Before.String(), "outcome", outcome)
	return nil
}

// HazardDeadlineWorker acts when a hazard's deadline passes.
type HazardDeadlineWorker struct {
	river.WorkerDefaults[HazardDeadlineArgs]
	hazards *storage.HazardService
	log     *slog.Logger
}

// Work makes the hazard reinspection_due, or does nothing when the job is stale.
func (w *HazardDeadlineWorker) Work(ctx context.Context, job *river.Job[HazardDeadlineArgs]) error {
	outcome, err := w.hazards.PassDeadline(ctx, job.Args.HazardID, job.Args.Deadline)
	if err != nil {
		return err
	}
	w.log.DebugContext(ctx, "hazard deadline", "hazard_id", job.Args.HazardID, "outcome", outcome)
	return nil
}
