package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// webhookReceiver is a system that takes SafeGrid's pushes: it checks each
// signature and event hash, and keeps each delivery once by its delivery id, as
// the README tells receivers to. When holdAt deliveries have arrived it holds
// the next one open (signalling held) until release is closed, so that the test
// can kill the sender between the POST and its commit.
type webhookReceiver struct {
	secret  string
	holdAt  int
	held    chan int64
	release chan struct{}

	mu         sync.Mutex
	byDelivery map[int64]string // delivery id → "hazard/seq"
	posts      int
	repeats    int // posts of a delivery id already kept
	bad        []string
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var b storage.WebhookBody
	sigOK := storagetest.WebhookSignatureValid(r.secret, req.Header.Get("X-SafeGrid-Signature"), body)
	err := json.Unmarshal(body, &b)
	r.mu.Lock()
	r.posts++
	switch {
	case !sigOK:
		r.bad = append(r.bad, "bad signature: "+string(body))
	case err != nil || b.DeliveryID == 0 || b.Hash != b.ComputeHash():
		r.bad = append(r.bad, fmt.Sprintf("bad body (%v): %s", err, body))
	default:
		key := fmt.Sprintf("%d/%d", b.HazardID, b.Seq)
		if prev, ok := r.byDelivery[b.DeliveryID]; ok {
			r.repeats++
			if prev != key {
				r.bad = append(r.bad, fmt.Sprintf("delivery %d was %s, now %s", b.DeliveryID, prev, key))
			}
		} else {
			r.byDelivery[b.DeliveryID] = key
		}
	}
	hold := len(r.byDelivery) == r.holdAt && r.held != nil
	var held chan int64
	if hold {
		held, r.held = r.held, nil
	}
	r.mu.Unlock()
	if hold {
		held <- b.DeliveryID
		<-r.release
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestWebhooksOnceThroughKill is issue #14's acceptance 7: a webhook receiver
// sees each hazard change once, with a valid signature, across a kill of the
// sending replica. 200 hazard events wait for delivery; replica A delivers
// them; with a delivery posted but not yet recorded as sent (the receiver holds
// the answer), A is killed with SIGKILL, and replica B takes over. B posts the
// unrecorded delivery again under the same delivery id, which the receiver
// drops as a repeat: every event is kept exactly once.
func TestWebhooksOnceThroughKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two server processes; skipped with -short")
	}
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "safegrid")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build safegrid: %v\n%s", err, out)
	}
	st := storagetest.New(t)
	store := st.Store
	f := storagetest.NewFactory(t, storagetest.DirectoryOf(store), "webhook test password")
	tree := f.Tree("District", "Sub", "Community", "Grid")
	officer := f.Principal(f.Officer("gridofficer", tree.Grid))
	inspector := f.Principal(f.Inspector("inspector", tree.Grid))
	merchant := f.Principal(f.Merchant("merchant"))

	const secret = "a shared secret of the grid platform"
	recv := &webhookReceiver{secret: secret, holdAt: 60, held: make(chan int64, 1), release: make(chan struct{}), byDelivery: map[int64]string{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	defer func() {
		select {
		case <-recv.release:
		default:
			close(recv.release)
		}
	}()
	if _, err := store.Webhooks.CreateWebhook(ctx, f.AdminP, "grid platform", srv.URL+"/safegrid", secret); err != nil {
		t.Fatal(err)
	}

	// 100 hazards, each created and notified: 200 events to push.
	profile := storagetest.Profile(t, "shop-street-lpg.json")
	for n := 0; n < 100; {
		site, err := store.Sites.CreateSite(ctx, f.AdminP, inspect.Site{Name: fmt.Sprintf("Shop %d", n), Type: "shop", Address: "1 Road", Lat: 30.6, Lng: 104.0,
			GridID: tree.Grid.ID, Profile: profile, MerchantIDs: []int64{merchant.User.ID}})
		if err != nil {
			t.Fatal(err)
		}
		insp, err := store.Inspections.AssignInspection(ctx, officer, site.ID, inspector.User.ID, time.Now().Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		d, err := store.Inspections.StartInspection(ctx, inspector, insp.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range d.Items[:min(10, len(d.Items), 100-n)] {
			ans, err := store.Inspections.AnswerItem(ctx, inspector, d.ID, inspect.Item{Code: it.Code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Hazards.HazardAction(ctx, officer, ans.HazardID, inspect.ActionNotify, inspect.HazardActionInput{}); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := st.DB.Pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	events := count(`SELECT count(*) FROM hazard_events`)
	if deliveries := count(`SELECT count(*) FROM webhook_deliveries`); events != 200 || deliveries != events {
		t.Fatalf("%d events, %d deliveries; want 200 each", events, deliveries)
	}

	env := []string{"DATABASE_URL=" + st.URL, "SAFEGRID_S3_BUCKET=" + st.Objects.Bucket(), "SAFEGRID_CACHE_DIR=" + t.TempDir(),
		"SAFEGRID_JOB_RESCUE_AFTER=10s", "SAFEGRID_LOG_LEVEL=warn", "SAFEGRID_AI_SESSIONS=1", "PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"SAFEGRID_S3_ENDPOINT", "SAFEGRID_S3_ACCESS_KEY", "SAFEGRID_S3_SECRET_KEY", "SAFEGRID_S3_USE_TLS", "SAFEGRID_ORT_LIB", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	a := startReplica(t, bin, "replica A", env)
	var heldID int64
	select {
	case heldID = <-recv.held:
	case <-time.After(90 * time.Second):
		t.Fatalf("replica A delivered only %d webhooks in 90 s", len(recv.byDelivery))
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	close(recv.release)
	var sentAtKill int
	if err := st.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE sent_at IS NOT NULL`).Scan(&sentAtKill); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed replica A with delivery %d posted and held; %d deliveries recorded as sent", heldID, sentAtKill)
	startReplica(t, bin, "replica B", env)

	deadline := time.Now().Add(120 * time.Second)
	for count(`SELECT count(*) FROM webhook_deliveries WHERE sent_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still unsent 120 s after the kill", count(`SELECT count(*) FROM webhook_deliveries WHERE sent_at IS NULL`))
		}
		time.Sleep(200 * time.Millisecond)
	}

	recv.mu.Lock()
	defer recv.mu.Unlock()
	for _, b := range recv.bad {
		t.Error(b)
	}
	// Every event kept exactly once: one delivery id per event, none missing.
	perEvent := map[string]int{}
	for _, key := range recv.byDelivery {
		perEvent[key]++
	}
	rows, err := st.DB.Pool.Query(ctx, `SELECT hazard_id || '/' || seq FROM hazard_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			t.Fatal(err)
		}
		if perEvent[key] != 1 {
			t.Errorf("event %s kept %d times, want once", key, perEvent[key])
		}
		delete(perEvent, key)
	}
	if len(perEvent) != 0 {
		t.Errorf("kept deliveries of events that do not exist: %v", perEvent)
	}
	// The held delivery, posted by A but not recorded, was posted again by B; the
	// receiver dropped the repeat by its delivery id.
	if recv.repeats != 1 {
		t.Errorf("%d repeated deliveries, want exactly 1 (the one posted when A was killed)", recv.repeats)
	}
	t.Logf("%d posts for %d events: %d repeat dropped by delivery id", recv.posts, events, recv.repeats)
}
