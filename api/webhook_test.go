package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// receiver is a webhook endpoint that checks signatures and counts each event.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	seen   map[string]int // "hazard/seq" → deliveries
	bad    int
	failN  int // answer 500 to the first failN requests
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failN > 0 {
		r.failN--
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	body, _ := io.ReadAll(req.Body)
	if !storagetest.WebhookSignatureValid(r.secret, req.Header.Get("X-SafeGrid-Signature"), body) {
		r.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var b storage.WebhookBody
	if err := json.Unmarshal(body, &b); err != nil || b.Hash != b.ComputeHash() || req.Header.Get("X-SafeGrid-Event") != b.Kind {
		r.bad++
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.seen[fmt.Sprintf("%d/%d", b.HazardID, b.Seq)]++
}

// Every hazard change reaches the webhook once, signed, after a receiver outage;
// a revoked webhook gets nothing new.
func TestWebhookSeesEveryHazardChangeOnce(t *testing.T) {
	w := setup(t)
	rec := &receiver{t: t, secret: "a-shared-secret-of-32-characters", seen: map[string]int{}, failN: 2}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	var hook inspect.Webhook
	if st := w.call(w.login(w.admin), "POST", "/api/v1/integrations/webhooks", map[string]string{"name": "city platform", "url": srv.URL, "secret": rec.secret}, &hook); st != 201 || hook.Secret != rec.secret {
		t.Fatalf("create webhook: %d %+v", st, hook)
	}
	h, _ := w.hazard(w.own, inspect.ActionNotify, inspect.ActionSubmitProof, inspect.ActionReinspectFixed)
	other, _ := w.hazard(w.other, inspect.ActionNotify)
	want := len(h.Events) + len(other.Events)
	// Two replicas' delivery jobs at once, the receiver down for the first two posts.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.svc.Webhooks.DeliverWebhooks(w.ctx, srv.Client(), 100); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// The two failed ones are due again after their backoff: move the clock on by
	// making them due now.
	if _, err := w.db.Pool.Exec(w.ctx, `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE sent_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Webhooks.DeliverWebhooks(w.ctx, srv.Client(), 100); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	if len(rec.seen) != want || rec.bad != 0 {
		t.Errorf("the receiver saw %d distinct events (want %d), %d badly signed", len(rec.seen), want, rec.bad)
	}
	for k, n := range rec.seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", k, n)
		}
	}
	rec.mu.Unlock()
	var failed int
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT count(*) FROM webhook_deliveries WHERE sent_at IS NULL OR attempts < 1`).Scan(&failed); err != nil || failed != 0 {
		t.Errorf("%d deliveries not sent (err %v)", failed, err)
	}

	// Revoked: a new change makes no delivery.
	if st := w.call(w.login(w.admin), "DELETE", fmt.Sprintf("/api/v1/integrations/webhooks/%d", hook.ID), nil, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	w.hazard(w.own, inspect.ActionNotify)
	var after int
	if err := w.db.Pool.QueryRow(w.ctx, `SELECT count(*) FROM webhook_deliveries`).Scan(&after); err != nil || after != want {
		t.Errorf("%d deliveries after revoking, want %d", after, want)
	}
	var list api.List[inspect.Webhook]
	if w.call(w.login(w.admin), "GET", "/api/v1/integrations/webhooks", nil, &list); len(list.Items) != 1 || list.Items[0].Secret != "" || list.Items[0].RevokedAt == nil {
		t.Errorf("the list: %+v (secrets must not be shown)", list)
	}
}
