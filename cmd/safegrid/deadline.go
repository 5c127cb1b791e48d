package main

// The deadline workers: reminders before a hazard's deadline and the deadline
// itself. The work and its idempotency live in storage (Store.RemindDeadline,
// Store.PassDeadline): each re-reads the hazard under its row lock and does
// nothing when it closed or its deadline changed.

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/storage"
)

// deadlineReminderWorker sends the reminders of one deadline of one hazard.
type deadlineReminderWorker struct {
	river.WorkerDefaults[storage.DeadlineReminderArgs]
	store *storage.Store
	log   *slog.Logger
}

// Work enqueues the reminder notifications, or does nothing when they are stale.
func (w *deadlineReminderWorker) Work(ctx context.Context, job *river.Job[storage.DeadlineReminderArgs]) error {
	outcome, err := w.store.RemindDeadline(ctx, job.Args)
	if err != nil {
		return err
	}
	w.log.DebugContext(ctx, "deadline reminder", "hazard_id", job.Args.HazardID, "before", job.Args.Before.String(), "outcome", outcome)
	return nil
}

// hazardDeadlineWorker acts when a hazard's deadline passes.
type hazardDeadlineWorker struct {
	river.WorkerDefaults[storage.HazardDeadlineArgs]
	store *storage.Store
	log   *slog.Logger
}

// Work makes the hazard reinspection_due, or does nothing when the job is stale.
func (w *hazardDeadlineWorker) Work(ctx context.Context, job *river.Job[storage.HazardDeadlineArgs]) error {
	outcome, err := w.store.PassDeadline(ctx, job.Args)
	if err != nil {
		return err
	}
	w.log.DebugContext(ctx, "hazard deadline", "hazard_id", job.Args.HazardID, "outcome", outcome)
	return nil
}
