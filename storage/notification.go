package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// notificationColumns are the columns of inspect.Notification, for
// pgx.RowToStructByName.
const notificationColumns = `id, user_id, channel, kind, text_zh, text_en, phone, dedup_key,
	created_at, sent_at, failed_at, read_at, attempts, last_error`

// Enqueue stores n in the outbox and schedules its delivery, in a transaction of
// its own. See enqueueNotification.
func (s *NotificationService) Enqueue(ctx context.Context, n inspect.Notification) (stored inspect.Notification, created bool, err error) {
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		stored, created, err = s.enqueueNotification(ctx, tx, n)
		return err
	})
	return stored, created, err
}

// enqueueNotification stores n in the outbox inside tx, the transaction of the
// change the notification is about, and inserts the River job that delivers it in
// the same transaction: both happen or neither does. An in-app notification is
// delivered by being stored and needs no job.
//
// A notification with the same user, channel and dedup key as a stored one is not
// stored again and gets no second job: enqueueNotification returns the stored
// one and created false.
func (s *base) enqueueNotification(ctx context.Context, tx pgx.Tx, n inspect.Notification) (inspect.Notification, bool, error) {
	if err := n.Validate(); err != nil {
		return inspect.Notification{}, false, err
	}
	n.Phone = inspect.NormalizePhone(n.Phone)
	rows, _ := tx.Query(ctx, `INSERT INTO notifications (user_id, channel, kind, text_zh, text_en, phone, dedup_key, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $2 = 'in_app' THEN now() END)
		ON CONFLICT (user_id, channel, dedup_key) DO NOTHING
		RETURNING `+notificationColumns,
		n.UserID, n.Channel, n.Kind, n.TextZH, n.TextEN, n.Phone, n.DedupKey)
	stored, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[inspect.Notification])
	if errors.Is(err, pgx.ErrNoRows) {
		// Already enqueued (perhaps by a transaction that committed while this one
		// waited on the unique key): the first one stands.
		rows, _ := tx.Query(ctx, `SELECT `+notificationColumns+` FROM notifications
			WHERE user_id = $1 AND channel = $2 AND dedup_key = $3`, n.UserID, n.Channel, n.DedupKey)
		stored, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[inspect.Notification])
		if err != nil {
			return inspect.Notification{}, false, fmt.Errorf("read notification %q of user %d: %w", n.DedupKey, n.UserID, err)
		}
		return stored, false, nil
	}
	if err != nil {
		return inspect.Notification{}, false, fmt.Errorf("store notification %q of user %d: %w", n.DedupKey, n.UserID, err)
	}
	if stored.Channel != inspect.ChannelInApp {
		if s.queue == nil {
			return inspect.Notification{}, false, fmt.Errorf("notification %d on channel %s: no job queue to deliver it", stored.ID, stored.Channel)
		}
		if err := s.queue.DeliverNotification(ctx, tx, stored.ID); err != nil {
			return inspect.Notification{}, false, fmt.Errorf("schedule delivery of notification %d: %w", stored.ID, err)
		}
	}
	return stored, true, nil
}

// DeliveryOutcome says what one Deliver call did.
type DeliveryOutcome string

// The delivery outcomes.
const (
	// DeliverySent: the notification was sent by this call.
	DeliverySent DeliveryOutcome = "sent"
	// DeliveryFailed: this attempt failed; the notification is given up when the
	// failure was permanent or it was the last attempt, and waits for the next
	// attempt otherwise.
	DeliveryFailed DeliveryOutcome = "failed"
	// DeliveryDone: it had been sent or given up before; nothing was done.
	DeliveryDone DeliveryOutcome = "done"
	// DeliveryBusy: another worker is delivering it at this moment; nothing was done.
	DeliveryBusy DeliveryOutcome = "busy"
)

// maxLastError bounds the error text kept on a notification.
const maxLastError = 1000

// Deliver delivers notification id through send, at most once however
// many workers try at the same time. In one transaction it claims the outbox row
// (SELECT ... FOR UPDATE SKIP LOCKED, so a second worker does not wait but gets
// DeliveryBusy), skips a row already sent or given up (DeliveryDone), sends, and
// records the attempt in attempts: sent_at on success; otherwise last_error and,
// when the error is inspect.Undeliverable or lastAttempt is set, failed_at. The row lock is held
// while send runs, so send must be bounded by ctx.
//
// On DeliveryFailed the send error is returned too, so that the job system can
// retry or give up. The record of the attempt is written even when ctx ends during
// send, so that a message the provider took is not sent again.
func (s *NotificationService) Deliver(ctx context.Context, id int64, lastAttempt bool, send inspect.Sender) (DeliveryOutcome, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// The claim and the record use a context that outlives ctx: once send has
	// run, its outcome must be stored. Its bound covers a send cut off by ctx
	// (River's job timeout, a minute) plus the database work.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var (
		outcome DeliveryOutcome
		sendErr error
	)
	err := s.db.inTx(recordCtx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(recordCtx, `SELECT `+notificationColumns+` FROM notifications
			WHERE id = $1 FOR UPDATE SKIP LOCKED`, id)
		n, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[inspect.Notification])
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(recordCtx, "SELECT EXISTS (SELECT 1 FROM notifications WHERE id = $1)", id).Scan(&exists); err != nil {
				return fmt.Errorf("look for notification %d: %w", id, err)
			}
			if !exists {
				return inspect.Errorf(inspect.ENOTFOUND, "notification %d not found", id)
			}
			outcome = DeliveryBusy
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim notification %d: %w", id, err)
		}
		if n.Delivered() {
			outcome = DeliveryDone
			return nil
		}
		sendErr = send.Send(ctx, n)
		if sendErr == nil {
			outcome = DeliverySent
			// last_error stays: it tells why the earlier attempts failed.
			_, err = tx.Exec(recordCtx, `UPDATE notifications SET sent_at = now(), attempts = attempts + 1
				WHERE id = $1`, id)
		} else {
			outcome = DeliveryFailed
			msg := sendErr.Error()
			if len(msg) > maxLastError {
				msg = msg[:maxLastError]
			}
			giveUp := lastAttempt || inspect.IsUndeliverable(sendErr)
			_, err = tx.Exec(recordCtx, `UPDATE notifications SET attempts = attempts + 1, last_error = $2,
				failed_at = CASE WHEN $3 THEN now() END
				WHERE id = $1`, id, msg, giveUp)
		}
		if err != nil {
			return fmt.Errorf("record delivery of notification %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if sendErr != nil {
		return outcome, fmt.Errorf("deliver notification %d: %w", id, sendErr)
	}
	return outcome, nil
}

// maxNotificationPage is the most notifications Notifications returns at once.
const maxNotificationPage = 100

// Notifications returns the principal's own in-app notifications, newest first:
// at most limit (1 to 100) of them, with ids below before (0 for the newest). The
// id of the last one is the before of the next page.
func (s *NotificationService) Notifications(ctx context.Context, p inspect.Principal, limit int, before int64) ([]inspect.Notification, error) {
	userID := p.User.ID
	if limit < 1 || limit > maxNotificationPage {
		return nil, inspect.FieldErrorf("limit", "must be from 1 to %d", maxNotificationPage)
	}
	if before < 0 {
		return nil, inspect.FieldErrorf("before", "must be a notification id, or 0 for the newest")
	}
	rows, _ := s.db.Pool.Query(ctx, `SELECT `+notificationColumns+` FROM notifications
		WHERE user_id = $1 AND channel = 'in_app' AND ($2 = 0 OR id < $2)
		ORDER BY id DESC LIMIT $3`, userID, before, limit)
	ns, err := pgx.CollectRows(rows, pgx.RowToStructByName[inspect.Notification])
	if err != nil {
		return nil, fmt.Errorf("list notifications of user %d: %w", userID, err)
	}
	if ns == nil {
		ns = []inspect.Notification{}
	}
	return ns, nil
}

// UnreadNotifications counts the unread among the principal's window newest
// in-app notifications (1 to 100) and returns the newest one's id (0 when there
// is none): what the notification bell polls for. One query on the in-app index
// that takes id and read_at of at most window rows and returns two numbers, never
// the texts, so that a poll with nothing new stays cheap.
func (s *NotificationService) UnreadNotifications(ctx context.Context, p inspect.Principal, window int) (unread int, newestID int64, err error) {
	if window < 1 || window > maxNotificationPage {
		return 0, 0, inspect.FieldErrorf("window", "must be from 1 to %d", maxNotificationPage)
	}
	err = s.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE read_at IS NULL), coalesce(max(id), 0)
		FROM (SELECT id, read_at FROM notifications WHERE user_id = $1 AND channel = 'in_app'
			ORDER BY id DESC LIMIT $2) newest`, p.User.ID, window).Scan(&unread, &newestID)
	if err != nil {
		return 0, 0, fmt.Errorf("count unread notifications of user %d: %w", p.User.ID, err)
	}
	return unread, newestID, nil
}

// MarkNotificationRead marks one of the principal's in-app notifications read.
// Marking it again keeps the first time; anyone else's is not_found.
func (s *NotificationService) MarkNotificationRead(ctx context.Context, p inspect.Principal, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE notifications SET read_at = coalesce(read_at, now())
		WHERE id = $1 AND user_id = $2 AND channel = 'in_app'`, id, p.User.ID)
	if err != nil {
		return fmt.Errorf("mark notification %d read: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return inspect.Errorf(inspect.ENOTFOUND, "notification not found")
	}
	return nil
}

// PruneOutbox deletes the SMS and log notifications delivered or given up before
// before, a batch at a time so that no delete holds many rows locked, and returns
// how many it deleted. In-app notifications are the users' lists and stay; rows
// not yet delivered stay whatever their age.
func (s *NotificationService) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.db.Pool.Exec(ctx, `DELETE FROM notifications WHERE id IN (
			SELECT id FROM notifications WHERE channel <> 'in_app' AND (sent_at < $1 OR failed_at < $1) LIMIT 5000)`, before)
		if err != nil {
			return total, fmt.Errorf("prune the outbox: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 5000 {
			return total, nil
		}
	}
}
