package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// decidedFlags stores n item photos of s at one place, each analysed by the active
// model with one two_wheeler_indoor flag scoring score, and the office's decisions on
// them: the first confirmed confirmed, the rest rejected. It returns the place.
func (w *world) decidedFlags(s *scope, score float32, n, confirmed int) string {
	w.t.Helper()
	d := w.startedInspection(s)
	i := slices.IndexFunc(d.Items, func(it inspect.ItemDetail) bool { return slices.Contains(inspect.LocationTags(), it.Location) })
	if i < 0 {
		w.t.Fatal("the checklist has no item at a tagged place")
	}
	item := d.Items[i]
	for k := range n {
		id := w.photo(s.inspectorP, inspect.PhotoTarget{InspectionID: d.ID, ItemCode: item.Code})
		rec, err := w.svc.Photos.PhotoForAnalysis(w.ctx, uuid.MustParse(id))
		if err != nil {
			w.t.Fatal(err)
		}
		status := "needs_review"
		if score >= inspect.DefaultFlagScore {
			status = "flag"
		}
		a := storage.Analysis{PhotoID: rec.Photo.ID, ModelName: "yolox_nano", ModelSHA256: activeSHA, Width: 64, Height: 48,
			Detections: json.RawMessage(`[]`), AnalysedAt: time.Now()}
		f := inspect.AIFlag{Code: inspect.CheckTwoWheelerIndoor, Status: status, Score: score, Reason: "motorcycle", Boxes: []inspect.FlagBox{}}
		if err := w.svc.Photos.SaveAnalysis(w.ctx, a, rec.Photo.SiteID, rec.RuleCode, []inspect.AIFlag{f}); err != nil {
			w.t.Fatal(err)
		}
		review := inspect.ReviewRejected
		if k < confirmed {
			review = inspect.ReviewConfirmed
		}
		if _, err := w.db.Pool.Exec(w.ctx, `UPDATE ai_flags SET review = $2, reviewed_by = $3, reviewed_at = now() WHERE photo_id = $1`,
			rec.Photo.ID, review, s.officer.ID); err != nil {
			w.t.Fatal(err)
		}
	}
	return item.Location
}

// thresholdsMatrix is the authorization matrix of the score-level routes.
func thresholdsMatrix() []matrixRoute {
	const p = "/api/v1"
	return []matrixRoute{
		{"GET /api/v1/models/thresholds", func(w *world, s *scope, n int) request { return request{"GET", p + "/models/thresholds", nil} },
			[actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"GET /api/v1/models/thresholds/history", func(w *world, s *scope, n int) request {
			return request{"GET", p + "/models/thresholds/history", nil}
		}, [actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"POST /api/v1/models/thresholds/:check/accept", func(w *world, s *scope, n int) request {
			loc := w.decidedFlags(s, 0.7, 20, 20)
			return request{"POST", p + "/models/thresholds/" + inspect.CheckTwoWheelerIndoor + "/accept", api.ThresholdAcceptInput{Location: loc}}
		}, [actors][2]int{same(201), same(403), same(403), same(403), same(401)}},
	}
}

// TestThresholdsLearnedFromReview: the decisions on a check's flags at a place
// propose levels only with enough of them; an admin accepts the proposal (recorded
// with who, when, the levels replaced and the evidence), and from then on the
// analysis job reads the accepted levels for that place.
func TestThresholdsLearnedFromReview(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	officer, admin := w.login(s.officer), w.login(w.admin)
	accept := "/api/v1/models/thresholds/" + inspect.CheckTwoWheelerIndoor + "/accept"
	report := func(query string) inspect.CheckThreshold {
		t.Helper()
		var rep inspect.ThresholdReport
		if st := w.call(officer, "GET", "/api/v1/models/thresholds"+query, nil, &rep); st != 200 || len(rep.Checks) != 1 {
			t.Fatalf("thresholds: status %d, %+v", st, rep)
		}
		return rep.Checks[0]
	}

	// 10 flags at 0.9, all confirmed: too few for any level.
	loc := w.decidedFlags(s, 0.9, 10, 10)
	got := report("")
	if got.Code != inspect.CheckTwoWheelerIndoor || got.Location != loc || got.Accepted || got.Current != inspect.DefaultLevels() ||
		got.Proposal.Proposed() || got.Proposal.ReasonCode != inspect.NoProposalTooFewDecisions {
		t.Fatalf("with 10 decisions: %+v", got)
	}
	if st := w.call(admin, "POST", accept, api.ThresholdAcceptInput{Location: loc}, nil); st != 409 {
		t.Errorf("accept with too few decisions: %d, want 409", st)
	}

	// Then 10 at 0.5 (8 confirmed) and 5 at 0.4 (none confirmed). At 0.9: 10 flags,
	// too few; at 0.5: 20 flags, 18 confirmed, 0.9 ≥ 0.8 → the flag level; at 0.4: 25
	// flags, 18 confirmed, 0.72 ≥ 0.5 → the needs-review level.
	w.decidedFlags(s, 0.5, 10, 8)
	w.decidedFlags(s, 0.4, 5, 0)
	rate := func(num, den int64) inspect.Rate { return inspect.Rate{Num: num, Den: den} }
	flagEv := inspect.LevelEvidence{Level: 0.5, Decisions: 20, Confirmed: 18, Precision: rate(18, 20)}
	reviewEv := inspect.LevelEvidence{Level: 0.4, Decisions: 25, Confirmed: 18, Precision: rate(18, 25)}
	got = report("")
	wantProposal := inspect.ThresholdProposal{TargetPrecision: 0.8, Decisions: 25, Confirmed: 18, Flag: &flagEv, Review: &reviewEv}
	if d := cmp.Diff(wantProposal, got.Proposal); d != "" {
		t.Errorf("proposal at 0.8 (-want +got):\n%s", d)
	}
	// At 0.95 nothing keeps the precision: no proposal, and the reason.
	if p := report("?target_precision=0.95").Proposal; p.Proposed() || p.ReasonCode != inspect.NoProposalPrecision {
		t.Errorf("proposal at 0.95: %+v", p)
	}
	if st := w.call(admin, "POST", accept, api.ThresholdAcceptInput{Location: loc, TargetPrecision: 0.95}, nil); st != 409 {
		t.Errorf("accept at 0.95: %d, want 409", st)
	}
	for name, in := range map[string]api.ThresholdAcceptInput{
		"bad precision": {Location: loc, TargetPrecision: 1.5},
		"bad location":  {Location: "attic"},
	} {
		if st := w.call(admin, "POST", accept, in, nil); st != 400 {
			t.Errorf("accept with %s: %d, want 400", name, st)
		}
	}
	if st := w.call(admin, "POST", "/api/v1/models/thresholds/no_such_check/accept", api.ThresholdAcceptInput{Location: loc}, nil); st != 400 {
		t.Errorf("accept for an unknown check: %d, want 400", st)
	}
	if st := w.call(officer, "POST", accept, api.ThresholdAcceptInput{Location: loc}, nil); st != 403 {
		t.Errorf("an officer accepts: %d, want 403", st)
	}
	if levels, err := w.svc.Photos.LevelsAt(w.ctx, loc); err != nil || len(levels) != 0 {
		t.Fatalf("levels in force before any acceptance: %v, %v", levels, err)
	}

	// The admin accepts.
	var ch inspect.ThresholdChange
	if st := w.call(admin, "POST", accept, api.ThresholdAcceptInput{Location: loc}, &ch); st != 201 {
		t.Fatalf("admin accepts: %d", st)
	}
	want := inspect.ThresholdChange{ID: ch.ID, Code: inspect.CheckTwoWheelerIndoor, Location: loc,
		Previous: inspect.DefaultLevels(), Levels: inspect.ScoreLevels{Flag: 0.5, Review: 0.4}, TargetPrecision: 0.8,
		Decisions: 25, FlagEvidence: flagEv, ReviewEvidence: reviewEv, AcceptedBy: w.admin.ID, AcceptedAt: ch.AcceptedAt}
	if d := cmp.Diff(want, ch); d != "" || time.Since(ch.AcceptedAt) > time.Minute {
		t.Errorf("accepted change (-want +got):\n%s (at %v)", d, ch.AcceptedAt)
	}
	if got := report(""); !got.Accepted || got.Current != want.Levels {
		t.Errorf("levels in force after acceptance: %+v", got)
	}
	var hist []inspect.ThresholdChange
	if st := w.call(officer, "GET", "/api/v1/models/thresholds/history", nil, &hist); st != 200 {
		t.Fatalf("history: %d", st)
	}
	if d := cmp.Diff([]inspect.ThresholdChange{ch}, hist, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}

	// What the analysis job reads for a new photo at the place, and elsewhere.
	levels, err := w.svc.Photos.LevelsAt(w.ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]inspect.ScoreLevels{inspect.CheckTwoWheelerIndoor: want.Levels}, levels); d != "" {
		t.Errorf("levels in force at %s (-want +got):\n%s", loc, d)
	}
	other := inspect.LocationKitchen
	if loc == other {
		other = inspect.LocationLobby
	}
	if levels, err := w.svc.Photos.LevelsAt(w.ctx, other); err != nil || len(levels) != 0 {
		t.Errorf("levels in force at %s: %v, %v; want none", other, levels, err)
	}

	// A second acceptance records the first one's levels as the ones it replaced.
	w.decidedFlags(s, 0.45, 10, 10)
	var second inspect.ThresholdChange
	if st := w.call(admin, "POST", accept, map[string]any{"location": loc, "target_precision": 0.7}, &second); st != 201 {
		t.Fatalf("second acceptance: %d", st)
	}
	if second.Previous != want.Levels || second.Decisions != 35 {
		t.Errorf("second acceptance: %+v", second)
	}
	if st := w.call(officer, "GET", "/api/v1/models/thresholds/history", nil, &hist); st != 200 || len(hist) != 2 || hist[0].ID != second.ID {
		t.Errorf("history after two acceptances, newest first: %d %s", st, fmt.Sprint(hist))
	}
}
