package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// Senders sends each notification with the sender of its channel.
type Senders map[inspect.Channel]inspect.Sender

// Send hands n to the sender of n.Channel; a channel without one is undeliverable.
func (m Senders) Send(ctx context.Context, n inspect.Notification) error {
	s, ok := m[n.Channel]
	if !ok {
		return inspect.Undeliverable(fmt.Errorf("no sender for channel %s", n.Channel))
	}
	return s.Send(ctx, n)
}

// LogSender writes each notification to the log; the development channel.
type LogSender struct {
	Log *slog.Logger
}

// Send logs n.
func (s LogSender) Send(ctx context.Context, n inspect.Notification) error {
	s.Log.InfoContext(ctx, "notification", "id", n.ID, "user_id", n.UserID, "kind", n.Kind,
		"dedup_key", n.DedupKey, "text_zh", n.TextZH, "text_en", n.TextEN)
	return nil
}

// busySnooze is how long a delivery job waits when another worker holds its
// notification (a job River rescued while the first run is still sending).
const busySnooze = 30 * time.Second

// DeliverNotificationWorker delivers one outbox notification. The outbox row, not
// the job, decides whether anything is sent, so a job that runs twice sends once.
type DeliverNotificationWorker struct {
	river.WorkerDefaults[DeliverNotificationArgs]
	notifications *storage.NotificationService
	senders       inspect.Sender
	backoff       func(attempt int) time.Duration
}

// Work delivers the notification; a retryable failure is returned for River to
// retry after NextRetry, a permanent one cancels the job.
func (w *DeliverNotificationWorker) Work(ctx context.Context, job *river.Job[DeliverNotificationArgs]) error {
	outcome, err := w.notifications.Deliver(ctx, job.Args.NotificationID, job.Attempt >= job.MaxAttempts, w.senders)
	switch {
	case outcome == "" && inspect.ErrorCode(err) == inspect.ENOTFOUND:
		return river.JobCancel(err)
	case outcome == storage.DeliveryBusy:
		return river.JobSnooze(busySnooze)
	case inspect.IsUndeliverable(err):
		return river.JobCancel(err)
	}
	return err
}

// NextRetry spaces attempts by the backoff.
func (w *DeliverNotificationWorker) NextRetry(job *river.Job[DeliverNotificationArgs]) time.Time {
	return time.Now().Add(w.backoff(job.Attempt))
}
