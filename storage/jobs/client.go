package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// Config is what the workers need.
type Config struct {
	DB       *storage.DB
	Services *storage.Services
	// Senders delivers outbox notifications, each on its channel (see Senders).
	Senders inspect.Sender
	// Backoff is the wait after the attempt-th failed delivery; nil means
	// inspect.DeliveryBackoff.
	Backoff func(attempt int) time.Duration
	// Detector analyses photos; nil when AI checks are off (no analysis worker).
	Detector Detector
	// Candidate is a candidate model run in shadow beside Detector; nil for none.
	Candidate Detector
	Log       *slog.Logger
	// RescueAfter is SAFEGRID_JOB_RESCUE_AFTER; 0 keeps River's default (1 h).
	RescueAfter time.Duration
	// OutboxRetention is how long delivered SMS stay in the outbox; 0 keeps them.
	OutboxRetention time.Duration
	// ObserveJob is told the kind, duration and error of every job attempt (the
	// metrics); nil tells no one.
	ObserveJob func(kind string, d time.Duration, err error)
}

// Workers returns every worker of the product, registered, and the periodic jobs.
func Workers(c Config) (*river.Workers, []*river.PeriodicJob, error) {
	if c.Backoff == nil {
		c.Backoff = inspect.DeliveryBackoff
	}
	svc, log := c.Services, c.Log
	workers := river.NewWorkers()
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
			return heartbeatArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "heartbeat"}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return sweepOrphanPhotosArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "sweep_orphan_photos"}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return runPlansArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "run_plans"}),
	}
	periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(5*time.Second), func() (river.JobArgs, *river.InsertOpts) {
		return deliverWebhooksArgs{}, nil
	}, &river.PeriodicJobOpts{ID: "deliver_webhooks"}))
	if c.OutboxRetention > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return pruneOutboxArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "prune_outbox"}))
	}
	add := []struct {
		name string
		add  func() error
	}{
		{"heartbeat", func() error { return river.AddWorkerSafely(workers, &heartbeatWorker{db: c.DB}) }},
		{"notification", func() error {
			return river.AddWorkerSafely(workers, &DeliverNotificationWorker{notifications: svc.Notifications, senders: c.Senders, backoff: c.Backoff})
		}},
		{"deadline reminder", func() error {
			return river.AddWorkerSafely(workers, &DeadlineReminderWorker{hazards: svc.Hazards, log: log})
		}},
		{"hazard deadline", func() error {
			return river.AddWorkerSafely(workers, &HazardDeadlineWorker{hazards: svc.Hazards, log: log})
		}},
		{"hazard time limit", func() error {
			return river.AddWorkerSafely(workers, &HazardTimeLimitWorker{hazards: svc.Hazards, log: log})
		}},
		{"webhooks", func() error {
			return river.AddWorkerSafely(workers, &deliverWebhooksWorker{webhooks: svc.Webhooks, client: &http.Client{Timeout: 20 * time.Second}})
		}},
		{"outbox pruning", func() error {
			return river.AddWorkerSafely(workers, &pruneOutboxWorker{notifications: svc.Notifications, retention: c.OutboxRetention, log: log})
		}},
		{"plans", func() error {
			return river.AddWorkerSafely(workers, &runPlansWorker{plans: svc.Plans, log: log})
		}},
		{"orphan sweeper", func() error {
			return river.AddWorkerSafely(workers, &sweepOrphanPhotosWorker{photos: svc.Photos, log: log})
		}},
	}
	if c.Detector != nil {
		add = append(add, struct {
			name string
			add  func() error
		}{"photo analysis", func() error {
			return river.AddWorkerSafely(workers, NewAnalysePhotoWorker(svc.Photos, c.Detector, c.Candidate, log))
		}})
	}
	for _, a := range add {
		if err := a.add(); err != nil {
			return nil, nil, fmt.Errorf("register %s worker: %w", a.name, err)
		}
	}
	return workers, periodic, nil
}

// NewClient builds the River client that works every job of the product.
func NewClient(c Config) (*river.Client[pgx.Tx], error) {
	cfg, err := clientConfig(c)
	if err != nil {
		return nil, err
	}
	return river.NewClient(riverpgxv5.New(c.DB.Pool), cfg)
}

// deadlineWorkers is how many deadline jobs run at once. Each works a batch of up
// to storage.DeadlineBatch jobs in one transaction that keeps a core and a
// connection busy: on 2 cores two batches handle a burst as fast as four
// (BenchmarkDeadlineBurst) and leave the API a core's share instead of a fifth.
const deadlineWorkers = 2

// clientConfig is the River configuration of NewClient.
func clientConfig(c Config) (*river.Config, error) {
	workers, periodic, err := Workers(c)
	if err != nil {
		return nil, err
	}
	var middleware []rivertype.Middleware
	if c.ObserveJob != nil {
		middleware = append(middleware, &observeJobs{observe: c.ObserveJob})
	}
	return &river.Config{
		Middleware: middleware,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 10},
			// Each delivery holds a database connection while the provider answers;
			// a few at a time leave the pool to the rest of the product.
			NotificationQueue: {MaxWorkers: 4},
			DeadlineQueue:     {MaxWorkers: deadlineWorkers},
		},
		Workers: workers,
		Logger:  c.Log.With("component", "river"),
		// A job whose replica died (kill -9, a lost machine) stays "running" until
		// the leader's rescuer gives it to another replica, rescueAfter later; the
		// job timeout must be shorter.
		JobTimeout:           jobTimeout(c.RescueAfter),
		RescueStuckJobsAfter: c.RescueAfter,
		PeriodicJobs:         periodic,
	}, nil
}

// observeJobs is River worker middleware that tells observe how each attempt went.
type observeJobs struct {
	river.MiddlewareDefaults
	observe func(kind string, d time.Duration, err error)
}

func (o *observeJobs) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	o.observe(job.Kind, time.Since(start), err)
	return err
}

// Waiting counts the jobs of the queue that are not finished, by state
// (available, scheduled, retryable, running): the queue's depth for the metrics.
// River's fetch index (state first) answers it without reading finished jobs.
func Waiting(ctx context.Context, db *storage.DB) (map[string]int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT state::text, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count waiting jobs: %w", err)
	}
	out := map[string]int64{}
	var state string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&state, &n}, func() error { out[state] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("count waiting jobs: %w", err)
	}
	return out, nil
}

// jobTimeout bounds one run of a job: a minute, or less when jobs are rescued
// sooner than that.
func jobTimeout(rescueAfter time.Duration) time.Duration {
	if rescueAfter <= 0 {
		return 0 // River's default
	}
	return min(time.Minute, rescueAfter)
}

type heartbeatWorker struct {
	river.WorkerDefaults[heartbeatArgs]
	db *storage.DB
}

// Work records the time of this run.
func (w *heartbeatWorker) Work(ctx context.Context, job *river.Job[heartbeatArgs]) error {
	return w.db.PutSetting(ctx, "jobs.heartbeat", map[string]any{"at": time.Now().UTC(), "job_id": job.ID})
}

// orphanGrace is how old an unreferenced object must be before it is swept: far
// longer than any upload takes between writing its objects and committing its row.
const orphanGrace = time.Hour

type sweepOrphanPhotosWorker struct {
	river.WorkerDefaults[sweepOrphanPhotosArgs]
	photos *storage.PhotoService
	log    *slog.Logger
}

// Work sweeps once.
func (w *sweepOrphanPhotosWorker) Work(ctx context.Context, job *river.Job[sweepOrphanPhotosArgs]) error {
	deleted, err := w.photos.SweepOrphanPhotos(ctx, orphanGrace)
	if len(deleted) > 0 {
		w.log.Warn("deleted photo objects no row refers to", "count", len(deleted), "keys", deleted)
	}
	return err
}
