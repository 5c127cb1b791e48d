package storage

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safegrid/safegrid/inspect"
)

// WebhookService keeps the outbound webhooks and delivers them: every hazard
// event becomes one signed POST per live webhook (migration 0180's trigger makes
// the delivery rows in the event's own transaction).
type WebhookService struct{ *base }

const webhookColumns = `id, name, url, '' AS secret, created_by, created_at, revoked_at`

// CreateWebhook registers url (http or https) for every hazard change, signed
// with secret (admins only).
func (s *WebhookService) CreateWebhook(ctx context.Context, p inspect.Principal, name, rawURL, secret string) (inspect.Webhook, error) {
	if !p.IsAdmin() {
		return inspect.Webhook{}, forbidden("only admins manage webhooks")
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return inspect.Webhook{}, inspect.FieldErrorf("url", "must be an http or https URL")
	}
	if len(secret) < 16 {
		return inspect.Webhook{}, inspect.FieldErrorf("secret", "must be at least 16 characters")
	}
	if name == "" {
		return inspect.Webhook{}, inspect.FieldErrorf("name", "is required: the system that receives the changes")
	}
	rows, err := s.db.Pool.Query(ctx, `INSERT INTO webhooks (name, url, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
		RETURNING id, name, url, secret, created_by, created_at, revoked_at`, name, u.String(), secret, p.User.ID, s.now())
	return collectOne[inspect.Webhook](rows, err, "webhook")
}

// Webhooks lists one page of the webhooks, by id, without their secrets (admins
// only).
func (s *WebhookService) Webhooks(ctx context.Context, p inspect.Principal, afterID int64, limit int) ([]inspect.Webhook, error) {
	if !p.IsAdmin() {
		return nil, forbidden("only admins manage webhooks")
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	return collectAll[inspect.Webhook](rows, err)
}

// RevokeWebhook stops new deliveries to webhook id; those already made are still
// delivered (admins only).
func (s *WebhookService) RevokeWebhook(ctx context.Context, p inspect.Principal, id int64) (inspect.Webhook, error) {
	if !p.IsAdmin() {
		return inspect.Webhook{}, forbidden("only admins manage webhooks")
	}
	rows, err := s.db.Pool.Query(ctx, `UPDATE webhooks SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING `+webhookColumns, id, s.now())
	return collectOne[inspect.Webhook](rows, err, fmt.Sprintf("webhook %d", id))
}

// WebhookBody is what a webhook receives: one hazard event as the chain holds it
// (with prev_hash and hash, so a receiver can check the chain), and the delivery's
// id, by which a receiver drops a repeat.
type WebhookBody struct {
	DeliveryID int64 `json:"delivery_id"`
	inspect.Event
}

// SignWebhook returns the signature header of body sent at t: "t=<unix>,v1=<hex
// HMAC-SHA256 of "<unix>.<body>">", as receivers check it.
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// webhookAttempts is how often a delivery is tried before it is given up.
const webhookAttempts = 10

// DeliverWebhooks posts up to limit due deliveries with client and returns how
// many were sent. Each delivery is claimed in its own transaction with FOR UPDATE
// SKIP LOCKED, posted while the claim is held, and recorded in that transaction:
// two replicas never post the same delivery at once, and a posted delivery is
// marked sent before the claim ends. A failure is tried again later, with backoff,
// up to webhookAttempts times.
func (s *WebhookService) DeliverWebhooks(ctx context.Context, client *http.Client, limit int) (int, error) {
	sent := 0
	for range limit {
		done, ok, err := s.deliverOne(ctx, client)
		if err != nil || !done {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// deliverOne claims and posts the next due delivery; done is false when there is
// none.
func (s *WebhookService) deliverOne(ctx context.Context, client *http.Client) (done, ok bool, err error) {
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		var body WebhookBody
		var target, secret string
		var attempts int
		e := &body.Event
		err := tx.QueryRow(ctx, `SELECT d.id, d.attempts, w.url, w.secret, e.hazard_id, e.seq, e.kind, e.at, e.actor, e.payload, e.prev_hash, e.hash
			FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
			JOIN hazard_events e ON e.hazard_id = d.hazard_id AND e.seq = d.seq
			WHERE d.sent_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1
			ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED`, s.now()).
			Scan(&body.DeliveryID, &attempts, &target, &secret, &e.HazardID, &e.Seq, &e.Kind, &e.At, &e.Actor, &e.Payload, &e.PrevHash, &e.Hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim a webhook delivery: %w", err)
		}
		done = true
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		postErr := postWebhook(ctx, client, target, secret, body, raw, s.now())
		attempts++
		if postErr == nil {
			ok = true
			_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET sent_at = $2, attempts = $3 WHERE id = $1`, body.DeliveryID, s.now(), attempts)
			return err
		}
		msg := postErr.Error()
		if len(msg) > maxLastError {
			msg = msg[:maxLastError]
		}
		giveUp := attempts >= webhookAttempts
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = $2, last_error = $3, next_attempt_at = $4,
			failed_at = CASE WHEN $5 THEN $6::timestamptz END WHERE id = $1`,
			body.DeliveryID, attempts, msg, s.now().Add(inspect.DeliveryBackoff(attempts)), giveUp, s.now())
		return err
	})
	return done, ok, err
}

// postWebhook posts raw to target, signed; any answer but 2xx is an error.
func postWebhook(ctx context.Context, client *http.Client, target, secret string, body WebhookBody, raw []byte, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "SafeGrid-Webhook/1")
	req.Header.Set("X-SafeGrid-Delivery", strconv.FormatInt(body.DeliveryID, 10))
	req.Header.Set("X-SafeGrid-Event", body.Kind)
	req.Header.Set("X-SafeGrid-Signature", SignWebhook(secret, now, raw))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}
