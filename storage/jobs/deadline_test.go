package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
	"github.com/safegrid/safegrid/storage/seed"
	"github.com/safegrid/safegrid/storage/storagetest"
)

// deadlineWorld is one database with a four-level district, the people of each
// level, a site and a store whose clock the test moves. Jobs are inserted by a
// River client that does not work them: the test works them itself, in
// scheduled order, at the fake time they are due (runDue).
type deadlineWorld struct {
	t       *testing.T
	ctx     context.Context
	db      *storage.DB
	svc     *storage.Services
	factory *storagetest.Factory
	jobs    *river.Client[pgx.Tx]
	now     time.Time

	district, sub, community, grid                         inspect.Unit
	admin, inspector, merchant                             inspect.Principal
	gridOfficer, communityOfficer, subOfficer, distOfficer inspect.Principal
	site                                                   inspect.Site

	reminders *DeadlineReminderWorker
	deadlines *HazardDeadlineWorker
	limits    *HazardTimeLimitWorker
	delivery  *DeliverNotificationWorker
	mu        sync.Mutex
	smsSent   map[int64]int // notification id → times the SMS sender was called
}

func setupDeadlines(t *testing.T) *deadlineWorld {
	t.Helper()
	ctx := context.Background()
	db, _ := storagetest.NewDB(t)
	rules, err := checklists.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	w := &deadlineWorld{t: t, ctx: ctx, db: db, smsSent: map[int64]int{},
		// The fake clock starts ahead of the real one, so that jobs River schedules
		// at its own now (SMS deliveries) are due at once.
		now: time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Hour)}
	// The insert-only scheduler (no workers, never started) the services get.
	sched, err := NewScheduler(db, false)
	if err != nil {
		t.Fatal(err)
	}
	w.jobs = sched.client
	w.svc = storage.New(storage.Deps{DB: db, Objects: storagetest.NewBucket(t), Rules: rules, Queue: sched, SMS: true,
		Now: func() time.Time { return w.now }})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.reminders = &DeadlineReminderWorker{hazards: w.svc.Hazards, log: log}
	w.deadlines = &HazardDeadlineWorker{hazards: w.svc.Hazards, log: log}
	w.limits = &HazardTimeLimitWorker{hazards: w.svc.Hazards, log: log}
	w.delivery = &DeliverNotificationWorker{notifications: w.svc.Notifications, backoff: inspect.DeliveryBackoff, senders: Senders{
		inspect.ChannelSMS: inspect.SenderFunc(func(_ context.Context, n inspect.Notification) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.smsSent[n.ID]++
			return nil
		}),
	}}

	w.factory = storagetest.NewFactory(t, storagetest.DirectoryOf(w.svc), "deadline test password")
	w.admin = w.factory.AdminP
	tree := w.factory.Tree("武侯区", "玉林街道", "玉林北路社区", "第3网格")
	w.district, w.sub, w.community, w.grid = tree.District, tree.Subdistrict, tree.Community, tree.Grid
	w.gridOfficer = w.factory.Principal(w.factory.Officer("gridofficer", w.grid))
	w.communityOfficer = w.factory.Principal(w.factory.Officer("communityofficer", w.community))
	w.subOfficer = w.factory.Principal(w.factory.Officer("subofficer", w.sub))
	w.distOfficer = w.factory.Principal(w.factory.Officer("districtofficer", w.district))
	w.inspector = w.factory.Principal(w.factory.Inspector("inspector", w.grid))
	merchant := w.factory.Merchant("merchant")
	w.site = w.factory.Site(inspect.Site{Name: "玉林小吃", Address: "玉林北路 1 号", GridID: w.grid.ID, MerchantIDs: []int64{merchant.ID}})
	w.merchant = w.factory.Principal(merchant)
	return w
}

func (w *deadlineWorld) principal(id int64) inspect.Principal {
	w.t.Helper()
	p, err := w.svc.Directory.PrincipalOf(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// newHazard records a general hazard at the site through an inspection, with the
// given deadline, and returns its id.
func (w *deadlineWorld) newHazard(deadline time.Time) int64 {
	w.t.Helper()
	insp, err := w.svc.Inspections.AssignInspection(w.ctx, w.gridOfficer, w.site.ID, w.inspector.User.ID, w.now.Add(48*time.Hour))
	if err != nil {
		w.t.Fatal(err)
	}
	d, err := w.svc.Inspections.StartInspection(w.ctx, w.inspector, insp.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	it, err := w.svc.Inspections.AnswerItem(w.ctx, w.inspector, d.ID, inspect.Item{Code: d.Items[0].Code, Answer: inspect.AnswerFail,
		Outcome: inspect.OutcomeHazard, Severity: inspect.SeverityGeneral, Deadline: deadline, Note: "LPG cylinder indoors"})
	if err != nil {
		w.t.Fatal(err)
	}
	return it.HazardID
}

func (w *deadlineWorld) act(p inspect.Principal, id int64, a inspect.Action, in inspect.HazardActionInput) inspect.HazardDetail {
	w.t.Helper()
	d, err := w.svc.Hazards.HazardAction(w.ctx, p, id, a, in)
	if err != nil {
		w.t.Fatalf("%s hazard %d as %s: %v", a, id, p.User.Username, err)
	}
	return d
}

// runDue works, in the order they are scheduled, every job due up to until,
// moving the clock to each job's time. Each job is worked twice before it is
// marked completed, as when a replica crashes after the work and before River
// records it: the second run must change nothing. It returns the kinds worked.
func (w *deadlineWorld) runDue(until time.Time) map[string]int {
	w.t.Helper()
	worked := map[string]int{}
	for {
		var id int64
		err := w.db.Pool.QueryRow(w.ctx, `SELECT id FROM river_job WHERE state IN ('available', 'scheduled', 'retryable')
			AND scheduled_at <= $1 ORDER BY scheduled_at, id LIMIT 1`, until).Scan(&id)
		if err == pgx.ErrNoRows {
			break
		}
		if err != nil {
			w.t.Fatal(err)
		}
		row, err := w.jobs.JobGet(w.ctx, id)
		if err != nil {
			w.t.Fatal(err)
		}
		if row.ScheduledAt.After(w.now) {
			w.now = row.ScheduledAt.UTC().Truncate(time.Microsecond)
		}
		for range 2 {
			if err := w.work(row); err != nil {
				w.t.Fatalf("job %d %s %s: %v", row.ID, row.Kind, row.EncodedArgs, err)
			}
		}
		worked[row.Kind]++
		if _, err := w.db.Pool.Exec(w.ctx, `UPDATE river_job SET state = 'completed', finalized_at = now(), attempt = attempt + 1 WHERE id = $1`, id); err != nil {
			w.t.Fatal(err)
		}
	}
	if until.After(w.now) {
		w.now = until
	}
	return worked
}

func decodeJob[T river.JobArgs](t *testing.T, row *rivertype.JobRow) *river.Job[T] {
	t.Helper()
	var args T
	if err := json.Unmarshal(row.EncodedArgs, &args); err != nil {
		t.Fatal(err)
	}
	return &river.Job[T]{JobRow: row, Args: args}
}

func (w *deadlineWorld) work(row *rivertype.JobRow) error {
	switch row.Kind {
	case DeadlineReminderArgs{}.Kind():
		return w.reminders.Work(w.ctx, decodeJob[DeadlineReminderArgs](w.t, row))
	case HazardDeadlineArgs{}.Kind():
		return w.deadlines.Work(w.ctx, decodeJob[HazardDeadlineArgs](w.t, row))
	case HazardTimeLimitArgs{}.Kind():
		return w.limits.Work(w.ctx, decodeJob[HazardTimeLimitArgs](w.t, row))
	case DeliverNotificationArgs{}.Kind():
		return w.delivery.Work(w.ctx, decodeJob[DeliverNotificationArgs](w.t, row))
	}
	return fmt.Errorf("no worker for job kind %s", row.Kind)
}

// outbox counts the notifications of one user by kind and channel.
func (w *deadlineWorld) outbox(p inspect.Principal) map[string]int {
	w.t.Helper()
	rows, err := w.db.Pool.Query(w.ctx, `SELECT kind || '/' || channel, count(*) FROM notifications WHERE user_id = $1 GROUP BY 1`, p.User.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	var k string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[k] = n; return nil }); err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *deadlineWorld) eventKinds(id int64) map[string]int {
	w.t.Helper()
	d, err := w.svc.Hazards.Hazard(w.ctx, w.admin, id)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range d.Events {
		out[e.Kind]++
	}
	return out
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDeadlineEscalatesUpFourLevels is acceptance 1: one hazard, a controlled
// clock and the jobs worked in order (each twice). Reminders go out 24 h and 2 h
// before the deadline, the deadline makes a re-inspection due, a re-inspection
// that finds it still present escalates it to the community with 3 days, then the
// subdistrict and the district with 7; closing it early makes the last deadline's
// jobs do nothing. Every notification exists exactly once and every SMS is sent
// once. Each party signs for the hazard in time (the merchant by acknowledging
// the notice, each unit's officer after its escalation), so the signature jobs
// find nothing to do: TestUnsignedHazardEscalates is the other way.
func TestDeadlineEscalatesUpFourLevels(t *testing.T) {
	t.Parallel()
	w := setupDeadlines(t)
	start := w.now
	deadline := start.Add(72 * time.Hour)
	id := w.newHazard(deadline)
	w.act(w.gridOfficer, id, inspect.ActionNotify, inspect.HazardActionInput{Note: "整改期限已告知"})
	w.acknowledgeNotice(id)

	// Planning the same deadline again (every action does) inserts no second job.
	var deadlineJobs int
	w.db.Pool.QueryRow(w.ctx, `SELECT count(*) FROM river_job WHERE kind = 'hazard_deadline' AND (args->>'hazard_id')::bigint = $1`, id).Scan(&deadlineJobs)
	if deadlineJobs != 1 {
		t.Errorf("%d deadline jobs after insert and notify, want 1", deadlineJobs)
	}

	reminderKinds := func(p inspect.Principal) int { return w.outbox(p)["deadline_reminder/in_app"] }
	escalations := []struct {
		level   inspect.Level
		officer inspect.Principal
		limit   time.Duration
	}{
		{inspect.LevelCommunity, w.communityOfficer, 3 * 24 * time.Hour},
		{inspect.LevelSubdistrict, w.subOfficer, 7 * 24 * time.Hour},
		{inspect.LevelDistrict, w.distOfficer, 7 * 24 * time.Hour},
	}
	for round, esc := range escalations {
		before := reminderKinds(w.merchant)
		// Nothing is due a second before the first reminder.
		if got := w.runDue(deadline.Add(-24*time.Hour - time.Second)); got["deadline_reminder"] != 0 || got["hazard_deadline"] != 0 {
			t.Fatalf("round %d: worked %v before the first reminder", round, got)
		}
		w.runDue(deadline.Add(-24 * time.Hour))
		if got := reminderKinds(w.merchant) - before; got != 1 {
			t.Errorf("round %d: %d reminders at T-24h, want 1", round, got)
		}
		w.runDue(deadline.Add(-2 * time.Hour))
		if got := reminderKinds(w.merchant) - before; got != 2 {
			t.Errorf("round %d: %d reminders by T-2h, want 2", round, got)
		}
		w.runDue(deadline.Add(-time.Second))
		if h, _ := w.svc.Hazards.Hazard(w.ctx, w.admin, id); h.State == inspect.StateReinspectionDue {
			t.Fatalf("round %d: re-inspection due a second before the deadline", round)
		}
		w.runDue(deadline)
		// The inspector's re-inspection task is the hazards list filtered by state
		// and inspector.
		due, err := w.svc.Hazards.Hazards(w.ctx, w.inspector, inspect.HazardFilter{States: []inspect.HazardState{inspect.StateReinspectionDue}, InspectorID: w.inspector.User.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].ID != id {
			t.Fatalf("round %d: inspector's due re-inspections %v, want hazard %d", round, due, id)
		}
		w.now = deadline.Add(time.Hour)
		h := w.act(w.inspector, id, inspect.ActionReinspectPresent, inspect.HazardActionInput{Note: "复查仍未整改"})
		if h.State != inspect.StateEscalated || h.Level != esc.level || !h.Deadline.Equal(w.now.Add(esc.limit)) {
			t.Fatalf("round %d: after re-inspection %s at %s deadline %s, want escalated at %s deadline %s", round, h.State, h.Level, h.Deadline, esc.level, w.now.Add(esc.limit))
		}
		if n := w.outbox(esc.officer)["escalated/in_app"]; n != 1 {
			t.Errorf("round %d: %s officer has %d escalation notifications, want 1", round, esc.level, n)
		}
		w.now = w.now.Add(7 * time.Hour) // an hour before the unit's 8 h run out
		if _, err := w.svc.Hazards.SignHazard(w.ctx, esc.officer, id); err != nil {
			t.Fatalf("round %d: %s officer signs: %v", round, esc.level, err)
		}
		deadline = h.Deadline
	}

	// Fixed before the last deadline's reminders: they and the deadline job find the
	// hazard closed and do nothing.
	w.now = deadline.Add(-48 * time.Hour)
	proof := uploadProof(t, w, id)
	w.act(w.merchant, id, inspect.ActionSubmitProof, inspect.HazardActionInput{Note: "已整改", PhotoIDs: []string{proof}})
	w.act(w.inspector, id, inspect.ActionReinspectFixed, inspect.HazardActionInput{Note: "复查已整改"})
	worked := w.runDue(deadline.Add(time.Hour))
	if worked["deadline_reminder"] != 2 || worked["hazard_deadline"] != 1 {
		t.Errorf("after closing, worked %v, want the 2 reminders and the deadline job (as no-ops)", worked)
	}
	// Four signatures (the merchant's, three units') and three re-inspection limits,
	// each kept: their seven jobs ran and did nothing.
	var limitJobs int
	w.db.Pool.QueryRow(w.ctx, `SELECT count(*) FROM river_job WHERE kind = 'hazard_time_limit' AND state = 'completed'`).Scan(&limitJobs)
	if limitJobs != 7 {
		t.Errorf("%d time-limit jobs worked, want 7", limitJobs)
	}

	// Every step happened once: the event log...
	wantEvents := map[string]int{"created": 1, "notify": 1, "acknowledged": 1, "signed": 4, "deadline_passed": 3, "reinspect_present": 3,
		"submit_proof": 1, "reinspect_fixed": 1}
	if got := w.eventKinds(id); !sameCounts(got, wantEvents) {
		t.Errorf("events %v, want %v", got, wantEvents)
	}
	// ...the outbox per user, kind and channel (three deadlines reminded 24 h and 2
	// h before, to the merchant and the inspector, in-app and by SMS; the merchant
	// told each of the three times the re-inspection found it not fixed)...
	want := map[string]map[string]int{
		"merchant": {"hazard_notified/in_app": 1, "hazard_notified/sms": 1, "deadline_reminder/in_app": 6, "deadline_reminder/sms": 6,
			"not_fixed/in_app": 3, "not_fixed/sms": 3},
		"inspector":        {"deadline_reminder/in_app": 6, "deadline_reminder/sms": 6, "reinspection_due/in_app": 3, "reinspection_due/sms": 3},
		"gridofficer":      {},
		"communityofficer": {"escalated/in_app": 1, "escalated/sms": 1},
		"subofficer":       {"escalated/in_app": 1, "escalated/sms": 1},
		"districtofficer":  {"escalated/in_app": 1, "escalated/sms": 1},
	}
	for _, p := range []inspect.Principal{w.merchant, w.inspector, w.gridOfficer, w.communityOfficer, w.subOfficer, w.distOfficer} {
		if got := w.outbox(p); !sameCounts(got, want[p.User.Username]) {
			t.Errorf("outbox of %s = %v, want %v", p.User.Username, got, want[p.User.Username])
		}
	}
	// ...and each text message went to the provider once although every job ran twice.
	var sms []int64
	rows, _ := w.db.Pool.Query(w.ctx, `SELECT id FROM notifications WHERE channel = 'sms' AND sent_at IS NOT NULL`)
	sms, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	// 10 to the merchant, 9 to the inspector, 1 to each of the three officers.
	if len(sms) != 22 {
		t.Errorf("%d text messages sent, want 22", len(sms))
	}
	for _, n := range sms {
		if w.smsSent[n] != 1 {
			t.Errorf("notification %d sent %d times", n, w.smsSent[n])
		}
	}
	// The escalation events carry the deadlines of each level's policy.
	d, _ := w.svc.Hazards.Hazard(w.ctx, w.admin, id)
	var levels []string
	for _, e := range d.Events {
		if e.Kind != string(inspect.ActionReinspectPresent) {
			continue
		}
		var p inspect.Escalation
		json.Unmarshal(e.Payload, &p)
		levels = append(levels, fmt.Sprintf("%s→%s %s", p.FromLevel, p.ToLevel, p.Deadline.Sub(e.At)))
	}
	if got, want := fmt.Sprint(levels), "[grid→community 72h0m0s community→subdistrict 168h0m0s subdistrict→district 168h0m0s]"; got != want {
		t.Errorf("escalations %s, want %s", got, want)
	}
}

// acknowledgeNotice has the merchant sign the rectification notice of hazard id,
// which is the merchant's signature for it (签收).
func (w *deadlineWorld) acknowledgeNotice(id int64) {
	w.t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 2))); err != nil {
		w.t.Fatal(err)
	}
	sig := "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
	if _, err := w.svc.Hazards.AcknowledgeHazard(w.ctx, w.merchant, id, inspect.Acknowledgement{Document: "notice", Name: "张老板", Signature: sig}); err != nil {
		w.t.Fatal(err)
	}
}

// uploadProof stores a photo of the fix on hazard id as the merchant.
func uploadProof(t *testing.T, w *deadlineWorld, id int64) string {
	t.Helper()
	orig, thumb := seed.Photo(1)
	sum := sha256.Sum256(orig)
	ph := inspect.Photo{ID: uuid.New(), HazardID: id, SHA256: hex.EncodeToString(sum[:]), Type: inspect.PhotoJPEG, Size: int64(len(orig)), Width: 640, Height: 480}
	saved, _, err := w.svc.Photos.SavePhoto(w.ctx, w.merchant, ph, bytes.NewReader(orig), thumb)
	if err != nil {
		t.Fatal(err)
	}
	return saved.ID.String()
}
