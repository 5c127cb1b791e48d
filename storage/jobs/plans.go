package jobs

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/storage"
)

// runPlansArgs is the hourly job that makes the current period's inspections of
// every plan. A plan's run is idempotent (one inspection per plan, period and
// site), so the job running twice, or on two replicas, adds nothing.
type runPlansArgs struct{}

// Kind names the job for River.
func (runPlansArgs) Kind() string { return "run_plans" }

type runPlansWorker struct {
	river.WorkerDefaults[runPlansArgs]
	plans *storage.PlanService
	log   *slog.Logger
}

// Work runs every plan for the period containing now.
func (w *runPlansWorker) Work(ctx context.Context, job *river.Job[runPlansArgs]) error {
	runs, err := w.plans.RunDuePlans(ctx, time.Now())
	for _, r := range runs {
		if r.Created > 0 || len(r.Skipped) > 0 {
			w.log.Info("plan run", "plan_id", r.PlanID, "period", r.Period, "created", r.Created, "skipped_sites_without_inspector", len(r.Skipped))
		}
	}
	return err
}

// pruneOutboxArgs is the hourly job that deletes delivered SMS and log
// notifications older than the retention.
type pruneOutboxArgs struct{}

// Kind names the job for River.
func (pruneOutboxArgs) Kind() string { return "prune_outbox" }

type pruneOutboxWorker struct {
	river.WorkerDefaults[pruneOutboxArgs]
	notifications *storage.NotificationService
	retention     time.Duration
	log           *slog.Logger
}

// Work prunes once.
func (w *pruneOutboxWorker) Work(ctx context.Context, job *river.Job[pruneOutboxArgs]) error {
	n, err := w.notifications.PruneOutbox(ctx, time.Now().Add(-w.retention))
	if n > 0 {
		w.log.Info("pruned the notification outbox", "deleted", n, "older_than", w.retention.String())
	}
	return err
}

// deliverWebhooksArgs is the job, every few seconds, that posts the due webhook
// deliveries.
type deliverWebhooksArgs struct{}

// Kind names the job for River.
func (deliverWebhooksArgs) Kind() string { return "deliver_webhooks" }

type deliverWebhooksWorker struct {
	river.WorkerDefaults[deliverWebhooksArgs]
	webhooks *storage.WebhookService
	client   *http.Client
}

// Work posts up to a thousand due deliveries; the next run takes the rest.
func (w *deliverWebhooksWorker) Work(ctx context.Context, job *river.Job[deliverWebhooksArgs]) error {
	_, err := w.webhooks.DeliverWebhooks(ctx, w.client, 1000)
	return err
}
