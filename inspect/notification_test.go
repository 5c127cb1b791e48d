package inspect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// reminder returns a valid in-app notification; cases change one field.
func reminder() inspect.Notification {
	return inspect.Notification{
		UserID:   5,
		Channel:  inspect.ChannelInApp,
		Kind:     inspect.KindDeadlineReminder,
		TextZH:   "隐患整改期限将在24小时后到期",
		TextEN:   "The rectification deadline is in 24 hours",
		DedupKey: "hazard:1:deadline:2026-03-03T09:30:00Z:remind:1d",
	}
}

func TestNotificationValidate(t *testing.T) {
	tests := []struct {
		name      string
		change    func(n *inspect.Notification)
		wantField string
	}{
		{"in-app", func(n *inspect.Notification) {}, ""},
		{"sms with phone", func(n *inspect.Notification) { n.Channel, n.Phone = inspect.ChannelSMS, "138 0013 8000" }, ""},
		{"log", func(n *inspect.Notification) { n.Channel = inspect.ChannelLog }, ""},
		{"no user", func(n *inspect.Notification) { n.UserID = 0 }, "user_id"},
		{"unknown channel", func(n *inspect.Notification) { n.Channel = "email" }, "channel"},
		{"unknown kind", func(n *inspect.Notification) { n.Kind = "hello" }, "kind"},
		{"no chinese text", func(n *inspect.Notification) { n.TextZH = " " }, "text_zh"},
		{"no english text", func(n *inspect.Notification) { n.TextEN = "" }, "text_en"},
		{"text too long", func(n *inspect.Notification) { n.TextZH = strings.Repeat("限", 501) }, "text_zh"},
		{"sms without phone", func(n *inspect.Notification) { n.Channel = inspect.ChannelSMS }, "phone"},
		{"sms to a bad number", func(n *inspect.Notification) { n.Channel, n.Phone = inspect.ChannelSMS, "call me" }, "phone"},
		{"phone on in-app", func(n *inspect.Notification) { n.Phone = "13800138000" }, "phone"},
		{"no dedup key", func(n *inspect.Notification) { n.DedupKey = "" }, "dedup_key"},
		{"dedup key too long", func(n *inspect.Notification) { n.DedupKey = strings.Repeat("k", 201) }, "dedup_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := reminder()
			tt.change(&n)
			assertField(t, n.Validate(), tt.wantField)
		})
	}
}

func TestDeadlineReminderKey(t *testing.T) {
	deadline := time.Date(2026, 3, 3, 17, 30, 0, 0, time.FixedZone("CST", 8*3600))
	day, twoHours := inspect.Duration(24*time.Hour), inspect.Duration(2*time.Hour)
	got := inspect.DeadlineReminderKey(42, deadline, day)
	if want := "hazard:42:deadline:2026-03-03T09:30:00Z:remind:1d"; got != want {
		t.Errorf("key = %q, want %q", got, want)
	}
	// The same instant in another zone is the same reminder.
	if again := inspect.DeadlineReminderKey(42, deadline.UTC(), day); again != got {
		t.Errorf("same deadline in UTC gives %q", again)
	}
	// A moved deadline, another offset or another hazard is another reminder.
	for _, other := range []string{
		inspect.DeadlineReminderKey(42, deadline.Add(time.Hour), day),
		inspect.DeadlineReminderKey(42, deadline, twoHours),
		inspect.DeadlineReminderKey(43, deadline, day),
	} {
		if other == got {
			t.Errorf("%q collides with %q", other, got)
		}
	}
}

func TestUndeliverable(t *testing.T) {
	cause := errors.New("provider refused the number")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", cause, false},
		{"marked", inspect.Undeliverable(cause), true},
		{"marked and wrapped", fmt.Errorf("send sms: %w", inspect.Undeliverable(cause)), true},
		{"timeout", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := inspect.IsUndeliverable(tt.err); got != tt.want {
			t.Errorf("%s: IsUndeliverable = %v, want %v", tt.name, got, tt.want)
		}
	}
	if inspect.Undeliverable(nil) != nil {
		t.Error("Undeliverable(nil) is not nil")
	}
	wrapped := inspect.Undeliverable(io.ErrUnexpectedEOF)
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) || wrapped.Error() != io.ErrUnexpectedEOF.Error() {
		t.Errorf("Undeliverable hides its cause: %v", wrapped)
	}
}

func TestDeliveryBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 10 * time.Second},
		{1, 10 * time.Second},
		{2, 20 * time.Second},
		{3, 40 * time.Second},
		{8, 1280 * time.Second},
		{9, 30 * time.Minute},
		{25, 30 * time.Minute},
		{1000, 30 * time.Minute},
	}
	for _, tt := range tests {
		if got := inspect.DeliveryBackoff(tt.attempt); got != tt.want {
			t.Errorf("DeliveryBackoff(%d) = %s, want %s", tt.attempt, got, tt.want)
		}
	}
	var total time.Duration
	for a := 1; a < inspect.MaxDeliveryAttempts; a++ {
		total += inspect.DeliveryBackoff(a)
	}
	// The last attempt is soon enough for a reminder to still make sense.
	if total < time.Hour || total > 3*time.Hour {
		t.Errorf("the last attempt comes %s after the first; want between 1 h and 3 h", total)
	}
}
