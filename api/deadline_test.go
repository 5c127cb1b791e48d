package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
)

// districtOfficer returns the safety officer of the whole district (created on
// first use), who sees both halves.
func (w *world) districtOfficer() inspect.User {
	w.t.Helper()
	if u, _, err := w.svc.Directory.Credentials(w.ctx, "districtofficer"); err == nil {
		return u
	}
	return w.user(inspect.User{Username: "districtofficer", Phone: "10000000099", DisplayName: "District officer",
		Role: inspect.RoleSafetyOfficer, UnitID: w.district.ID})
}

// panel is a determination panel for hazards of s: s's officer, the admin and
// the district's officer, who all see them.
func (w *world) panel(s *scope) []int64 {
	return []int64{s.officer.ID, w.admin.ID, w.districtOfficer().ID}
}

// underDetermination returns a fresh hazard of s with an open determination
// and, when voted, the panel's three votes for major.
func (w *world) underDetermination(s *scope, voted bool) inspect.HazardDetail {
	w.t.Helper()
	h, _ := w.hazard(s)
	if _, err := w.svc.Determinations.OpenDetermination(w.ctx, s.officerP, h.ID, w.panel(s), "possibly major"); err != nil {
		w.t.Fatal(err)
	}
	if voted {
		for _, id := range w.panel(s) {
			if _, err := w.svc.Determinations.CastVote(w.ctx, w.principal(inspect.User{ID: id}), h.ID, inspect.VoteMajor, "LPG in a basement"); err != nil {
				w.t.Fatalf("vote of %d: %v", id, err)
			}
		}
	}
	return h
}

// deadlineMatrix is the authorization matrix of the notification, KPI, policy and
// determination routes.
func deadlineMatrix() []matrixRoute {
	const p = "/api/v1"
	managersOwn := [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}
	return []matrixRoute{
		{"GET /api/v1/notifications", func(w *world, s *scope, n int) request { return request{"GET", p + "/notifications", nil} },
			[actors][2]int{same(200), same(200), same(200), same(200), same(401)}},
		{"POST /api/v1/notifications/:id/read", func(w *world, s *scope, n int) request {
			// A notification of s's merchant: only they may mark it.
			stored, _, err := w.svc.Notifications.Enqueue(w.ctx, inspect.Notification{UserID: s.merchant.ID, Channel: inspect.ChannelInApp,
				Kind: inspect.KindHazardNotified, TextZH: "通知", TextEN: "notice", DedupKey: fmt.Sprintf("matrix:%d", n)})
			if err != nil {
				w.t.Fatal(err)
			}
			return request{"POST", fmt.Sprintf("%s/notifications/%d/read", p, stored.ID), nil}
		}, [actors][2]int{same(404), same(404), same(404), {204, 404}, same(401)}},
		{"GET /api/v1/kpi", func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/kpi?unit=%d&from=2025-03-01&to=2025-04-01", p, s.community.ID), nil}
		}, managersOwn},
		{"GET /api/v1/policy", func(w *world, s *scope, n int) request {
			return request{"GET", fmt.Sprintf("%s/policy?district_id=%d", p, w.district.ID), nil}
		}, [actors][2]int{same(200), same(200), same(200), same(403), same(401)}},
		{"PUT /api/v1/policy", func(w *world, s *scope, n int) request {
			return request{"PUT", fmt.Sprintf("%s/policy?district_id=%d", p, w.district.ID), map[string]any{"rectify": map[string]any{"grid": map[string]string{"general": "2d"}}}}
		}, [actors][2]int{same(200), same(403), same(403), same(403), same(401)}},
		{"GET /api/v1/hazards/:id/determination", func(w *world, s *scope, n int) request {
			h := w.underDetermination(s, false)
			return request{"GET", fmt.Sprintf("%s/hazards/%d/determination", p, h.ID), nil}
		}, [actors][2]int{same(200), ownOnly(200), ownOnly(200), same(403), same(401)}},
		{"POST /api/v1/hazards/:id/determination", func(w *world, s *scope, n int) request {
			h, _ := w.hazard(s)
			return request{"POST", fmt.Sprintf("%s/hazards/%d/determination", p, h.ID), api.OpenDeterminationInput{Participants: w.panel(s), Note: "LPG cylinders in the basement"}}
		}, managersOwn},
		{"POST /api/v1/hazards/:id/determination/votes", func(w *world, s *scope, n int) request {
			h := w.underDetermination(s, false)
			return request{"POST", fmt.Sprintf("%s/hazards/%d/determination/votes", p, h.ID), api.VoteInput{Vote: inspect.VoteMajor, Reason: "GB 35181 4.2"}}
		}, managersOwn},
		{"POST /api/v1/hazards/:id/determination/conclude", func(w *world, s *scope, n int) request {
			h := w.underDetermination(s, true)
			return request{"POST", fmt.Sprintf("%s/hazards/%d/determination/conclude", p, h.ID), api.ConclusionInput{Measures: "remove the cylinders", Deadline: time.Now().Add(72 * time.Hour)}}
		}, managersOwn},
	}
}

// TestKPIEndpointFixture checks GET /kpi against figures computed by hand for a
// fixture of hazards in both halves of the district, inside and outside March
// 2025 (China time).
func TestKPIEndpointFixture(t *testing.T) {
	t.Parallel()
	w := setup(t)
	cst := inspect.ReportZone
	march := func(day, hour int) time.Time { return time.Date(2025, 3, day, hour, 0, 0, 0, cst) }
	type fixture struct {
		name              string
		s                 *scope
		state             inspect.HazardState
		created, deadline time.Time
		closed            *time.Time // nil while open
		returns, rating   int
	}
	at := func(t time.Time) *time.Time { return &t }
	fixtures := []fixture{
		{"A fixed on time, 5 stars", w.own, inspect.StateClosedFixed, march(3, 9), march(4, 9), at(march(4, 8)), 0, 5},
		{"B fixed late, returned once, 3 stars", w.own, inspect.StateClosedFixed, march(5, 9), march(6, 9), at(march(9, 9)), 1, 3},
		{"C fixed on the spot, 4 stars", w.own, inspect.StateClosedOnSpot, march(7, 9), march(8, 9), at(march(7, 9)), 0, 4},
		{"D notified, open", w.own, inspect.StateNotified, march(10, 9), march(11, 9), nil, 0, 0},
		{"E withdrawn after a return", w.own, inspect.StateWithdrawn, march(12, 9), march(13, 9), at(march(14, 9)), 1, 0},
		{"F re-inspection due, returned twice", w.own, inspect.StateReinspectionDue, march(15, 9), march(16, 9), nil, 2, 0},
		{"K first minute of March, fixed on time", w.own, inspect.StateClosedFixed, march(1, 0), march(2, 0), at(march(1, 12)), 0, 0},
		{"I last minute of February: outside", w.own, inspect.StateClosedFixed, march(1, 0).Add(-time.Minute), march(2, 0), at(march(1, 12)), 0, 1},
		{"J first minute of April: outside", w.own, inspect.StateOpen, time.Date(2025, 4, 1, 0, 0, 0, 0, cst), march(31, 0).Add(72 * time.Hour), nil, 0, 0},
		{"G other half, fixed on time, 2 stars", w.other, inspect.StateClosedFixed, march(20, 9), march(21, 9), at(march(21, 8)), 0, 2},
		{"H other half, open", w.other, inspect.StateOpen, march(22, 9), march(23, 9), nil, 0, 0},
	}
	for i, f := range fixtures {
		if _, err := w.db.Pool.Exec(w.ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, state, severity, level, unit_id, inspector_id,
			deadline, created_at, closed_at, returns, rating) VALUES ($1, $2, $3, $4, 'general', 'grid', $2, $5, $6, $7, $8, $9, $10)`,
			f.s.site.ID, f.s.grid.ID, fmt.Sprintf("KPI-%d", i), f.state, f.s.inspector.ID, f.deadline, f.created, f.closed, f.returns, f.rating); err != nil {
			t.Fatalf("fixture %s: %v", f.name, err)
		}
	}
	type rate struct {
		Num, Den int64
		Value    *float64
	}
	type answer struct {
		Volume       int64
		Completion   rate
		OnTime       rate `json:"on_time"`
		Satisfaction struct {
			Average    *float64
			Share4Plus rate `json:"share_4_plus"`
		}
		Returned rate
	}
	tests := []struct {
		name          string
		unit          int64
		volume        int64
		completion    [2]int64
		onTime        [2]int64
		average       float64
		share4        [2]int64
		returned      [2]int64
		token         string
		status        int
		from, to      string
		wantFieldErr  string
		wantNullAvg   bool
		wantUndefined bool
	}{
		// Community 1: A B C D F K received (E withdrawn); A B C K closed; A C K on
		// time; findings A B D E F K (C fixed on the spot), B E F returned; ratings
		// 5 3 4.
		{name: "own community as its officer", unit: w.own.community.ID, token: w.login(w.own.officer), status: 200, volume: 6,
			completion: [2]int64{4, 6}, onTime: [2]int64{3, 4}, average: 4, share4: [2]int64{2, 3}, returned: [2]int64{3, 6}},
		// The district adds G (closed on time, 2 stars) and H (open).
		{name: "district as admin", unit: w.district.ID, token: w.login(w.admin), status: 200, volume: 8,
			completion: [2]int64{5, 8}, onTime: [2]int64{4, 5}, average: 3.5, share4: [2]int64{2, 4}, returned: [2]int64{3, 8}},
		{name: "a period without hazards", unit: w.district.ID, token: w.login(w.admin), status: 200, from: "2024-01-01", to: "2024-02-01", wantNullAvg: true, wantUndefined: true},
		{name: "district as a community officer", unit: w.district.ID, token: w.login(w.own.officer), status: 404},
		{name: "other community as own officer", unit: w.other.community.ID, token: w.login(w.own.officer), status: 404},
		{name: "inspector", unit: w.own.grid.ID, token: w.login(w.own.inspector), status: 403},
		{name: "bad day", unit: w.district.ID, token: w.login(w.admin), status: 400, from: "2025-3-1", wantFieldErr: "from"},
		{name: "to before from", unit: w.district.ID, token: w.login(w.admin), status: 400, from: "2025-04-01", to: "2025-03-01", wantFieldErr: "to"},
		{name: "no unit", token: w.login(w.admin), status: 400, wantFieldErr: "unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := "2025-03-01", "2025-04-01"
			if tt.from != "" {
				from = tt.from
			}
			if tt.to != "" {
				to = tt.to
			}
			path := fmt.Sprintf("/api/v1/kpi?from=%s&to=%s", from, to)
			if tt.unit != 0 {
				path += fmt.Sprintf("&unit=%d", tt.unit)
			}
			r := w.do(tt.token, "GET", path, nil)
			if r.Status != tt.status {
				t.Fatalf("GET %s: %d %s, want %d", path, r.Status, r.Body, tt.status)
			}
			if tt.wantFieldErr != "" {
				if e := r.ErrorBody(t); e.Field != tt.wantFieldErr {
					t.Errorf("error names field %q (%s), want %q", e.Field, e.Message, tt.wantFieldErr)
				}
				return
			}
			if r.Status != 200 {
				return
			}
			var a answer
			if err := json.Unmarshal(r.Body, &a); err != nil {
				t.Fatal(err)
			}
			checkRate := func(name string, got rate, want [2]int64) {
				t.Helper()
				if got.Num != want[0] || got.Den != want[1] {
					t.Errorf("%s = %d/%d, want %d/%d", name, got.Num, got.Den, want[0], want[1])
				}
				if want[1] == 0 {
					if got.Value != nil {
						t.Errorf("%s value = %v over nothing, want null", name, *got.Value)
					}
					return
				}
				if got.Value == nil || math.Abs(*got.Value-float64(want[0])/float64(want[1])) > 1e-9 {
					t.Errorf("%s value = %v, want %v", name, got.Value, float64(want[0])/float64(want[1]))
				}
			}
			if a.Volume != tt.volume {
				t.Errorf("volume = %d, want %d", a.Volume, tt.volume)
			}
			checkRate("completion", a.Completion, tt.completion)
			checkRate("on_time", a.OnTime, tt.onTime)
			checkRate("satisfaction.share_4_plus", a.Satisfaction.Share4Plus, tt.share4)
			checkRate("returned", a.Returned, tt.returned)
			switch {
			case tt.wantNullAvg && a.Satisfaction.Average != nil:
				t.Errorf("average rating = %v without ratings, want null", *a.Satisfaction.Average)
			case !tt.wantNullAvg && (a.Satisfaction.Average == nil || math.Abs(*a.Satisfaction.Average-tt.average) > 1e-9):
				t.Errorf("average rating = %v, want %v", a.Satisfaction.Average, tt.average)
			}
		})
	}

	// Per responsible inspector, the same fixtures: own inspector A B C D F K
	// received, A B C K closed, A C K on time, B E F of A B D E F K returned;
	// the other inspector G H received, G closed on time.
	var byInspector api.List[inspect.InspectorKPI]
	if st := w.call(w.login(w.admin), "GET", fmt.Sprintf("/api/v1/kpi/inspectors?unit=%d&from=2025-03-01&to=2025-04-01", w.district.ID), nil, &byInspector); st != 200 || len(byInspector.Items) != 2 {
		t.Fatalf("KPIs by inspector: %d, %d rows", st, len(byInspector.Items))
	}
	own, other := byInspector.Items[0], byInspector.Items[1]
	if own.InspectorID != w.own.inspector.ID || own.Name == "" || own.Volume != 6 || own.Completion != (inspect.Rate{Num: 4, Den: 6}) ||
		own.OnTime != (inspect.Rate{Num: 3, Den: 4}) || own.Returned != (inspect.Rate{Num: 3, Den: 6}) {
		t.Errorf("own inspector's KPIs: %+v", own)
	}
	if other.InspectorID != w.other.inspector.ID || other.Volume != 2 || other.Completion != (inspect.Rate{Num: 1, Den: 2}) || other.OnTime != (inspect.Rate{Num: 1, Den: 1}) {
		t.Errorf("other inspector's KPIs: %+v", other)
	}
	if r := w.do(w.login(w.own.officer), "GET", fmt.Sprintf("/api/v1/kpi/inspectors?unit=%d&from=2025-03-01&to=2025-04-01", w.other.community.ID), nil); r.Status != 404 {
		t.Errorf("another area's inspectors: %d, want 404", r.Status)
	}
}

// TestDeterminationFlow walks a possibly major hazard through a determination by
// three reviewers to major: the hazard goes to the district under listed
// supervision with the panel's deadline, and the panel and the merchant are told.
func TestDeterminationFlow(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	h, _ := w.hazard(s)
	officer := w.login(s.officer)
	var d inspect.Determination
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination", h.ID), api.OpenDeterminationInput{Participants: w.panel(s)[:2]}, nil); st != 400 {
		t.Errorf("a panel of two: status %d, want 400", st)
	}
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination", h.ID), api.OpenDeterminationInput{Participants: []int64{s.officer.ID, w.admin.ID, s.merchant.ID}}, nil); st != 400 {
		t.Errorf("a merchant on the panel: status %d, want 400", st)
	}
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination", h.ID), api.OpenDeterminationInput{Participants: w.panel(s)}, &d); st != 200 {
		t.Fatalf("open: status %d", st)
	}
	conclude := api.ConclusionInput{Measures: "move the LPG cylinders out of the basement", Deadline: time.Now().Add(5 * 24 * time.Hour).Truncate(time.Second)}
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination/conclude", h.ID), conclude, nil); st != 400 {
		t.Errorf("conclude without votes: status %d, want 400", st)
	}
	votes := []struct {
		user inspect.User
		vote inspect.Vote
	}{{s.officer, inspect.VoteMajor}, {w.admin, inspect.VoteGeneral}, {w.districtOfficer(), inspect.VoteMajor}}
	for _, v := range votes {
		tok := w.login(v.user)
		if st := w.call(tok, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination/votes", h.ID), api.VoteInput{Vote: v.vote}, &d); st != 200 {
			t.Fatalf("vote of %s: status %d", v.user.Username, st)
		}
	}
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination/votes", h.ID), api.VoteInput{Vote: inspect.VoteMajor}, nil); st != 409 {
		t.Errorf("a second vote: status %d, want 409", st)
	}
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination/conclude", h.ID), conclude, &d); st != 200 {
		t.Fatalf("conclude: status %d", st)
	}
	if d.Conclusion != inspect.SeverityMajor || len(d.Ballots) != 3 || d.Measures != conclude.Measures {
		t.Errorf("determination = %+v, want major with 3 ballots and the measures", d)
	}
	var got inspect.HazardDetail
	w.call(officer, "GET", fmt.Sprintf("/api/v1/hazards/%d", h.ID), nil, &got)
	if got.Severity != inspect.SeverityMajor || got.Level != inspect.LevelDistrict || got.UnitID != w.district.ID || got.State != inspect.StateEscalated {
		t.Errorf("hazard after the determination: %s %s at %s %d, want major escalated at district %d", got.Severity, got.State, got.Level, got.UnitID, w.district.ID)
	}
	if !got.Deadline.Equal(conclude.Deadline) {
		t.Errorf("hazard deadline %s, want the panel's %s", got.Deadline, conclude.Deadline)
	}
	sup := got.Supervision
	if sup == nil || sup.SupervisingUnitID != w.district.ID || sup.ResponsibleUserID != s.merchant.ID || !sup.Deadline.Equal(conclude.Deadline) {
		t.Errorf("listed supervision = %+v, want district %d, merchant %d, deadline %s", sup, w.district.ID, s.merchant.ID, conclude.Deadline)
	}
	if got.Determination == nil || got.Determination.ID != d.ID {
		t.Errorf("hazard detail's determination = %+v, want %d", got.Determination, d.ID)
	}
	// The merchant reads the outcome, not the panel's deliberation.
	var theirs inspect.HazardDetail
	if st := w.call(w.login(s.merchant), "GET", fmt.Sprintf("/api/v1/hazards/%d", h.ID), nil, &theirs); st != 200 || theirs.Determination == nil {
		t.Fatalf("the merchant's view of the hazard: %d %+v", st, theirs.Determination)
	}
	if md := theirs.Determination; md.Measures != conclude.Measures || md.Conclusion != inspect.SeverityMajor || len(md.Ballots) != 0 || len(md.Participants) != 0 || md.OpenedBy != 0 {
		t.Errorf("the merchant sees the determination %+v; want the conclusion and measures without ballots, participants or opener", md)
	}
	// The merchant is told the outcome; the district's officer that the hazard is now theirs.
	kinds := func(u inspect.User) map[inspect.NotificationKind]int {
		var l api.List[inspect.Notification]
		w.call(w.login(u), "GET", "/api/v1/notifications", nil, &l)
		out := map[inspect.NotificationKind]int{}
		for _, n := range l.Items {
			out[n.Kind]++
		}
		return out
	}
	if k := kinds(s.merchant); k[inspect.KindDeterminationConcluded] != 1 {
		t.Errorf("merchant's notifications %v, want one determination_concluded", k)
	}
	if k := kinds(w.districtOfficer()); k[inspect.KindDeterminationRequested] != 1 || k[inspect.KindEscalated] != 1 || k[inspect.KindDeterminationConcluded] != 1 {
		t.Errorf("district officer's notifications %v, want one each of determination_requested, escalated, determination_concluded", k)
	}
}

// TestGenericDeterminationActionsRefused checks that no one declares a hazard
// possibly major, major or general alone through the generic action route: the
// three determination actions are refused there, in every state where they would
// apply, and nothing is written; the determination routes still work.
func TestGenericDeterminationActionsRefused(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	open, _ := w.hazard(s)
	determining := w.underDetermination(s, true)
	cases := []struct {
		name   string
		hazard inspect.HazardDetail
		action inspect.Action
		route  string
	}{
		{"open_determination", open, inspect.ActionOpenDetermination, "/determination"},
		{"determine_major", determining, inspect.ActionDetermineMajor, "/determination/conclude"},
		{"determine_general", determining, inspect.ActionDetermineGeneral, "/determination/conclude"},
	}
	for _, by := range []inspect.User{s.officer, w.admin} {
		tok := w.login(by)
		for _, c := range cases {
			t.Run(by.Username+"/"+c.name, func(t *testing.T) {
				path := fmt.Sprintf("/api/v1/hazards/%d", c.hazard.ID)
				var before inspect.HazardDetail
				w.call(tok, "GET", path, nil, &before)
				r := w.do(tok, "POST", path+"/actions/"+string(c.action), inspect.HazardActionInput{Note: "one officer decides"})
				if r.Status != 400 {
					t.Fatalf("status %d (%s), want 400", r.Status, r.Body)
				}
				e := r.ErrorBody(t)
				if e.Error != inspect.EINVALID || e.Field != "action" || !strings.Contains(e.Message, c.route) || !strings.Contains(e.Message, "at least 3 reviewers") {
					t.Errorf("error %+v, want invalid on action pointing to %s and the panel of 3", e, c.route)
				}
				var after inspect.HazardDetail
				w.call(tok, "GET", path, nil, &after)
				if after.State != before.State || after.Severity != before.Severity || len(after.Events) != len(before.Events) {
					t.Errorf("hazard moved from %s/%s (%d events) to %s/%s (%d events)", before.State, before.Severity, len(before.Events),
						after.State, after.Severity, len(after.Events))
				}
			})
		}
	}
	// The determination routes still take the hazards through.
	officer := w.login(s.officer)
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination", open.ID), api.OpenDeterminationInput{Participants: w.panel(s)}, nil); st != 200 {
		t.Errorf("open through the determination route: status %d", st)
	}
	var d inspect.Determination
	conclude := api.ConclusionInput{Measures: "move the LPG cylinders out", Deadline: time.Now().Add(72 * time.Hour).Truncate(time.Second)}
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/hazards/%d/determination/conclude", determining.ID), conclude, &d); st != 200 || d.Conclusion != inspect.SeverityMajor {
		t.Errorf("conclude through the determination route: status %d, conclusion %q", st, d.Conclusion)
	}
}
