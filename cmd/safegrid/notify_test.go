package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/config"
	"github.com/safegrid/safegrid/storage/jobs"
	"github.com/safegrid/safegrid/storage/sms"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// smsReceiver is a stand-in SMS provider: it records every POST and answers with
// the status respond gives for the n-th (1-based) request about one notification.
type smsReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	hits    map[int64]int // notification id → requests
	bodies  []smsBody
	headers []http.Header
	respond func(hit int) int
}

type smsBody struct {
	Phone string `json:"phone"`
	Text  string `json:"text"`
	ID    int64  `json:"id"`
}

func newSMSReceiver(t *testing.T, respond func(hit int) int) *smsReceiver {
	r := &smsReceiver{hits: map[int64]int{}, respond: respond}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b smsBody
		if err := json.NewDecoder(req.Body).Decode(&b); err != nil {
			t.Errorf("SMS body is not the default template's JSON: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.hits[b.ID]++
		hit := r.hits[b.ID]
		r.bodies = append(r.bodies, b)
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		code := r.respond(hit)
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *smsReceiver) hitsFor(id int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[id]
}

func always(code int) func(int) int { return func(int) int { return code } }

// deliveryBundle is one database with a running job client whose SMS goes to a
// receiver.
type deliveryBundle struct {
	db   *storage.DB
	jobs *river.Client[pgx.Tx]
	n    *storage.NotificationService
	sms  *smsReceiver
	log  *syncBuffer
}

// setupDelivery starts a job client on a database of the test's own, with SMS
// sent to a receiver answering respond (no SMS when respond is nil) and retries
// spaced by a few milliseconds instead of seconds.
func setupDelivery(t *testing.T, respond func(hit int) int) deliveryBundle {
	t.Helper()
	db, _ := storagetest.NewDB(t)
	b := deliveryBundle{db: db, log: &syncBuffer{}}
	env := map[string]string{}
	if respond != nil {
		b.sms = newSMSReceiver(t, respond)
		env["SAFEGRID_SMS_URL"] = b.sms.URL + "/send?token=secret"
	}
	b.jobs, b.n = startJobClient(t, db, env, b.log)
	return b
}

// startJobClient starts the job client on db with the senders of the
// configuration env, logging to w, and stops it when the test ends. It returns
// the client and the notification service that enqueues through it.
func startJobClient(t *testing.T, db *storage.DB, env map[string]string, w io.Writer) (*river.Client[pgx.Tx], *storage.NotificationService) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(w, nil))
	sched, err := jobs.NewScheduler(db, false)
	if err != nil {
		t.Fatal(err)
	}
	svc := storage.New(storage.Deps{DB: db, Queue: sched, SMS: cfg.SMSURL != ""})
	client, err := jobs.NewClient(jobs.Config{DB: db, Services: svc, Senders: newSenders(cfg, log), Log: log,
		Backoff: func(int) time.Duration { return 5 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	return startClient(t, client), svc.Notifications
}

// startClient starts client and stops it when the test ends.
func startClient(t *testing.T, jobs *river.Client[pgx.Tx]) *river.Client[pgx.Tx] {
	t.Helper()
	if err := jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := jobs.Stop(ctx); err != nil {
			t.Errorf("stop job client: %v", err)
		}
	})
	return jobs
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outboxRow is what a test checks of a notification after delivery.
type outboxRow struct {
	Sent, Failed bool
	Attempts     int
	LastError    string
	JobStates    string // the states of its delivery jobs, sorted, comma-separated
}

func readOutbox(t *testing.T, db *storage.DB, id int64) outboxRow {
	t.Helper()
	var r outboxRow
	err := db.Pool.QueryRow(context.Background(), `SELECT n.sent_at IS NOT NULL, n.failed_at IS NOT NULL, n.attempts, n.last_error,
			coalesce((SELECT string_agg(j.state::text, ',' ORDER BY j.state::text) FROM river_job j
				WHERE j.kind = 'deliver_notification' AND (j.args->>'notification_id')::bigint = n.id), '')
		FROM notifications n WHERE n.id = $1`, id).Scan(&r.Sent, &r.Failed, &r.Attempts, &r.LastError, &r.JobStates)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// settled reports whether a notification's delivery is over: the row is sent or
// given up, and no delivery job is still to run.
func (r outboxRow) settled() bool {
	if !r.Sent && !r.Failed {
		return false
	}
	for _, s := range strings.Split(r.JobStates, ",") {
		switch s {
		case "available", "running", "retryable", "pending":
			return false
		}
	}
	return true
}

func smsNote(user int64, key string) inspect.Notification {
	return inspect.Notification{
		UserID: user, Channel: inspect.ChannelSMS, Kind: inspect.KindDeadlineReminder,
		TextZH: `请于明日前整改"电动车室内充电"`, TextEN: "Rectify indoor e-bike charging by tomorrow",
		Phone: "138 0013 8000", DedupKey: key,
	}
}

func TestSMSDelivery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		respond      func(hit int) int
		wantSent     bool
		wantAttempts int
		wantError    string // in last_error
		wantJob      string
	}{
		{"taken at once", always(200), true, 1, "", "completed"},
		{"provider fails, then takes it", func(hit int) int { return map[bool]int{true: 500, false: 200}[hit == 1] }, true, 2, "500", "completed"},
		{"rate limited twice, then taken", func(hit int) int { return map[bool]int{true: 429, false: 202}[hit <= 2] }, true, 3, "429", "completed"},
		{"provider refuses the number", always(400), false, 1, "refused the message with 400 Bad Request: answer 400", "cancelled"},
		{"provider down for every attempt", always(503), false, inspect.MaxDeliveryAttempts, "503", "discarded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setupDelivery(t, tt.respond)
			n, _, err := b.n.Enqueue(ctx, smsNote(5, "hazard:1:remind:1d"))
			if err != nil {
				t.Fatal(err)
			}
			var row outboxRow
			waitFor(t, 30*time.Second, "the delivery to settle", func() bool { row = readOutbox(t, b.db, n.ID); return row.settled() })
			if row.Sent != tt.wantSent || row.Failed == tt.wantSent || row.Attempts != tt.wantAttempts || row.JobStates != tt.wantJob {
				t.Errorf("outbox %+v; want sent %v, %d attempts, job %s", row, tt.wantSent, tt.wantAttempts, tt.wantJob)
			}
			if !strings.Contains(row.LastError, tt.wantError) || (tt.wantError == "" && row.LastError != "") {
				t.Errorf("last_error %q, want it to mention %q", row.LastError, tt.wantError)
			}
			if strings.Contains(row.LastError, "secret") {
				t.Errorf("last_error %q leaks the provider URL's token", row.LastError)
			}
			if got := b.sms.hitsFor(n.ID); got != tt.wantAttempts {
				t.Errorf("the provider got %d requests, want %d", got, tt.wantAttempts)
			}
			b.sms.mu.Lock()
			defer b.sms.mu.Unlock()
			first, h := b.sms.bodies[0], b.sms.headers[0]
			if first.Phone != "13800138000" || first.Text != n.TextZH || first.ID != n.ID {
				t.Errorf("provider got %+v", first)
			}
			if h.Get("Content-Type") != "application/json" || h.Get("Idempotency-Key") != fmt.Sprintf("safegrid-notification-%d", n.ID) {
				t.Errorf("provider got headers %v", h)
			}
		})
	}
}

func TestSameEventEnqueuedTwiceIsTextedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupDelivery(t, always(200))
	first, _, err := b.n.Enqueue(ctx, smsNote(5, "hazard:9:remind:2h"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the first delivery", func() bool { return readOutbox(t, b.db, first.ID).settled() })
	again, created, err := b.n.Enqueue(ctx, smsNote(5, "hazard:9:remind:2h"))
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("second enqueue: %+v, created %v, %v; want the first back", again, created, err)
	}
	if again.SentAt == nil {
		t.Error("the second enqueue does not see that it was sent")
	}
	var rows int
	if err := b.db.Pool.QueryRow(ctx, "SELECT count(*) FROM notifications").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d outbox rows, want 1", rows)
	}
	if row := readOutbox(t, b.db, first.ID); row.JobStates != "completed" {
		t.Errorf("delivery jobs %q, want one, completed", row.JobStates)
	}
	if got := b.sms.hitsFor(first.ID); got != 1 {
		t.Errorf("texted %d times, want once", got)
	}
}

// heldQueue records the delivery jobs asked for and inserts none.
type heldQueue struct{ ids []int64 }

func (q *heldQueue) ScheduleDeadline(context.Context, pgx.Tx, inspect.DeadlineSchedule) error {
	return nil
}
func (q *heldQueue) AnalysePhoto(context.Context, pgx.Tx, storage.PhotoRecord) error { return nil }
func (q *heldQueue) DeliverNotification(_ context.Context, _ pgx.Tx, id int64) error {
	q.ids = append(q.ids, id)
	return nil
}

// TestTwoReplicasSendEachNotificationOnce runs two job clients, each with its own
// pool, on one database, as two replicas of serve would, and gives every
// notification a second delivery job, as River does when it rescues a job it
// thinks is stuck. Every notification must still reach the provider exactly once.
func TestTwoReplicasSendEachNotificationOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const total = 500
	receiver := newSMSReceiver(t, always(200))
	db, url := storagetest.NewDB(t)
	env := map[string]string{"SAFEGRID_SMS_URL": receiver.URL}
	var replicas []*river.Client[pgx.Tx]
	for range 2 {
		replicaDB, err := storage.OpenDB(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(replicaDB.Close)
		client, _ := startJobClient(t, replicaDB, env, io.Discard)
		replicas = append(replicas, client)
	}
	// Count what each replica completes.
	var done [2]atomic.Int64
	for i, r := range replicas {
		sub, cancel := r.Subscribe(river.EventKindJobCompleted)
		t.Cleanup(cancel)
		go func() {
			for range sub {
				done[i].Add(1)
			}
		}()
	}

	// The notifications are stored first, their delivery jobs held back; then
	// every one gets two delivery jobs, one from each replica, in one transaction.
	held := &heldQueue{}
	outbox := storage.New(storage.Deps{DB: db, Queue: held, SMS: true}).Notifications
	ids := make([]int64, 0, total)
	for i := range total {
		n, _, err := outbox.Enqueue(ctx, smsNote(int64(1+i%50), fmt.Sprintf("hazard:%d:remind:1d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	if !slices.Equal(held.ids, ids) {
		t.Fatalf("held delivery jobs %v, want one per notification", held.ids)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		for _, r := range replicas {
			if _, err := r.InsertTx(ctx, tx, jobs.DeliverNotificationArgs{NotificationID: id}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	waitFor(t, 2*time.Minute, "every notification to be sent", func() bool {
		var unsettled int
		err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM notifications WHERE sent_at IS NULL)
			+ (SELECT count(*) FROM river_job WHERE kind = 'deliver_notification' AND state IN ('available', 'running', 'retryable'))`).Scan(&unsettled)
		return err == nil && unsettled == 0
	})

	receiver.mu.Lock()
	hits := len(receiver.bodies)
	for _, id := range ids {
		if receiver.hits[id] != 1 {
			t.Errorf("notification %d reached the provider %d times", id, receiver.hits[id])
		}
	}
	receiver.mu.Unlock()
	if hits != total {
		t.Errorf("the provider got %d requests for %d notifications", hits, total)
	}
	var sent, attempts int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), coalesce(sum(attempts), 0) FROM notifications").Scan(&sent, &attempts); err != nil {
		t.Fatal(err)
	}
	if sent != total || attempts != total {
		t.Errorf("%d rows sent with %d attempts, want %d and %d", sent, attempts, total, total)
	}
	t.Logf("replica 1 completed %d jobs, replica 2 %d (two jobs per notification)", done[0].Load(), done[1].Load())
	if done[0].Load() == 0 || done[1].Load() == 0 {
		t.Errorf("one replica did no work: %d and %d jobs", done[0].Load(), done[1].Load())
	}
}

func TestLogChannel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupDelivery(t, nil)
	n := smsNote(5, "hazard:3:escalated")
	n.Channel, n.Phone, n.Kind = inspect.ChannelLog, "", inspect.KindEscalated
	stored, _, err := b.n.Enqueue(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	var row outboxRow
	waitFor(t, 30*time.Second, "the log delivery", func() bool { row = readOutbox(t, b.db, stored.ID); return row.settled() })
	if !row.Sent || row.Attempts != 1 {
		t.Errorf("outbox %+v, want sent once", row)
	}
	var line string
	for l := range strings.Lines(b.log.String()) {
		if strings.Contains(l, "msg=notification") {
			line = l
		}
	}
	for _, want := range []string{fmt.Sprintf("id=%d", stored.ID), "user_id=5", "kind=escalated", "dedup_key=hazard:3:escalated", "电动车室内充电", "Rectify indoor e-bike charging"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
}

func TestSMSOffGivesUpAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupDelivery(t, nil)
	n, _, err := b.n.Enqueue(ctx, smsNote(5, "k"))
	if err != nil {
		t.Fatal(err)
	}
	var row outboxRow
	waitFor(t, 30*time.Second, "the delivery to settle", func() bool { row = readOutbox(t, b.db, n.ID); return row.settled() })
	if row.Sent || !row.Failed || row.Attempts != 1 || !strings.Contains(row.LastError, "SAFEGRID_SMS_URL") || row.JobStates != "cancelled" {
		t.Errorf("outbox %+v; want given up after one attempt, naming SAFEGRID_SMS_URL", row)
	}
}

func TestSMSConfig(t *testing.T) {
	t.Parallel()
	bad := []struct{ name, value string }{
		{"SAFEGRID_SMS_URL", "sms.example.com/send"},
		{"SAFEGRID_SMS_URL", "ftp://sms.example.com/send"},
		{"SAFEGRID_SMS_TEMPLATE", `{"to":{{.Phone}`},
		{"SAFEGRID_SMS_TEMPLATE", `{"to":{{.Mobile}}}`},
		{"SAFEGRID_SMS_TEMPLATE", `{"to":{{upper .Phone}}}`},
		{"SAFEGRID_SMS_CONTENT_TYPE", "json please"},
	}
	for _, tt := range bad {
		_, err := config.Load(func(k string) string { return map[string]string{tt.name: tt.value}[k] })
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s=%q: error %v, want one naming the variable", tt.name, tt.value, err)
		}
	}

	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMSURL != "" || cfg.SMSContentType != "application/json" {
		t.Errorf("defaults: url %q, content type %q", cfg.SMSURL, cfg.SMSContentType)
	}
	// The default body is JSON even when the text has quotes and newlines.
	var out strings.Builder
	msg := sms.Message{ID: 42, Phone: "+8613800138000", Text: "整改\"电动车\"\n明日"}
	if err := cfg.SMSTemplate.Execute(&out, msg); err != nil {
		t.Fatal(err)
	}
	var got sms.Message
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil || got != msg {
		t.Errorf("default body %s decodes to %+v, %v; want %+v", out.String(), got, err, msg)
	}

	// A provider with a form body.
	cfg, err = config.Load(func(k string) string {
		return map[string]string{
			"SAFEGRID_SMS_TEMPLATE":     `mobile={{urlquery .Phone}}&content={{urlquery .Text}}`,
			"SAFEGRID_SMS_CONTENT_TYPE": "application/x-www-form-urlencoded",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := cfg.SMSTemplate.Execute(&out, sms.Message{Phone: "13800138000", Text: "整改 明日"}); err != nil || out.String() != "mobile=13800138000&content=%E6%95%B4%E6%94%B9+%E6%98%8E%E6%97%A5" {
		t.Errorf("form body %q, %v", out.String(), err)
	}
}
