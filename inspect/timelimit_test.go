package inspect_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// limitWorld is a hazard at grid 4 of districtTree, handed to the merchant by a
// notice at t0 under the default policy, with the request the jobs decide on.
func limitWorld(t *testing.T) inspect.ActionRequest {
	t.Helper()
	h := inspect.Hazard{ID: 9, SiteID: 20, GridID: 4, State: inspect.StateOpen, Severity: inspect.SeverityGeneral,
		Level: inspect.LevelGrid, UnitID: 4, InspectorID: 30, Deadline: t0.Add(72 * time.Hour), RuleCode: "F01"}
	r := inspect.ActionRequest{Hazard: h, Action: inspect.ActionNotify, Actor: 40, At: t0, Policy: inspect.DefaultPolicy(),
		Units: unitsAbove(4), SiteName: "玉林小吃"}
	out, err := inspect.TakeAction(r)
	if err != nil {
		t.Fatal(err)
	}
	r.Hazard, r.HeadSeq, r.HeadHash = out.Hazard, out.Event.Seq, out.Event.Hash
	return r
}

// unitsAbove is unit id of districtTree and every unit above it, nearest first.
func unitsAbove(id int64) []inspect.Unit {
	byID := map[int64]inspect.Unit{}
	for _, u := range districtTree() {
		byID[u.ID] = u
	}
	var out []inspect.Unit
	for u, ok := byID[id]; ok; u, ok = byID[u.ParentID] {
		out = append(out, u)
	}
	return out
}

func at(t time.Time) *time.Time { return &t }

func TestNoticeStartsTheMerchantsSignature(t *testing.T) {
	r := limitWorld(t)
	h := r.Hazard
	if h.SignParty != inspect.SignMerchant || h.SignBy == nil || !h.SignBy.Equal(t0.Add(8*time.Hour)) ||
		h.HandedAt == nil || !h.HandedAt.Equal(t0) || h.DeadlineByPolicy {
		t.Fatalf("after the notice: party %q sign by %v handed %v by policy %v; want the merchant by t0+8h",
			h.SignParty, h.SignBy, h.HandedAt, h.DeadlineByPolicy)
	}
	plan, ok := inspect.PlanDeadline(h, r.Policy, t0)
	if !ok || len(plan.Limits) != 1 || plan.Limits[0] != (inspect.LimitJob{Limit: inspect.LimitSign, Due: t0.Add(8 * time.Hour), At: t0.Add(8 * time.Hour)}) {
		t.Errorf("plan limits %+v, want the sign job at t0+8h", plan.Limits)
	}
}

func TestPassTimeLimit(t *testing.T) {
	signBy := t0.Add(8 * time.Hour)
	withGrace := inspect.DefaultPolicy()
	withGrace.SignGrace = inspect.Duration(4 * time.Hour)
	tests := []struct {
		name   string
		change func(r *inspect.ActionRequest)
		limit  inspect.TimeLimit
		due    time.Time
		// want: "" stale, "escalate" to wantLevel, "remind" a notice to wantTo
		want      string
		wantLevel inspect.Level
		wantTo    inspect.Audience
		wantKey   string
	}{
		{"unsigned at 8 h escalates to the community", nil, inspect.LimitSign, signBy, "escalate", inspect.LevelCommunity, inspect.ToUnitOfficers, ""},
		{"signed: stale", func(r *inspect.ActionRequest) {
			r.Hazard, _, _ = inspect.SignFor(r.Hazard, inspect.SignMerchant, t0.Add(time.Hour))
		}, inspect.LimitSign, signBy, "", "", "", ""},
		{"another sign-by: stale", nil, inspect.LimitSign, signBy.Add(-time.Hour), "", "", "", ""},
		{"closed: stale", func(r *inspect.ActionRequest) {
			r.Hazard.State = inspect.StateClosedFixed
		}, inspect.LimitSign, signBy, "", "", "", ""},
		{"a grace reminds the merchants first", func(r *inspect.ActionRequest) { r.Policy = withGrace },
			inspect.LimitSign, signBy, "remind", "", inspect.ToSiteMerchants, "hazard:9:sign:2026-03-02T17:30:00Z:remind"},
		{"the grace ran out: escalates", func(r *inspect.ActionRequest) { r.Policy = withGrace },
			inspect.LimitSignGrace, signBy, "escalate", inspect.LevelCommunity, inspect.ToUnitOfficers, ""},
		{"at the district the officers are reminded", func(r *inspect.ActionRequest) {
			r.Hazard.Level, r.Hazard.UnitID, r.Hazard.SignParty, r.Units = inspect.LevelDistrict, 1, inspect.SignUnit, unitsAbove(1)
		}, inspect.LimitSign, signBy, "remind", "", inspect.ToUnitOfficers, "hazard:9:sign:2026-03-02T17:30:00Z:overdue"},
		{"no re-inspection limit while notified: stale", nil, inspect.LimitReinspect, signBy, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := limitWorld(t)
			if tt.change != nil {
				tt.change(&r)
			}
			r.At = tt.due
			out, err := inspect.PassTimeLimit(r, tt.limit, tt.due)
			if err != nil {
				t.Fatal(err)
			}
			switch tt.want {
			case "":
				if out.Acted() {
					t.Fatalf("stale job acted: %+v", out)
				}
			case "remind":
				if out.Change != nil || len(out.Effects.Notices) != 1 || out.Effects.Notices[0].To != tt.wantTo ||
					out.Effects.Notices[0].DedupKey != tt.wantKey || out.Effects.Notices[0].Message.Kind != inspect.KindDeadlineReminder {
					t.Fatalf("outcome %+v, want one reminder to %s keyed %s", out, tt.wantTo, tt.wantKey)
				}
				if tt.limit == inspect.LimitSign && r.Policy.SignGrace > 0 {
					if s := out.Effects.Schedule; s == nil || len(s.Limits) != 1 || s.Limits[0] != (inspect.LimitJob{Limit: inspect.LimitSignGrace, Due: signBy, At: signBy.Add(4 * time.Hour)}) {
						t.Errorf("schedule %+v, want the grace job at sign-by + 4h", out.Effects.Schedule)
					}
				}
			case "escalate":
				c := out.Change
				if c == nil {
					t.Fatalf("no escalation: %+v", out)
				}
				h := c.Hazard
				if h.State != inspect.StateEscalated || h.Level != tt.wantLevel || h.SignParty != inspect.SignUnit ||
					!h.SignBy.Equal(tt.due.Add(8*time.Hour)) || !h.Deadline.Equal(tt.due.Add(72*time.Hour)) || !h.DeadlineByPolicy {
					t.Errorf("hazard after %+v", h)
				}
				var p inspect.Escalation
				if err := json.Unmarshal(c.Event.Payload, &p); err != nil {
					t.Fatal(err)
				}
				if c.Event.Kind != string(inspect.ActionEscalate) || c.Event.Actor != 0 || p.Overdue != tt.limit || p.ToLevel != tt.wantLevel {
					t.Errorf("event %s by %d payload %+v", c.Event.Kind, c.Event.Actor, p)
				}
				if len(c.Effects.Notices) != 1 || c.Effects.Notices[0].To != tt.wantTo || c.Effects.Notices[0].UnitID != h.UnitID ||
					c.Effects.Notices[0].Message.Kind != inspect.KindEscalated {
					t.Errorf("notices %+v, want the new unit's officers told", c.Effects.Notices)
				}
				if s := c.Effects.Schedule; s == nil || len(s.Limits) != 1 || s.Limits[0].Limit != inspect.LimitSign || !s.Limits[0].Due.Equal(*h.SignBy) {
					t.Errorf("schedule %+v, want the community's sign job", c.Effects.Schedule)
				}
			}
		})
	}
}

func TestOverdueReinspectionEscalates(t *testing.T) {
	r := limitWorld(t)
	r.Hazard, _, _ = inspect.SignFor(r.Hazard, inspect.SignMerchant, t0.Add(time.Hour))
	deadline := r.Hazard.Deadline
	r.At = deadline
	passed, ok, err := inspect.PassDeadline(r, deadline)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	h := passed.Hazard
	if h.ReinspectBy == nil || !h.ReinspectBy.Equal(deadline.Add(24*time.Hour)) {
		t.Fatalf("reinspect by %v, want the deadline + 1 day", h.ReinspectBy)
	}
	r.Hazard, r.HeadSeq, r.HeadHash = h, passed.Event.Seq, passed.Event.Hash

	// A second before, nothing: the job is planned for the limit, not run early;
	// a re-inspection that finds it still present makes the job stale.
	r.At = *h.ReinspectBy
	present := r
	present.Action, present.Actor = inspect.ActionReinspectPresent, 30
	out, err := inspect.TakeAction(present)
	if err != nil {
		t.Fatal(err)
	}
	if out.Hazard.ReinspectBy != nil {
		t.Errorf("re-inspected: reinspect by %v, want none", out.Hazard.ReinspectBy)
	}
	stale := r
	stale.Hazard = out.Hazard
	if o, _ := inspect.PassTimeLimit(stale, inspect.LimitReinspect, *h.ReinspectBy); o.Acted() {
		t.Errorf("re-inspected hazard: the overdue job acted: %+v", o)
	}

	o, err := inspect.PassTimeLimit(r, inspect.LimitReinspect, *h.ReinspectBy)
	if err != nil || o.Change == nil {
		t.Fatalf("overdue re-inspection: %+v, %v; want an escalation", o, err)
	}
	var p inspect.Escalation
	json.Unmarshal(o.Change.Event.Payload, &p)
	if p.Overdue != inspect.LimitReinspect || p.ToLevel != inspect.LevelCommunity || o.Change.Hazard.ReinspectBy != nil ||
		o.Change.Hazard.SignParty != inspect.SignUnit {
		t.Errorf("payload %+v hazard %+v", p, o.Change.Hazard)
	}
}

func TestSignFor(t *testing.T) {
	r := limitWorld(t)
	if _, _, err := inspect.SignFor(r.Hazard, inspect.SignUnit, t0); inspect.ErrorCode(err) != inspect.ECONFLICT {
		t.Errorf("a unit signing for the merchant's notice: %v, want conflict", err)
	}
	h, s, err := inspect.SignFor(r.Hazard, inspect.SignMerchant, t0.Add(9*time.Hour))
	if err != nil || h.SignBy != nil || h.SignParty != "" || !s.Late || s.Party != inspect.SignMerchant || !s.SignBy.Equal(t0.Add(8*time.Hour)) {
		t.Fatalf("late signature: %+v %+v %v", h, s, err)
	}
	if _, _, err := inspect.SignFor(h, inspect.SignMerchant, t0); inspect.ErrorCode(err) != inspect.ECONFLICT {
		t.Errorf("signing twice: %v, want conflict", err)
	}
	// Proof of the fix answers for the signature.
	proof := r
	proof.Action, proof.Actor = inspect.ActionSubmitProof, 50
	out, err := inspect.TakeAction(proof)
	if err != nil || out.Hazard.SignBy != nil {
		t.Errorf("after proof: sign by %v, %v; want none", out.Hazard.SignBy, err)
	}
}

func TestSignerParty(t *testing.T) {
	merchant := inspect.NewPrincipal(inspect.User{ID: 50, Role: inspect.RoleMerchant}, nil, []int64{20})
	otherMerchant := inspect.NewPrincipal(inspect.User{ID: 51, Role: inspect.RoleMerchant}, nil, []int64{21})
	gridOfficer := inspect.NewPrincipal(inspect.User{ID: 60, Role: inspect.RoleSafetyOfficer, UnitID: 4}, []int64{4}, nil)
	communityOfficer := inspect.NewPrincipal(inspect.User{ID: 61, Role: inspect.RoleSafetyOfficer, UnitID: 3}, []int64{3, 4, 5}, nil)
	admin := inspect.NewPrincipal(inspect.User{ID: 1, Role: inspect.RoleAdmin}, nil, nil)
	notified := inspect.Hazard{SiteID: 20, GridID: 4, UnitID: 4, Level: inspect.LevelGrid, SignParty: inspect.SignMerchant, SignBy: at(t0)}
	escalated := inspect.Hazard{SiteID: 20, GridID: 4, UnitID: 3, Level: inspect.LevelCommunity, SignParty: inspect.SignUnit, SignBy: at(t0)}
	tests := []struct {
		name string
		p    inspect.Principal
		h    inspect.Hazard
		want inspect.SignParty
	}{
		{"merchant of the site signs the notice", merchant, notified, inspect.SignMerchant},
		{"another site's merchant does not", otherMerchant, notified, ""},
		{"an officer does not sign for the merchant", gridOfficer, notified, ""},
		{"the community's officer signs for the community", communityOfficer, escalated, inspect.SignUnit},
		{"the grid's officer does not sign for the community", gridOfficer, escalated, ""},
		{"the merchant does not sign for a unit", merchant, escalated, ""},
		{"admins do not sign", admin, escalated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.SignerParty(tt.h)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("SignerParty = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestApplyPolicy(t *testing.T) {
	notified := limitWorld(t)
	// Escalated at t0+8h: a policy deadline (3 days) and the community's signature.
	escalated := notified
	escalated.At = t0.Add(8 * time.Hour)
	o, err := inspect.PassTimeLimit(escalated, inspect.LimitSign, t0.Add(8*time.Hour))
	if err != nil || o.Change == nil {
		t.Fatal(o, err)
	}
	escalated.Hazard, escalated.HeadSeq, escalated.HeadHash = o.Change.Hazard, o.Change.Event.Seq, o.Change.Event.Hash

	changed := inspect.DefaultPolicy()
	changed.SignWithin = inspect.Duration(4 * time.Hour)
	changed.Rectify[inspect.LevelCommunity][inspect.SeverityGeneral] = inspect.Duration(48 * time.Hour)
	now := t0.Add(10 * time.Hour)
	closed := notified
	closed.Hazard.State = inspect.StateClosedFixed
	handed := t0.Add(8 * time.Hour)
	tests := []struct {
		name   string
		r      inspect.ActionRequest
		policy inspect.TimeLimitPolicy
		want   *inspect.PolicyApplied
	}{
		{"the same policy moves nothing", escalated, inspect.DefaultPolicy(), nil},
		{"a closed hazard moves nothing", closed, changed, nil},
		{"an escalation's deadline and signature move", escalated, changed, &inspect.PolicyApplied{
			PreviousDeadline: at(handed.Add(72 * time.Hour)), Deadline: at(handed.Add(48 * time.Hour)),
			PreviousSignBy: at(handed.Add(8 * time.Hour)), SignBy: at(handed.Add(4 * time.Hour))}},
		{"the inspector's deadline stays; the merchant's signature moves", notified, changed, &inspect.PolicyApplied{
			PreviousSignBy: at(t0.Add(8 * time.Hour)), SignBy: at(t0.Add(4 * time.Hour))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.Policy, r.Actor, r.At = tt.policy, 1, now
			out, moved, err := inspect.ApplyPolicy(r)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if moved {
					t.Fatalf("moved %+v, want nothing", out.Hazard)
				}
				return
			}
			if !moved {
				t.Fatal("nothing moved")
			}
			var got inspect.PolicyApplied
			if err := json.Unmarshal(out.Event.Payload, &got); err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := json.Marshal(tt.want)
			gotJSON, _ := json.Marshal(got)
			if string(wantJSON) != string(gotJSON) {
				t.Errorf("payload %s, want %s", gotJSON, wantJSON)
			}
			if out.Event.Kind != inspect.EventPolicyApplied || out.Event.Actor != 1 || out.Event.Seq != r.HeadSeq+1 {
				t.Errorf("event %s by %d seq %d", out.Event.Kind, out.Event.Actor, out.Event.Seq)
			}
			h := out.Hazard
			if tt.want.Deadline != nil && !h.Deadline.Equal(*tt.want.Deadline) || tt.want.Deadline == nil && !h.Deadline.Equal(r.Hazard.Deadline) ||
				!h.SignBy.Equal(*tt.want.SignBy) {
				t.Errorf("hazard deadline %s sign by %s", h.Deadline, h.SignBy)
			}
			if s := out.Effects.Schedule; s == nil || !s.Deadline.Equal(h.Deadline) || len(s.Limits) != 1 || !s.Limits[0].At.Equal(*h.SignBy) {
				t.Errorf("schedule %+v, want the moved limits' jobs", out.Effects.Schedule)
			}
		})
	}
}
