package main

// The senders that deliver outbox notifications (an SMS provider over HTTP, the
// log) and the River worker that drives them. They live in cmd because they meet
// two adapters: the outbox in storage and the outside world over HTTP.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// defaultSMSTemplate is the SMS POST body unless SAFEGRID_SMS_TEMPLATE says
// otherwise.
const defaultSMSTemplate = `{"phone":{{json .Phone}},"text":{{json .Text}},"id":{{.ID}}}`

// smsMessage is what SAFEGRID_SMS_TEMPLATE is executed over.
type smsMessage struct {
	// ID is the notification id: the same for every attempt at one message, so a
	// provider that de-duplicates can use it.
	ID    int64
	Phone string
	Text  string
}

// parseSMSTemplate parses and tries out an SMS body template, so that a template
// naming a field that does not exist fails at start-up, not at the first text.
func parseSMSTemplate(text string) (*template.Template, error) {
	t, err := template.New("SAFEGRID_SMS_TEMPLATE").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("not a valid template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	if err := t.Execute(io.Discard, smsMessage{ID: 1, Phone: "13800138000", Text: "测试"}); err != nil {
		return nil, fmt.Errorf("the template fails on a sample message: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return t, nil
}

// smsSender posts each SMS to the configured provider.
type smsSender struct {
	url         string
	body        *template.Template
	contentType string
	client      *http.Client
}

// smsTimeout bounds one request to the provider; the outbox row stays locked
// while it runs.
const smsTimeout = 20 * time.Second

// Send posts n's Chinese text to the provider. 2xx is sent; 408, 425, 429 and 5xx
// or no answer are worth retrying; any other answer means the provider refused the
// message, which a retry will not change.
func (s *smsSender) Send(ctx context.Context, n inspect.Notification) error {
	var body bytes.Buffer
	if err := s.body.Execute(&body, smsMessage{ID: n.ID, Phone: n.Phone, Text: n.TextZH}); err != nil {
		return inspect.Undeliverable(fmt.Errorf("render SMS body: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, &body)
	if err != nil {
		return inspect.Undeliverable(fmt.Errorf("build SMS request: %w", err))
	}
	req.Header.Set("Content-Type", s.contentType)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("safegrid-notification-%d", n.ID))
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL may carry the provider's token: keep it out of the error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("reach SMS provider: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		return fmt.Errorf("SMS provider answered %s: %s", resp.Status, bytes.TrimSpace(answer))
	default:
		return inspect.Undeliverable(fmt.Errorf("SMS provider refused the message with %s: %s", resp.Status, bytes.TrimSpace(answer)))
	}
}

// logSender writes each notification to the log; the development channel.
type logSender struct {
	log *slog.Logger
}

// Send logs n.
func (s logSender) Send(ctx context.Context, n inspect.Notification) error {
	s.log.InfoContext(ctx, "notification", "id", n.ID, "user_id", n.UserID, "kind", n.Kind,
		"dedup_key", n.DedupKey, "text_zh", n.TextZH, "text_en", n.TextEN)
	return nil
}

// channelSenders sends each notification with the sender of its channel.
type channelSenders map[inspect.Channel]inspect.Sender

// Send hands n to the sender of n.Channel; a channel without one is undeliverable.
func (m channelSenders) Send(ctx context.Context, n inspect.Notification) error {
	s, ok := m[n.Channel]
	if !ok {
		return inspect.Undeliverable(fmt.Errorf("no sender for channel %s", n.Channel))
	}
	return s.Send(ctx, n)
}

// notifier is what the delivery worker needs besides the database.
type notifier struct {
	senders channelSenders
	// backoff is the wait after the attempt-th failure; inspect.DeliveryBackoff
	// unless a test shortens it.
	backoff func(attempt int) time.Duration
}

// newNotifier builds the senders from the configuration: SMS through the provider
// when SAFEGRID_SMS_URL is set, the log always. (In-app notifications need no
// sender: storing them delivers them.)
func newNotifier(cfg config, log *slog.Logger) *notifier {
	var sms inspect.Sender = inspect.SenderFunc(func(context.Context, inspect.Notification) error {
		return inspect.Undeliverable(errors.New("SMS is off (SAFEGRID_SMS_URL is empty)"))
	})
	if cfg.SMSURL != "" {
		sms = &smsSender{url: cfg.SMSURL, body: cfg.SMSTemplate, contentType: cfg.SMSContentType, client: &http.Client{Timeout: smsTimeout}}
	}
	return &notifier{
		senders: channelSenders{
			inspect.ChannelSMS: sms,
			inspect.ChannelLog: logSender{log: log.With("component", "notify")},
		},
		backoff: inspect.DeliveryBackoff,
	}
}

// busySnooze is how long a delivery job waits when another worker holds its
// notification (a job River rescued while the first run is still sending).
const busySnooze = 30 * time.Second

// deliverNotificationWorker delivers one outbox notification. The outbox row, not
// the job, decides whether anything is sent, so a job that runs twice sends once.
type deliverNotificationWorker struct {
	river.WorkerDefaults[storage.DeliverNotificationArgs]
	db     *storage.DB
	notify *notifier
}

// Work delivers the notification; a retryable failure is returned for River to
// retry after NextRetry, a permanent one cancels the job.
func (w *deliverNotificationWorker) Work(ctx context.Context, job *river.Job[storage.DeliverNotificationArgs]) error {
	outcome, err := w.db.DeliverNotification(ctx, job.Args.NotificationID, job.Attempt >= job.MaxAttempts, w.notify.senders)
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

// NextRetry spaces attempts by the notifier's backoff.
func (w *deliverNotificationWorker) NextRetry(job *river.Job[storage.DeliverNotificationArgs]) time.Time {
	return time.Now().Add(w.notify.backoff(job.Attempt))
}
