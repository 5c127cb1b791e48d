package storage_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/jobs"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// outboxBundle is what the outbox tests need: a database of their own, the
// insert-only job scheduler on it and the notification service using it.
type outboxBundle struct {
	db    *storage.DB
	sched *jobs.Scheduler
	n     *storage.NotificationService
}

func setupOutbox(t *testing.T) outboxBundle {
	t.Helper()
	db, _ := storagetest.NewDB(t)
	sched, err := jobs.NewScheduler(db, false)
	if err != nil {
		t.Fatal(err)
	}
	return outboxBundle{db: db, sched: sched, n: storage.New(storage.Deps{DB: db, Queue: sched}).Notifications}
}

// principal is a principal that is user id, for the inbox methods.
func principal(id int64) inspect.Principal { return inspect.Principal{User: inspect.User{ID: id}} }

// failAfterQueue inserts every delivery job through its scheduler and then fails,
// so that the transaction that stored the notification rolls back after both
// the row and the job were written in it.
type failAfterQueue struct{ *jobs.Scheduler }

func (q failAfterQueue) DeliverNotification(ctx context.Context, tx pgx.Tx, id int64) error {
	if err := q.Scheduler.DeliverNotification(ctx, tx, id); err != nil {
		return err
	}
	return errors.New("the change the notification is about failed")
}

// smsReminder returns a valid SMS notification for user.
func smsReminder(user int64, key string) inspect.Notification {
	return inspect.Notification{
		UserID:   user,
		Channel:  inspect.ChannelSMS,
		Kind:     inspect.KindDeadlineReminder,
		TextZH:   "您的隐患整改期限还剩24小时",
		TextEN:   "24 hours left to rectify the hazard",
		Phone:    "138-0013-8000",
		DedupKey: key,
	}
}

// countingSender counts the notifications it is asked to send and returns err.
type countingSender struct {
	sent atomic.Int64
	err  error
}

func (s *countingSender) Send(ctx context.Context, n inspect.Notification) error {
	s.sent.Add(1)
	return s.err
}

func outboxCount(t *testing.T, db *storage.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func deliveryJobs(t *testing.T, db *storage.DB) int {
	return outboxCount(t, db, "SELECT count(*) FROM river_job WHERE kind = 'deliver_notification'")
}

func TestEnqueueSameEventTwiceSendsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOutbox(t)

	first, created, err := b.n.Enqueue(ctx, smsReminder(5, "hazard:1:remind:1d"))
	if err != nil || !created {
		t.Fatalf("first enqueue: created %v, err %v", created, err)
	}
	if first.Phone != "13800138000" || first.SentAt != nil || first.Attempts != 0 {
		t.Errorf("stored %+v", first)
	}
	again, created, err := b.n.Enqueue(ctx, smsReminder(5, "hazard:1:remind:1d"))
	if err != nil || created {
		t.Fatalf("second enqueue: created %v, err %v", created, err)
	}
	if again.ID != first.ID {
		t.Errorf("second enqueue returned notification %d, want the first, %d", again.ID, first.ID)
	}
	if n := outboxCount(t, b.db, "SELECT count(*) FROM notifications"); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
	if n := deliveryJobs(t, b.db); n != 1 {
		t.Errorf("%d delivery jobs, want 1", n)
	}

	// Even if the delivery runs twice (a rescued job), the message goes out once.
	sender := &countingSender{}
	for i, want := range []storage.DeliveryOutcome{storage.DeliverySent, storage.DeliveryDone} {
		got, err := b.n.Deliver(ctx, first.ID, false, sender)
		if err != nil || got != want {
			t.Errorf("delivery %d: %q, %v; want %q", i+1, got, err, want)
		}
	}
	if n := sender.sent.Load(); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}

	// The same event for another user or on another channel is another notification.
	other := smsReminder(6, "hazard:1:remind:1d")
	inApp := smsReminder(5, "hazard:1:remind:1d")
	inApp.Channel, inApp.Phone = inspect.ChannelInApp, ""
	for _, n := range []inspect.Notification{other, inApp} {
		if _, created, err := b.n.Enqueue(ctx, n); err != nil || !created {
			t.Errorf("enqueue for user %d on %s: created %v, err %v", n.UserID, n.Channel, created, err)
		}
	}
}

func TestEnqueueConcurrentlyStoresOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOutbox(t)
	const writers = 8
	var wg sync.WaitGroup
	var createdCount atomic.Int64
	ids := make([]int64, writers)
	for i := range writers {
		wg.Go(func() {
			n, created, err := b.n.Enqueue(ctx, smsReminder(5, "same-event"))
			if err != nil {
				t.Error(err)
				return
			}
			if created {
				createdCount.Add(1)
			}
			ids[i] = n.ID
		})
	}
	wg.Wait()
	if createdCount.Load() != 1 {
		t.Errorf("%d writers created the notification, want 1", createdCount.Load())
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("writers saw different notifications: %v", ids)
			break
		}
	}
	if n := deliveryJobs(t, b.db); n != 1 {
		t.Errorf("%d delivery jobs, want 1", n)
	}
}

func TestEnqueueIsPartOfTheCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOutbox(t)
	n := storage.New(storage.Deps{DB: b.db, Queue: failAfterQueue{b.sched}}).Notifications
	if _, _, err := n.Enqueue(ctx, smsReminder(5, "rolled-back")); err == nil {
		t.Fatal("enqueue whose transaction failed after the job was inserted: no error")
	}
	if n := outboxCount(t, b.db, "SELECT count(*) FROM notifications"); n != 0 {
		t.Errorf("%d notifications survived the rollback", n)
	}
	if n := deliveryJobs(t, b.db); n != 0 {
		t.Errorf("%d delivery jobs survived the rollback", n)
	}
}

func TestEnqueueRefusesInvalidNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOutbox(t)
	n := smsReminder(5, "k")
	n.Phone = ""
	_, _, err := b.n.Enqueue(ctx, n)
	var e *inspect.Error
	if !errors.As(err, &e) || e.Code != inspect.EINVALID || e.Field != "phone" {
		t.Fatalf("error %v, want invalid phone", err)
	}
	if n := outboxCount(t, b.db, "SELECT count(*) FROM notifications"); n != 0 {
		t.Errorf("%d notifications stored", n)
	}
}

func TestDeliverRecordsEachAttempt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	providerDown := errors.New("provider answered 503")
	tests := []struct {
		name        string
		sendErr     error
		lastAttempt bool
		wantOutcome storage.DeliveryOutcome
		wantSent    bool
		wantFailed  bool
		wantError   string
	}{
		{"sent", nil, false, storage.DeliverySent, true, false, ""},
		{"sent on the last attempt", nil, true, storage.DeliverySent, true, false, ""},
		{"retryable failure", providerDown, false, storage.DeliveryFailed, false, false, "provider answered 503"},
		{"retryable failure on the last attempt gives up", providerDown, true, storage.DeliveryFailed, false, true, "provider answered 503"},
		{"permanent failure gives up", inspect.Undeliverable(errors.New("number refused")), false, storage.DeliveryFailed, false, true, "number refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupOutbox(t)
			n, _, err := b.n.Enqueue(ctx, smsReminder(5, "k"))
			if err != nil {
				t.Fatal(err)
			}
			sender := &countingSender{err: tt.sendErr}
			got, err := b.n.Deliver(ctx, n.ID, tt.lastAttempt, sender)
			if got != tt.wantOutcome {
				t.Errorf("outcome %q, want %q", got, tt.wantOutcome)
			}
			if (err != nil) != (tt.sendErr != nil) || (tt.sendErr != nil && !errors.Is(err, tt.sendErr)) {
				t.Errorf("error %v, want %v", err, tt.sendErr)
			}
			if tt.sendErr != nil && inspect.IsUndeliverable(err) != inspect.IsUndeliverable(tt.sendErr) {
				t.Errorf("the error lost its permanence: %v", err)
			}
			var sent, failed bool
			var attempts int
			var lastError string
			if err := b.db.Pool.QueryRow(ctx, `SELECT sent_at IS NOT NULL, failed_at IS NOT NULL, attempts, last_error
				FROM notifications WHERE id = $1`, n.ID).Scan(&sent, &failed, &attempts, &lastError); err != nil {
				t.Fatal(err)
			}
			if sent != tt.wantSent || failed != tt.wantFailed || attempts != 1 || lastError != tt.wantError {
				t.Errorf("row: sent %v failed %v attempts %d last_error %q; want %v %v 1 %q", sent, failed, attempts, lastError, tt.wantSent, tt.wantFailed, tt.wantError)
			}
			// A retry after a retryable failure sends; after success or giving up it
			// does nothing.
			retry := &countingSender{}
			again, err := b.n.Deliver(ctx, n.ID, false, retry)
			wantAgain, wantSends := storage.DeliveryDone, int64(0)
			if !tt.wantSent && !tt.wantFailed {
				wantAgain, wantSends = storage.DeliverySent, 1
			}
			if err != nil || again != wantAgain || retry.sent.Load() != wantSends {
				t.Errorf("next attempt: %q, %v, %d sends; want %q, %d sends", again, err, retry.sent.Load(), wantAgain, wantSends)
			}
		})
	}
}

func TestDeliverSkipsARowAnotherWorkerHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOutbox(t)
	n, _, err := b.n.Enqueue(ctx, smsReminder(5, "k"))
	if err != nil {
		t.Fatal(err)
	}
	// Another worker is in the middle of sending it.
	other, err := b.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx) //nolint:errcheck
	if _, err := other.Exec(ctx, "SELECT 1 FROM notifications WHERE id = $1 FOR UPDATE", n.ID); err != nil {
		t.Fatal(err)
	}
	sender := &countingSender{}
	got, err := b.n.Deliver(ctx, n.ID, false, sender)
	if err != nil || got != storage.DeliveryBusy || sender.sent.Load() != 0 {
		t.Errorf("while held elsewhere: %q, %v, %d sends; want busy and no send", got, err, sender.sent.Load())
	}
	if err := other.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := b.n.Deliver(ctx, n.ID, false, sender); err != nil || got != storage.DeliverySent {
		t.Errorf("after release: %q, %v; want sent", got, err)
	}

	if _, err := b.n.Deliver(ctx, n.ID+1000, false, sender); inspect.ErrorCode(err) != inspect.ENOTFOUND {
		t.Errorf("missing notification: %v, want not_found", err)
	}
}

func TestInAppNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOutbox(t)
	inApp := func(user int64, key string) inspect.Notification {
		n := smsReminder(user, key)
		n.Channel, n.Phone = inspect.ChannelInApp, ""
		return n
	}
	var ids []int64
	for _, key := range []string{"a", "b", "c", "d", "e"} {
		n, _, err := b.n.Enqueue(ctx, inApp(5, key))
		if err != nil {
			t.Fatal(err)
		}
		if n.SentAt == nil {
			t.Errorf("in-app notification %s is not delivered on enqueue", key)
		}
		ids = append(ids, n.ID)
	}
	// Not in user 5's list: another user's, and user 5's SMS.
	if _, _, err := b.n.Enqueue(ctx, inApp(6, "a")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.n.Enqueue(ctx, smsReminder(5, "a")); err != nil {
		t.Fatal(err)
	}
	if n := deliveryJobs(t, b.db); n != 1 {
		t.Errorf("%d delivery jobs, want 1 (for the SMS only)", n)
	}

	page1, err := b.n.Notifications(ctx, principal(5), 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	page2, err := b.n.Notifications(ctx, principal(5), 3, page1[len(page1)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, n := range append(page1, page2...) {
		if n.UserID != 5 || n.Channel != inspect.ChannelInApp {
			t.Errorf("listed %+v", n)
		}
		got = append(got, n.ID)
	}
	want := []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if len(page1) != 3 || len(page2) != 2 || !slices.Equal(got, want) {
		t.Errorf("pages %d + %d: %v, want %v newest first", len(page1), len(page2), got, want)
	}
	if none, err := b.n.Notifications(ctx, principal(99), 10, 0); err != nil || none == nil || len(none) != 0 {
		t.Errorf("user without notifications: %v, %v; want an empty list", none, err)
	}
	for _, bad := range []struct {
		limit  int
		before int64
		field  string
	}{{0, 0, "limit"}, {101, 0, "limit"}, {10, -1, "before"}} {
		_, err := b.n.Notifications(ctx, principal(5), bad.limit, bad.before)
		var e *inspect.Error
		if !errors.As(err, &e) || e.Field != bad.field {
			t.Errorf("limit %d before %d: %v, want an error on %s", bad.limit, bad.before, err, bad.field)
		}
	}

	if err := b.n.MarkNotificationRead(ctx, principal(5), ids[1]); err != nil {
		t.Fatal(err)
	}
	first, _ := b.n.Notifications(ctx, principal(5), 100, 0)
	if err := b.n.MarkNotificationRead(ctx, principal(5), ids[1]); err != nil {
		t.Errorf("marking read twice: %v", err)
	}
	second, _ := b.n.Notifications(ctx, principal(5), 100, 0)
	for i, n := range second {
		switch {
		case n.ID == ids[1] && (n.ReadAt == nil || !n.ReadAt.Equal(*first[i].ReadAt)):
			t.Errorf("read notification: read_at %v then %v; want set once", first[i].ReadAt, n.ReadAt)
		case n.ID != ids[1] && n.ReadAt != nil:
			t.Errorf("notification %d is read", n.ID)
		}
	}
	if err := b.n.MarkNotificationRead(ctx, principal(6), ids[0]); inspect.ErrorCode(err) != inspect.ENOTFOUND {
		t.Errorf("marking another user's notification read: %v, want not_found", err)
	}
}

func TestPruneOutboxKeepsWhatIsStillNeeded(t *testing.T) {
	db, _ := storagetest.NewDB(t)
	ctx := t.Context()
	svc := storage.New(storage.Deps{DB: db})
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(svc), "pw-prune-2024")
	u := f.Merchant("m-prune")
	old, recent := time.Now().Add(-40*24*time.Hour), time.Now().Add(-24*time.Hour)
	rows := []struct {
		key, channel string
		sent, failed *time.Time
		created      time.Time
		kept         bool
	}{
		{"sms-old-sent", "sms", &old, nil, old, false},
		{"sms-old-failed", "sms", nil, &old, old, false},
		{"log-old-sent", "log", &old, nil, old, false},
		{"sms-recent-sent", "sms", &recent, nil, recent, true},
		{"sms-old-unsent", "sms", nil, nil, old, true},
		{"in-app-old", "in_app", &old, nil, old, true},
	}
	for _, r := range rows {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO notifications (user_id, channel, kind, text_zh, text_en, dedup_key, created_at, sent_at, failed_at)
			VALUES ($1, $2, 'deadline_reminder', '提醒', 'reminder', $3, $4, $5, $6)`, u.ID, r.channel, r.key, r.created, r.sent, r.failed); err != nil {
			t.Fatal(err)
		}
	}
	n, err := svc.Notifications.PruneOutbox(ctx, time.Now().Add(-30*24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("pruned %d (err %v), want 3", n, err)
	}
	for _, r := range rows {
		var left bool
		if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notifications WHERE dedup_key = $1)`, r.key).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != r.kept {
			t.Errorf("%s: kept %v, want %v", r.key, left, r.kept)
		}
	}
}
