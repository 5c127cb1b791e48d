package jobs

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// newHazardAt records a general hazard at site s, as newHazard does at the world's
// site.
func (w *deadlineWorld) newHazardAt(s inspect.Site, deadline time.Time) int64 {
	w.t.Helper()
	keep := w.site
	w.site = s
	defer func() { w.site = keep }()
	return w.newHazard(deadline)
}

// escalations returns "from→to overdue deadline-after-event" for each escalate
// event of hazard id, by the system.
func (w *deadlineWorld) escalations(id int64) []string {
	w.t.Helper()
	d, err := w.svc.Hazards.Hazard(w.ctx, w.admin, id)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range d.Events {
		if e.Kind != string(inspect.ActionEscalate) {
			continue
		}
		var p inspect.Escalation
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s→%s %s at +%s by %d, sign within %s, deadline %s", p.FromLevel, p.ToLevel, p.Overdue,
			e.At.Sub(w.start(id)), e.Actor, p.SignBy.Sub(e.At), p.Deadline.Sub(e.At)))
	}
	return out
}

// start is when hazard id was created.
func (w *deadlineWorld) start(id int64) time.Time {
	w.t.Helper()
	d, err := w.svc.Hazards.Hazard(w.ctx, w.admin, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return d.CreatedAt
}

func (w *deadlineWorld) hazard(id int64) inspect.HazardDetail {
	w.t.Helper()
	d, err := w.svc.Hazards.Hazard(w.ctx, w.admin, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// checkOutboxes compares every person's outbox with want (by username).
func (w *deadlineWorld) checkOutboxes(want map[string]map[string]int) {
	w.t.Helper()
	for _, p := range []inspect.Principal{w.merchant, w.inspector, w.gridOfficer, w.communityOfficer, w.subOfficer, w.distOfficer} {
		if got := w.outbox(p); !sameCounts(got, want[p.User.Username]) {
			w.t.Errorf("outbox of %s = %v, want %v", p.User.Username, got, want[p.User.Username])
		}
	}
}

// TestUnsignedHazardEscalates is acceptance 2's signature: with the clock
// injected and every job worked twice, a notice the merchant has not signed for
// escalates the hazard to the community at 8 h; the community, which does not
// sign either, loses it to the subdistrict 8 h later; the subdistrict's officer
// signs, and nothing happens after.
func TestUnsignedHazardEscalates(t *testing.T) {
	t.Parallel()
	w := setupDeadlines(t)
	start := w.now
	id := w.newHazard(start.Add(72 * time.Hour))
	w.act(w.gridOfficer, id, inspect.ActionNotify, inspect.HazardActionInput{Note: "整改期限已告知"})

	w.runDue(start.Add(8*time.Hour - time.Second))
	if h := w.hazard(id); h.State != inspect.StateNotified || h.SignParty != inspect.SignMerchant || !h.SignBy.Equal(start.Add(8*time.Hour)) {
		t.Fatalf("a second before 8 h: %s, %s must sign by %v; want notified, the merchant by +8h", h.State, h.SignParty, h.SignBy)
	}
	w.runDue(start.Add(8 * time.Hour))
	h := w.hazard(id)
	if h.State != inspect.StateEscalated || h.Level != inspect.LevelCommunity || h.UnitID != w.community.ID ||
		h.SignParty != inspect.SignUnit || !h.SignBy.Equal(start.Add(16*time.Hour)) || !h.Deadline.Equal(start.Add(8*time.Hour+72*time.Hour)) {
		t.Fatalf("at 8 h: %s at %s, %s signs by %v, deadline %s; want escalated to the community, signing by +16h, deadline +80h",
			h.State, h.Level, h.SignParty, h.SignBy, h.Deadline)
	}
	// The grid's officer may not sign for the community.
	if _, err := w.svc.Hazards.SignHazard(w.ctx, w.gridOfficer, id); inspect.ErrorCode(err) != inspect.EFORBIDDEN {
		t.Errorf("grid officer signs for the community: %v, want forbidden", err)
	}

	w.runDue(start.Add(16 * time.Hour))
	w.now = start.Add(17 * time.Hour)
	if _, err := w.svc.Hazards.SignHazard(w.ctx, w.subOfficer, id); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Hazards.SignHazard(w.ctx, w.subOfficer, id); inspect.ErrorCode(err) != inspect.ECONFLICT {
		t.Errorf("signing twice: %v, want conflict", err)
	}
	w.runDue(start.Add(30 * time.Hour))
	if h := w.hazard(id); h.State != inspect.StateEscalated || h.Level != inspect.LevelSubdistrict || h.SignBy != nil {
		t.Errorf("after the subdistrict signed: %s at %s, sign by %v; want escalated at the subdistrict, signed", h.State, h.Level, h.SignBy)
	}

	wantEvents := map[string]int{"created": 1, "notify": 1, "escalate": 2, "signed": 1}
	if got := w.eventKinds(id); !sameCounts(got, wantEvents) {
		t.Errorf("events %v, want %v", got, wantEvents)
	}
	want := "[grid→community sign at +8h0m0s by 0, sign within 8h0m0s, deadline 72h0m0s " +
		"community→subdistrict sign at +16h0m0s by 0, sign within 8h0m0s, deadline 168h0m0s]"
	if got := fmt.Sprint(w.escalations(id)); got != want {
		t.Errorf("escalations %s, want %s", got, want)
	}
	w.checkOutboxes(map[string]map[string]int{
		"merchant":         {"hazard_notified/in_app": 1, "hazard_notified/sms": 1},
		"inspector":        {},
		"gridofficer":      {},
		"communityofficer": {"escalated/in_app": 1, "escalated/sms": 1},
		"subofficer":       {"escalated/in_app": 1, "escalated/sms": 1},
		"districtofficer":  {},
	})
}

// TestSignGraceRemindsFirst: when the district's policy gives a grace, the
// merchant who has not signed at 8 h is reminded, and the hazard escalates only
// when the grace has run out too.
func TestSignGraceRemindsFirst(t *testing.T) {
	t.Parallel()
	w := setupDeadlines(t)
	grace := inspect.Duration(4 * time.Hour)
	if _, err := w.svc.Policy.SetPolicyOf(w.ctx, w.admin, w.district.ID, inspect.PolicyOverride{SignGrace: &grace}); err != nil {
		t.Fatal(err)
	}
	start := w.now
	id := w.newHazard(start.Add(72 * time.Hour))
	w.act(w.gridOfficer, id, inspect.ActionNotify, inspect.HazardActionInput{})
	w.runDue(start.Add(12*time.Hour - time.Second))
	if h := w.hazard(id); h.State != inspect.StateNotified {
		t.Fatalf("within the grace: %s, want notified", h.State)
	}
	if got := w.outbox(w.merchant)["deadline_reminder/in_app"]; got != 1 {
		t.Errorf("%d signature reminders to the merchant, want 1", got)
	}
	w.runDue(start.Add(12 * time.Hour))
	want := "[grid→community sign_grace at +12h0m0s by 0, sign within 8h0m0s, deadline 72h0m0s]"
	if got := fmt.Sprint(w.escalations(id)); got != want {
		t.Errorf("escalations %s, want %s", got, want)
	}
	w.checkOutboxes(map[string]map[string]int{
		"merchant":         {"hazard_notified/in_app": 1, "hazard_notified/sms": 1, "deadline_reminder/in_app": 1, "deadline_reminder/sms": 1},
		"inspector":        {},
		"gridofficer":      {},
		"communityofficer": {"escalated/in_app": 1, "escalated/sms": 1},
		"subofficer":       {},
		"districtofficer":  {},
	})
}

// TestOverdueReinspectionEscalates is acceptance 2's re-inspection: the merchant
// signed, the deadline passed, and the inspector did not re-inspect within the
// policy's day: the hazard escalates to the community, whose officers are told.
func TestOverdueReinspectionEscalates(t *testing.T) {
	t.Parallel()
	w := setupDeadlines(t)
	start := w.now
	deadline := start.Add(72 * time.Hour)
	id := w.newHazard(deadline)
	w.act(w.gridOfficer, id, inspect.ActionNotify, inspect.HazardActionInput{})
	w.now = start.Add(time.Hour)
	w.acknowledgeNotice(id)

	w.runDue(deadline)
	if h := w.hazard(id); h.State != inspect.StateReinspectionDue || !h.ReinspectBy.Equal(deadline.Add(24*time.Hour)) {
		t.Fatalf("at the deadline: %s, re-inspect by %v; want reinspection_due by the deadline + 1 day", h.State, h.ReinspectBy)
	}
	w.runDue(deadline.Add(24*time.Hour - time.Second))
	if h := w.hazard(id); h.State != inspect.StateReinspectionDue {
		t.Fatalf("a second before the re-inspection limit: %s", h.State)
	}
	w.runDue(deadline.Add(24 * time.Hour))
	h := w.hazard(id)
	if h.State != inspect.StateEscalated || h.Level != inspect.LevelCommunity || h.ReinspectBy != nil || h.SignParty != inspect.SignUnit {
		t.Fatalf("after the limit: %s at %s, re-inspect by %v, %s to sign; want escalated to the community, to sign for it",
			h.State, h.Level, h.ReinspectBy, h.SignParty)
	}
	wantEvents := map[string]int{"created": 1, "notify": 1, "acknowledged": 1, "signed": 1, "deadline_passed": 1, "escalate": 1}
	if got := w.eventKinds(id); !sameCounts(got, wantEvents) {
		t.Errorf("events %v, want %v", got, wantEvents)
	}
	want := "[grid→community reinspect at +96h0m0s by 0, sign within 8h0m0s, deadline 72h0m0s]"
	if got := fmt.Sprint(w.escalations(id)); got != want {
		t.Errorf("escalations %s, want %s", got, want)
	}
	w.checkOutboxes(map[string]map[string]int{
		"merchant":         {"hazard_notified/in_app": 1, "hazard_notified/sms": 1, "deadline_reminder/in_app": 2, "deadline_reminder/sms": 2},
		"inspector":        {"deadline_reminder/in_app": 2, "deadline_reminder/sms": 2, "reinspection_due/in_app": 1, "reinspection_due/sms": 1},
		"gridofficer":      {},
		"communityofficer": {"escalated/in_app": 1, "escalated/sms": 1},
		"subofficer":       {},
		"districtofficer":  {},
	})
}

// TestApplyPolicyMovesOpenDeadlines: changing the district's policy moves no
// open deadline; an admin applying it moves each limit the policy set, records a
// policy_applied event per hazard naming the admin with the old and new limits,
// and the jobs follow the new limits (the old ones do nothing).
func TestApplyPolicyMovesOpenDeadlines(t *testing.T) {
	t.Parallel()
	w := setupDeadlines(t)
	start := w.now
	second := w.factory.Site(inspect.Site{Name: "玉林茶馆", Address: "玉林北路 2 号", GridID: w.grid.ID, MerchantIDs: []int64{w.merchant.User.ID}})
	// B: notified at start, unsigned, escalated to the community at +8h (a policy
	// deadline of 3 days, the community to sign by +16h).
	b := w.newHazardAt(second, start.Add(72*time.Hour))
	w.act(w.gridOfficer, b, inspect.ActionNotify, inspect.HazardActionInput{})
	// A: notified at +6h (the inspector's deadline), the merchant to sign by +14h.
	w.runDue(start.Add(6 * time.Hour))
	a := w.newHazard(start.Add(96 * time.Hour))
	w.act(w.gridOfficer, a, inspect.ActionNotify, inspect.HazardActionInput{})
	w.runDue(start.Add(9 * time.Hour))
	before := map[int64]inspect.HazardDetail{a: w.hazard(a), b: w.hazard(b)}
	if before[b].Level != inspect.LevelCommunity || !before[b].DeadlineByPolicy {
		t.Fatalf("B at %s, deadline by policy %v; want escalated to the community by the policy", before[b].Level, before[b].DeadlineByPolicy)
	}

	four, twoDays := inspect.Duration(4*time.Hour), inspect.Duration(48*time.Hour)
	if _, err := w.svc.Policy.SetPolicyOf(w.ctx, w.admin, w.district.ID, inspect.PolicyOverride{SignWithin: &four,
		Rectify: map[inspect.Level]map[inspect.Severity]inspect.Duration{inspect.LevelCommunity: {inspect.SeverityGeneral: twoDays}}}); err != nil {
		t.Fatal(err)
	}
	// Without the action nothing moves.
	for _, id := range []int64{a, b} {
		h := w.hazard(id)
		if !h.Deadline.Equal(before[id].Deadline) || !h.SignBy.Equal(*before[id].SignBy) || w.eventKinds(id)["policy_applied"] != 0 {
			t.Errorf("hazard %d moved by the policy change alone: deadline %s sign by %v", id, h.Deadline, h.SignBy)
		}
	}
	if _, err := w.svc.Hazards.ApplyPolicy(w.ctx, w.distOfficer, w.district.ID); inspect.ErrorCode(err) != inspect.EFORBIDDEN {
		t.Errorf("an officer applies the policy: %v, want forbidden", err)
	}

	moves, err := w.svc.Hazards.ApplyPolicy(w.ctx, w.admin, w.district.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := func(h time.Duration) *time.Time { t := start.Add(h); return &t }
	want := []inspect.DeadlineMove{
		{HazardID: b, PolicyApplied: inspect.PolicyApplied{PreviousDeadline: d(80 * time.Hour), Deadline: d(56 * time.Hour),
			PreviousSignBy: d(16 * time.Hour), SignBy: d(12 * time.Hour)}},
		{HazardID: a, PolicyApplied: inspect.PolicyApplied{PreviousSignBy: d(14 * time.Hour), SignBy: d(10 * time.Hour)}},
	}
	if a < b {
		want[0], want[1] = want[1], want[0]
	}
	gotJSON, _ := json.Marshal(moves)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("moves %s\nwant  %s", gotJSON, wantJSON)
	}
	for _, m := range want {
		var found bool
		for _, e := range w.hazard(m.HazardID).Events {
			if e.Kind != inspect.EventPolicyApplied {
				continue
			}
			var p inspect.PolicyApplied
			json.Unmarshal(e.Payload, &p)
			got, _ := json.Marshal(p)
			exp, _ := json.Marshal(m.PolicyApplied)
			if found || e.Actor != w.admin.User.ID || string(got) != string(exp) {
				t.Errorf("hazard %d: policy_applied by %d %s, want once by the admin %d %s", m.HazardID, e.Actor, got, w.admin.User.ID, exp)
			}
			found = true
		}
		if !found {
			t.Errorf("hazard %d: no policy_applied event", m.HazardID)
		}
	}
	// Applying it again moves nothing.
	if again, err := w.svc.Hazards.ApplyPolicy(w.ctx, w.admin, w.district.ID); err != nil || len(again) != 0 {
		t.Errorf("applied twice: %v, %v; want nothing moved", again, err)
	}

	// The jobs follow: A escalates at its new +10h, B at its new +12h (the old +14h
	// and +16h jobs do nothing), and each community, signing within the new 4 h,
	// loses it to its subdistrict at +14h and +12h.
	w.runDue(start.Add(10 * time.Hour))
	if h := w.hazard(a); h.Level != inspect.LevelCommunity {
		t.Errorf("A at +10h is at the %s, want escalated to the community", h.Level)
	}
	w.runDue(start.Add(14 * time.Hour))
	wantEsc := map[int64]string{
		a: "[grid→community sign at +4h0m0s by 0, sign within 4h0m0s, deadline 48h0m0s community→subdistrict sign at +8h0m0s by 0, sign within 4h0m0s, deadline 168h0m0s]",
		b: "[grid→community sign at +8h0m0s by 0, sign within 8h0m0s, deadline 72h0m0s community→subdistrict sign at +12h0m0s by 0, sign within 4h0m0s, deadline 168h0m0s]",
	}
	for id, want := range wantEsc {
		if got := fmt.Sprint(w.escalations(id)); got != want {
			t.Errorf("hazard %d escalations %s\nwant %s", id, got, want)
		}
	}
}
