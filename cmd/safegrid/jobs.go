package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
)

// jobDeps is what the workers need.
type jobDeps struct {
	db     *storage.DB
	store  *storage.Store
	log    *slog.Logger
	notify *notifier
	// detector is nil when AI checks are off; photos are then not analysed.
	detector *models.Detector
	// rescueAfter is SAFEGRID_JOB_RESCUE_AFTER; 0 keeps River's default (1 h).
	rescueAfter time.Duration
}

// newJobClient builds the River client with every worker of the product registered.
// Features add their workers here.
func newJobClient(d jobDeps) (*river.Client[pgx.Tx], error) {
	db, log := d.db, d.log
	workers := river.NewWorkers()
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
			return heartbeatArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "heartbeat"}),
	}
	if err := river.AddWorkerSafely(workers, &heartbeatWorker{db: db}); err != nil {
		return nil, fmt.Errorf("register heartbeat worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &deliverNotificationWorker{db: db, notify: d.notify}); err != nil {
		return nil, fmt.Errorf("register notification worker: %w", err)
	}
	if d.store != nil {
		if err := river.AddWorkerSafely(workers, &deadlineReminderWorker{store: d.store, log: log}); err != nil {
			return nil, fmt.Errorf("register deadline reminder worker: %w", err)
		}
		if err := river.AddWorkerSafely(workers, &hazardDeadlineWorker{store: d.store, log: log}); err != nil {
			return nil, fmt.Errorf("register hazard deadline worker: %w", err)
		}
		if err := river.AddWorkerSafely(workers, &sweepOrphanPhotosWorker{store: d.store, log: log}); err != nil {
			return nil, fmt.Errorf("register orphan sweeper: %w", err)
		}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return sweepOrphanPhotosArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "sweep_orphan_photos"}))
	}
	if d.detector != nil {
		if err := river.AddWorkerSafely(workers, &analysePhotoWorker{store: d.store, detector: d.detector, log: log}); err != nil {
			return nil, fmt.Errorf("register photo analysis worker: %w", err)
		}
	}
	return river.NewClient(riverpgxv5.New(db.Pool), &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 10},
			// Each delivery holds a database connection while the provider answers;
			// a few at a time leave the pool to the rest of the product.
			storage.NotificationQueue: {MaxWorkers: 4},
		},
		Workers: workers,
		Logger:  log.With("component", "river"),
		// A job whose replica died (kill -9, a lost machine) stays "running" until
		// the leader's rescuer gives it to another replica, rescueAfter later; the
		// job timeout must be shorter.
		JobTimeout:           jobTimeout(d.rescueAfter),
		RescueStuckJobsAfter: d.rescueAfter,
		PeriodicJobs:         periodic,
	})
}

// heartbeatArgs is a periodic job that records when the job system last ran a job,
// so an operator can tell the scheduler is alive (settings key "jobs.heartbeat").
type heartbeatArgs struct{}

// Kind names the job for River.
func (heartbeatArgs) Kind() string { return "heartbeat" }

type heartbeatWorker struct {
	river.WorkerDefaults[heartbeatArgs]
	db *storage.DB
}

// Work records the time of this run.
func (w *heartbeatWorker) Work(ctx context.Context, job *river.Job[heartbeatArgs]) error {
	return w.db.PutSetting(ctx, "jobs.heartbeat", map[string]any{"at": time.Now().UTC(), "job_id": job.ID})
}

// jobTimeout bounds one run of a job: a minute, or less when jobs are rescued
// sooner than that.
func jobTimeout(rescueAfter time.Duration) time.Duration {
	if rescueAfter <= 0 {
		return 0 // River's default
	}
	return min(time.Minute, rescueAfter)
}

// sweepOrphanPhotosArgs is the hourly job that deletes photo objects no row refers
// to (left by a crash between an upload's object writes and its commit).
type sweepOrphanPhotosArgs struct{}

// Kind names the job for River.
func (sweepOrphanPhotosArgs) Kind() string { return "sweep_orphan_photos" }

// orphanGrace is how old an unreferenced object must be before it is swept: far
// longer than any upload takes between writing its objects and committing its row.
const orphanGrace = time.Hour

type sweepOrphanPhotosWorker struct {
	river.WorkerDefaults[sweepOrphanPhotosArgs]
	store *storage.Store
	log   *slog.Logger
}

// Work sweeps once.
func (w *sweepOrphanPhotosWorker) Work(ctx context.Context, job *river.Job[sweepOrphanPhotosArgs]) error {
	deleted, err := w.store.SweepOrphanPhotos(ctx, orphanGrace)
	if len(deleted) > 0 {
		w.log.Warn("deleted photo objects no row refers to", "count", len(deleted), "keys", deleted)
	}
	return err
}
