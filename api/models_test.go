package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// The active model's hash in these tests; candidates get their own.
var activeSHA = strings.Repeat("ab", 32)

func candidateSHA(n int) string { return fmt.Sprintf("%064x", 0xc0ffee00+n) }

// shadowPhoto is an item photo of s analysed by the active model, with the given
// active flags, and in shadow by candidate sha, with the candidate's flags.
func (w *world) shadowPhoto(s *scope, sha string, active, candidate []string) uuid.UUID {
	w.t.Helper()
	id := w.itemPhoto(s)
	rec, err := w.svc.Photos.PhotoForAnalysis(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	flags := func(codes []string) []inspect.AIFlag {
		var out []inspect.AIFlag
		for _, c := range codes {
			out = append(out, inspect.AIFlag{Code: c, Status: "flag", Score: 0.8, Reason: c + " seen", Boxes: []inspect.FlagBox{}})
		}
		return out
	}
	a := storage.Analysis{PhotoID: id, ModelName: "yolox_nano", ModelSHA256: activeSHA, Width: 64, Height: 48,
		Detections: json.RawMessage(`[]`), AnalysedAt: time.Now(),
		Shadow: []storage.ShadowAnalysis{{ModelName: "city_ebikes", ModelSHA256: sha, Detections: json.RawMessage(`[]`), Flags: flags(candidate)}}}
	if err := w.svc.Photos.SaveAnalysis(w.ctx, a, rec.Photo.SiteID, rec.RuleCode, flags(active)); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// modelsMatrix is the authorization matrix of the model routes.
func modelsMatrix() []matrixRoute {
	const p = "/api/v1"
	return append(thresholdsMatrix(), []matrixRoute{
		{"GET /api/v1/models/shadow", func(w *world, s *scope, n int) request { return request{"GET", p + "/models/shadow", nil} },
			[actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"POST /api/v1/models/promotions", func(w *world, s *scope, n int) request {
			sha := candidateSHA(n)
			w.shadowPhoto(s, sha, nil, nil)
			return request{"POST", p + "/models/promotions", api.PromotionInput{ModelSHA256: sha, Reason: "better on e-bikes"}}
		}, [actors][2]int{same(201), same(403), same(403), same(403), same(401)}},
		{"POST /api/v1/models/promotions/:id/revert", func(w *world, s *scope, n int) request {
			sha := candidateSHA(n)
			w.shadowPhoto(s, sha, nil, nil)
			pr, err := w.svc.Flags.PromoteModel(w.ctx, w.adminP, sha, "")
			if err != nil {
				w.t.Fatal(err)
			}
			return request{"POST", fmt.Sprintf("%s/models/promotions/%d/revert", p, pr.ID), nil}
		}, [actors][2]int{same(200), same(403), same(403), same(403), same(401)}},
	}...)
}

// TestShadowModel: a candidate's flags are stored and reported beside the active
// model's, but never enter the review queue nor make a hazard; an admin promotes the
// candidate (recorded with who and when) and reverts the promotion.
func TestShadowModel(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	officer, admin := w.login(s.officer), w.login(w.admin)
	sha := candidateSHA(0)
	hazards := func() int {
		var n int
		if err := w.db.Pool.QueryRow(w.ctx, `SELECT count(*) FROM hazards`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := hazards()

	// Photo 1: both models see a two-wheeler; only the candidate an obstruction.
	// Photo 2: only the active model flags a two-wheeler. Photo 3: only the
	// candidate flags one.
	w.shadowPhoto(s, sha, []string{inspect.CheckTwoWheelerIndoor}, []string{inspect.CheckTwoWheelerIndoor, inspect.CheckEscapeRouteObstructed})
	w.shadowPhoto(s, sha, []string{inspect.CheckTwoWheelerIndoor}, nil)
	w.shadowPhoto(s, sha, nil, []string{inspect.CheckTwoWheelerIndoor})

	var page api.List[inspect.AIFlag]
	if st := w.call(officer, "GET", "/api/v1/flags?review=all", nil, &page); st != 200 {
		t.Fatalf("review queue: status %d", st)
	}
	queue := page.Items
	if len(queue) != 2 {
		t.Fatalf("review queue holds %d flags, want the active model's 2: %+v", len(queue), queue)
	}
	for _, f := range queue {
		if f.ModelSHA256 != activeSHA || f.Code != inspect.CheckTwoWheelerIndoor {
			t.Errorf("review queue shows flag %+v, not one of the active model's", f)
		}
	}
	if n := hazards(); n != before {
		t.Errorf("storing shadow flags made %d hazards", n-before)
	}

	// The office confirms photo 1's flag and rejects photo 2's.
	var f inspect.AIFlag
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/flags/%d/confirm", queue[0].ID), map[string]string{}, &f); st != 200 {
		t.Fatalf("confirm: %d", st)
	}
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/flags/%d/reject", queue[1].ID), map[string]string{"reason": "a pram"}, &f); st != 200 {
		t.Fatalf("reject: %d", st)
	}
	if n := hazards(); n != before+1 {
		t.Errorf("after one confirmation there are %d new hazards, want 1", n-before)
	}

	var rep inspect.ShadowReport
	if st := w.call(officer, "GET", "/api/v1/models/shadow", nil, &rep); st != 200 || len(rep.Candidates) != 1 {
		t.Fatalf("shadow report: status %d, %+v", st, rep)
	}
	c := rep.Candidates[0]
	if c.Model != (inspect.ModelRef{Name: "city_ebikes", SHA256: sha}) || c.Photos != 3 || len(c.Checks) != 2 {
		t.Fatalf("shadow report of the candidate: %+v", c)
	}
	rate := func(num, den int64) inspect.Rate { return inspect.Rate{Num: num, Den: den} }
	want := []inspect.ShadowCheck{
		{Code: inspect.CheckEscapeRouteObstructed, CandidateFlags: 1,
			Active:    inspect.CheckScore{Code: inspect.CheckEscapeRouteObstructed},
			Candidate: inspect.CheckScore{Code: inspect.CheckEscapeRouteObstructed}},
		{Code: inspect.CheckTwoWheelerIndoor, ActiveFlags: 2, CandidateFlags: 2, BothFlagged: 1,
			// Decided: photo 1 a hazard, photo 2 not; photo 3 undecided.
			Active: inspect.CheckScore{Code: inspect.CheckTwoWheelerIndoor, Decided: 2, Hazards: 1, Flagged: 2, TruePositives: 1, FalsePositives: 1,
				Precision: rate(1, 2), Recall: rate(1, 1)},
			Candidate: inspect.CheckScore{Code: inspect.CheckTwoWheelerIndoor, Decided: 2, Hazards: 1, Flagged: 1, TruePositives: 1,
				Precision: rate(1, 1), Recall: rate(1, 1)}},
	}
	for i := range want {
		if c.Checks[i] != want[i] {
			t.Errorf("check %d:\n got %+v\nwant %+v", i, c.Checks[i], want[i])
		}
	}

	// An officer may not promote; an admin may, once.
	if st := w.call(officer, "POST", "/api/v1/models/promotions", api.PromotionInput{ModelSHA256: sha}, nil); st != 403 {
		t.Errorf("officer promotes: %d, want 403", st)
	}
	if st := w.call(admin, "POST", "/api/v1/models/promotions", api.PromotionInput{ModelSHA256: strings.Repeat("0", 64)}, nil); st != 400 {
		t.Errorf("promote a model that never ran in shadow: %d, want 400", st)
	}
	var pr inspect.ModelPromotion
	if st := w.call(admin, "POST", "/api/v1/models/promotions", api.PromotionInput{ModelSHA256: sha, Reason: "finds e-bikes"}, &pr); st != 201 {
		t.Fatalf("admin promotes: %d", st)
	}
	if pr.Model.SHA256 != sha || pr.Previous != (inspect.ModelRef{Name: "yolox_nano", SHA256: activeSHA}) ||
		pr.PromotedBy != w.admin.ID || time.Since(pr.PromotedAt) > time.Minute || pr.Reverted() || pr.Reason != "finds e-bikes" {
		t.Errorf("promotion = %+v", pr)
	}
	if got, ok, err := w.svc.Photos.PromotedModel(w.ctx); err != nil || !ok || got != sha {
		t.Errorf("model in force after promotion: %q %v %v, want the candidate", got, ok, err)
	}
	if st := w.call(admin, "POST", "/api/v1/models/promotions", api.PromotionInput{ModelSHA256: sha}, nil); st != 409 {
		t.Errorf("promote the active model again: %d, want 409", st)
	}

	// Reversible: the revert is recorded too, and the configured model is back.
	var rev inspect.ModelPromotion
	if st := w.call(admin, "POST", fmt.Sprintf("/api/v1/models/promotions/%d/revert", pr.ID), nil, &rev); st != 200 {
		t.Fatalf("revert: %d", st)
	}
	if rev.ID != pr.ID || rev.RevertedBy != w.admin.ID || !rev.Reverted() {
		t.Errorf("reverted promotion = %+v", rev)
	}
	if _, ok, err := w.svc.Photos.PromotedModel(w.ctx); err != nil || ok {
		t.Errorf("a promotion is still in force after the revert (%v)", err)
	}
	if st := w.call(admin, "POST", fmt.Sprintf("/api/v1/models/promotions/%d/revert", pr.ID), nil, nil); st != 409 {
		t.Errorf("revert twice: %d, want 409", st)
	}
	if st := w.call(officer, "GET", "/api/v1/models/shadow", nil, &rep); st != 200 || len(rep.Promotions) != 1 || !rep.Promotions[0].Reverted() {
		t.Errorf("promotion history: %d %+v", st, rep.Promotions)
	}
}
