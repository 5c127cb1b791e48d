package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Channel is how a notification reaches its user.
type Channel string

// The channels.
const (
	// ChannelInApp is the user's list of notifications in the app. The outbox row
	// is the notification, so it is delivered the moment it is stored.
	ChannelInApp Channel = "in_app"
	// ChannelSMS is a text message to the user's phone through the configured
	// provider.
	ChannelSMS Channel = "sms"
	// ChannelLog writes the notification to the server log; for development.
	ChannelLog Channel = "log"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelInApp, ChannelSMS, ChannelLog:
		return true
	}
	return false
}

// NotificationKind says what a notification is about; the app groups and words
// them by kind.
type NotificationKind string

// The notification kinds.
const (
	// KindHazardNotified tells a merchant of a hazard on their premises and its deadline.
	KindHazardNotified NotificationKind = "hazard_notified"
	// KindDeadlineReminder reminds the responsible people before a deadline.
	KindDeadlineReminder NotificationKind = "deadline_reminder"
	// KindReinspectionDue tells an inspector that a deadline passed and a
	// re-inspection is due.
	KindReinspectionDue NotificationKind = "reinspection_due"
	// KindEscalated tells the unit a hazard was escalated to.
	KindEscalated NotificationKind = "escalated"
	// KindDeterminationRequested invites a reviewer to a major-hazard determination.
	KindDeterminationRequested NotificationKind = "determination_requested"
	// KindDeterminationConcluded tells the participants and the merchant the outcome
	// of a determination.
	KindDeterminationConcluded NotificationKind = "determination_concluded"
	// KindNotFixed tells a merchant that the re-inspection found the hazard not
	// fixed: why, and the new deadline for the next proof.
	KindNotFixed NotificationKind = "not_fixed"
)

// Valid reports whether k is a known kind.
func (k NotificationKind) Valid() bool {
	switch k {
	case KindHazardNotified, KindDeadlineReminder, KindReinspectionDue, KindEscalated,
		KindDeterminationRequested, KindDeterminationConcluded, KindNotFixed:
		return true
	}
	return false
}

// maxNotificationText bounds each text: an in-app message is a few lines, and a
// text message of this length is already several SMS segments.
const maxNotificationText = 500

// maxDedupKey bounds a dedup key, which is an index key.
const maxDedupKey = 200

// Notification is one message to one user on one channel, kept in the outbox until
// it is delivered and afterwards as the record that it was.
type Notification struct {
	ID      int64            `json:"id"`
	UserID  int64            `json:"user_id"`
	Channel Channel          `json:"channel"`
	Kind    NotificationKind `json:"kind"`
	// TextZH and TextEN are the message in Chinese and English; SMS sends TextZH.
	TextZH string `json:"text_zh"`
	TextEN string `json:"text_en"`
	// Phone is where an SMS goes, taken from the user when the notification is
	// enqueued so that the record shows which number was texted. Empty for other
	// channels.
	Phone string `json:"-"`
	// DedupKey names the event the notification is about, such as
	// DeadlineReminderKey's "hazard:42:deadline:...:remind:24h". The same event
	// enqueued twice for the same user and channel is stored and sent once.
	DedupKey  string     `json:"dedup_key"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	// FailedAt is set when delivery was given up: the sender refused it for good or
	// every attempt failed.
	FailedAt *time.Time `json:"failed_at,omitempty"`
	ReadAt   *time.Time `json:"read_at,omitempty"`
	Attempts int        `json:"attempts"`
	// LastError is the last delivery failure, for operators; it is not shown to the
	// user.
	LastError string `json:"-"`
}

// Validate checks what the enqueuer provides. The error is an EINVALID *Error
// naming the field.
func (n Notification) Validate() error {
	if n.UserID <= 0 {
		return FieldErrorf("user_id", "must be a user id")
	}
	if !n.Channel.Valid() {
		return FieldErrorf("channel", "must be in_app, sms or log (got %q)", n.Channel)
	}
	if !n.Kind.Valid() {
		return FieldErrorf("kind", "is not a notification kind (got %q)", n.Kind)
	}
	for _, t := range []struct{ field, text string }{{"text_zh", n.TextZH}, {"text_en", n.TextEN}} {
		if strings.TrimSpace(t.text) == "" {
			return FieldErrorf(t.field, "is required")
		}
		if utf8.RuneCountInString(t.text) > maxNotificationText {
			return FieldErrorf(t.field, "is longer than %d characters", maxNotificationText)
		}
	}
	switch {
	case n.Channel == ChannelSMS && !phonePattern.MatchString(NormalizePhone(n.Phone)):
		return FieldErrorf("phone", "an SMS needs a phone number of 5 to 20 digits, optionally starting with +")
	case n.Channel != ChannelSMS && n.Phone != "":
		return FieldErrorf("phone", "is only for SMS")
	}
	if strings.TrimSpace(n.DedupKey) == "" {
		return FieldErrorf("dedup_key", "is required: it names the event, so that enqueuing it twice sends it once")
	}
	if len(n.DedupKey) > maxDedupKey {
		return FieldErrorf("dedup_key", "is longer than %d bytes", maxDedupKey)
	}
	return nil
}

// Delivered reports whether n needs no further delivery attempt: it was sent, or
// delivery was given up.
func (n Notification) Delivered() bool { return n.SentAt != nil || n.FailedAt != nil }

// DeadlineReminderKey is the dedup key of the reminder that goes out before
// deadline of hazard hazardID. The deadline is part of the key, so a reminder for
// a changed deadline is a new notification while the same reminder planned twice
// is one.
func DeadlineReminderKey(hazardID int64, deadline time.Time, before Duration) string {
	return fmt.Sprintf("hazard:%d:deadline:%s:remind:%s", hazardID, deadline.UTC().Format(time.RFC3339), before)
}

// Sender delivers a notification on one channel. It returns nil when the message
// was handed over, an error wrapped by Undeliverable when retrying cannot help
// (the provider refused the number), and any other error when a later attempt may
// succeed (the provider is down or slow).
type Sender interface {
	Send(ctx context.Context, n Notification) error
}

// SenderFunc adapts a function to the Sender interface.
type SenderFunc func(ctx context.Context, n Notification) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, n Notification) error { return f(ctx, n) }

// undeliverableError marks a delivery failure that no retry can fix.
type undeliverableError struct{ err error }

func (e *undeliverableError) Error() string { return e.err.Error() }
func (e *undeliverableError) Unwrap() error { return e.err }

// Undeliverable marks err as a permanent delivery failure: the outbox gives the
// notification up instead of retrying it. Undeliverable(nil) is nil.
func Undeliverable(err error) error {
	if err == nil {
		return nil
	}
	return &undeliverableError{err: err}
}

// IsUndeliverable reports whether err, or an error it wraps, was marked by
// Undeliverable.
func IsUndeliverable(err error) bool {
	var u *undeliverableError
	return errors.As(err, &u)
}

// MaxDeliveryAttempts is how often a notification is tried before it is given up.
// With DeliveryBackoff the last attempt comes about 73 minutes after the first: a
// reminder much later than that is more confusing than useful.
const MaxDeliveryAttempts = 10

// DeliveryBackoff returns how long to wait after the attempt-th failed attempt
// (1-based) before the next: 10 s, doubling each time, at most 30 min.
func DeliveryBackoff(attempt int) time.Duration {
	const first, most = 10 * time.Second, 30 * time.Minute
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 16 { // 10s << 15 is already far above the cap
		return most
	}
	return min(first<<(attempt-1), most)
}
