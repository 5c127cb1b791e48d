package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/api"
	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// itemPhoto uploads, as s's inspector, a photo for the first item of a fresh started
// inspection of s's site, and returns its id.
func (w *world) itemPhoto(s *scope) uuid.UUID {
	w.t.Helper()
	d := w.startedInspection(s)
	return uuid.MustParse(w.photo(s.inspectorP, inspect.PhotoTarget{InspectionID: d.ID, ItemCode: d.Items[0].Code}))
}

// analysedPhoto is an item photo with a stored analysis, an annotated copy and one
// pending detector flag, as the analysis job leaves them.
func (w *world) analysedPhoto(s *scope) (uuid.UUID, inspect.AIFlag) {
	w.t.Helper()
	id := w.itemPhoto(s)
	rec, err := w.svc.Photos.PhotoForAnalysis(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	annotated := jpegPhoto(w.t)
	dets := json.RawMessage(`[{"class":"motorcycle","class_id":3,"score":0.88,"box":{"x1":5,"y1":10,"x2":50,"y2":45}}]`)
	flag := inspect.AIFlag{Code: "two_wheeler_indoor", Status: "flag", Score: 0.88, Reason: "motorcycle 0.88 in a corridor photo",
		Boxes: []inspect.FlagBox{{Class: "motorcycle", Score: 0.88, X1: 5, Y1: 10, X2: 50, Y2: 45}}}
	a := storage.Analysis{PhotoID: id, ModelName: "yolox_nano", ModelSHA256: strings.Repeat("ab", 32), Width: 64, Height: 48,
		Detections: dets, AnalysedAt: time.Now()}
	a.Annotated = annotated
	if err := w.svc.Photos.SaveAnalysis(w.ctx, a, rec.Photo.SiteID, rec.RuleCode, []inspect.AIFlag{flag}); err != nil {
		w.t.Fatal(err)
	}
	flags, err := w.svc.Flags.PhotoFlags(w.ctx, s.inspectorP, id)
	if err != nil || len(flags) != 1 {
		w.t.Fatalf("flags of analysed photo: %v, %v", flags, err)
	}
	return id, flags[0]
}

// reviewMatrix is the authorization matrix of the review routes.
func reviewMatrix() []matrixRoute {
	const p = "/api/v1"
	reviewers := [actors][2]int{same(200), ownOnly(200), same(403), same(403), same(401)}
	return []matrixRoute{
		{"GET /api/v1/flags", func(w *world, s *scope, n int) request { return request{"GET", p + "/flags?review=all", nil} },
			[actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"GET /api/v1/flags/stats", func(w *world, s *scope, n int) request { return request{"GET", p + "/flags/stats", nil} },
			[actors][2]int{same(200), same(200), same(403), same(403), same(401)}},
		{"GET /api/v1/flags/:id", func(w *world, s *scope, n int) request {
			_, f := w.analysedPhoto(s)
			return request{"GET", fmt.Sprintf("%s/flags/%d", p, f.ID), nil}
		}, reviewers},
		{"POST /api/v1/flags/:id/confirm", func(w *world, s *scope, n int) request {
			_, f := w.analysedPhoto(s)
			return request{"POST", fmt.Sprintf("%s/flags/%d/confirm", p, f.ID), map[string]string{"note": "e-bike seen on site"}}
		}, reviewers},
		{"POST /api/v1/flags/:id/reject", func(w *world, s *scope, n int) request {
			_, f := w.analysedPhoto(s)
			return request{"POST", fmt.Sprintf("%s/flags/%d/reject", p, f.ID), map[string]string{"reason": "it is a wheelchair"}}
		}, reviewers},
		{"GET /api/v1/photos/:uuid/flags", func(w *world, s *scope, n int) request {
			id, _ := w.analysedPhoto(s)
			return request{"GET", p + "/photos/" + id.String() + "/flags", nil}
		}, [actors][2]int{same(200), ownOnly(200), ownOnly(200), same(403), same(401)}},
		{"POST /api/v1/photos/:uuid/flags", func(w *world, s *scope, n int) request {
			return request{"POST", p + "/photos/" + w.itemPhoto(s).String() + "/flags", map[string]string{"code": "combustibles_stacked", "note": "boxes under the stairs"}}
		}, [actors][2]int{same(201), ownOnly(201), ownOnly(201), same(403), same(401)}},
		{"GET /api/v1/photos/:uuid/annotated", func(w *world, s *scope, n int) request {
			id, _ := w.analysedPhoto(s)
			return request{"GET", p + "/photos/" + id.String() + "/annotated", nil}
		}, [actors][2]int{same(200), ownOnly(200), ownOnly(200), same(403), same(401)}},
	}
}

// TestReviewFlags walks flags through review: confirming creates the hazard for the
// photo's site and rule, a second confirmed flag of the same rule joins it, a
// rejection needs a reason and is kept, and the statistics count both.
func TestReviewFlags(t *testing.T) {
	t.Parallel()
	w := setup(t)
	s := w.own
	officer := w.login(s.officer)

	// Two photos of the same item (same rule) at the same site, each with a flag.
	d := w.startedInspection(s)
	item := d.Items[0]
	flagFor := func() inspect.AIFlag {
		id := uuid.MustParse(w.photo(s.inspectorP, inspect.PhotoTarget{InspectionID: d.ID, ItemCode: item.Code}))
		rec, err := w.svc.Photos.PhotoForAnalysis(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		a := storage.Analysis{PhotoID: id, ModelName: "yolox_nano", ModelSHA256: strings.Repeat("cd", 32), Width: 64, Height: 48,
			Detections: json.RawMessage(`[]`), AnalysedAt: time.Now()}
		f := inspect.AIFlag{Code: "two_wheeler_indoor", Status: "flag", Score: 0.9, Reason: "motorcycle in a corridor photo", Boxes: []inspect.FlagBox{}}
		a.Annotated = jpegPhoto(t)
		if err := w.svc.Photos.SaveAnalysis(w.ctx, a, rec.Photo.SiteID, rec.RuleCode, []inspect.AIFlag{f}); err != nil {
			t.Fatal(err)
		}
		// A retried job stores nothing twice.
		a.Annotated = jpegPhoto(t)
		if err := w.svc.Photos.SaveAnalysis(w.ctx, a, rec.Photo.SiteID, rec.RuleCode, []inspect.AIFlag{f}); err != nil {
			t.Fatal(err)
		}
		flags, err := w.svc.Flags.PhotoFlags(w.ctx, s.inspectorP, id)
		if err != nil || len(flags) != 1 {
			t.Fatalf("photo %s has flags %v (err %v), want exactly one", id, flags, err)
		}
		return flags[0]
	}
	first, second, third := flagFor(), flagFor(), flagFor()

	var queue api.List[inspect.AIFlag]
	if st := w.call(officer, "GET", "/api/v1/flags", nil, &queue); st != 200 || len(queue.Items) != 3 {
		t.Fatalf("review queue: status %d, %d flags, want 200 and 3", st, len(queue.Items))
	}

	var confirmed inspect.AIFlag
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/flags/%d/confirm", first.ID), map[string]string{}, &confirmed); st != 200 {
		t.Fatalf("confirm: status %d", st)
	}
	if confirmed.Review != inspect.ReviewConfirmed || confirmed.HazardID == 0 || confirmed.ReviewedBy != s.officer.ID {
		t.Fatalf("confirmed flag = %+v, want confirmed with a hazard and the reviewer", confirmed)
	}
	h, err := w.svc.Hazards.Hazard(w.ctx, s.officerP, confirmed.HazardID)
	if err != nil {
		t.Fatal(err)
	}
	if h.SiteID != s.site.ID || h.RuleCode != item.Code || !inspect.IsOpen(h.State) {
		t.Errorf("hazard from the flag: site %d rule %s state %s; want site %d rule %s, open", h.SiteID, h.RuleCode, h.State, s.site.ID, item.Code)
	}
	if !slices.Contains(h.PhotoIDs, first.PhotoID.String()) {
		t.Errorf("hazard photos %v lack the photo of the confirmed flag %s", h.PhotoIDs, first.PhotoID)
	}
	// The site's merchant sees the evidence of the hazard on their premises.
	merchant := w.login(s.merchant)
	if r := w.do(merchant, "GET", "/api/v1/photos/"+first.PhotoID.String()+"/content?variant=thumb", nil); r.Status != 200 {
		t.Errorf("merchant reading the photo behind their hazard: %d %s, want 200", r.Status, r.Body)
	}

	var joined inspect.AIFlag
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/flags/%d/confirm", second.ID), nil, &joined); st != 200 {
		t.Fatalf("confirm second: status %d", st)
	}
	if joined.HazardID != confirmed.HazardID {
		t.Errorf("second confirmed flag of the same site and rule made hazard %d, want it to join %d", joined.HazardID, confirmed.HazardID)
	}
	if h2, _ := w.svc.Hazards.Hazard(w.ctx, s.officerP, confirmed.HazardID); h2.Observations != h.Observations+1 {
		t.Errorf("observations after joining = %d, want %d", h2.Observations, h.Observations+1)
	}

	if r := w.do(officer, "POST", fmt.Sprintf("/api/v1/flags/%d/reject", third.ID), map[string]string{"reason": " "}); r.Status != 400 || !strings.Contains(string(r.Body), "reason") {
		t.Errorf("reject without a reason: %d %s, want 400 naming the reason", r.Status, r.Body)
	}
	var rejected inspect.AIFlag
	if st := w.call(officer, "POST", fmt.Sprintf("/api/v1/flags/%d/reject", third.ID), map[string]string{"reason": "a parked wheelchair"}, &rejected); st != 200 {
		t.Fatalf("reject: status %d", st)
	}
	if rejected.Review != inspect.ReviewRejected || rejected.RejectReason != "a parked wheelchair" || rejected.HazardID != 0 {
		t.Errorf("rejected flag = %+v", rejected)
	}
	if r := w.do(officer, "POST", fmt.Sprintf("/api/v1/flags/%d/confirm", third.ID), nil); r.Status != 409 {
		t.Errorf("confirming a rejected flag: %d %s, want 409", r.Status, r.Body)
	}

	var stats []inspect.FlagStats
	if st := w.call(officer, "GET", "/api/v1/flags/stats", nil, &stats); st != 200 || len(stats) != 1 {
		t.Fatalf("stats: status %d, %+v", st, stats)
	}
	if got := stats[0]; got.Code != "two_wheeler_indoor" || got.Confirmed != 2 || got.Rejected != 1 || got.Pending != 0 || got.Precision.Num != 2 || got.Precision.Den != 3 {
		t.Errorf("stats = %+v, want 2 confirmed, 1 rejected, precision 2/3", got)
	}

	examples, err := w.svc.Flags.LabelledExamples(w.ctx)
	if err != nil || len(examples) != 3 {
		t.Fatalf("labelled examples: %d (err %v), want 3", len(examples), err)
	}
}

// The review queue is the same flags, oldest first, whichever way an area's
// queue is read: a community officer's (a few grids, merged per grid), a
// subdistrict officer's with more grids than storage merges one by one (read in
// id order), an admin's. Reviewed flags leave it; a site moved to another grid
// takes its flags to that grid's reviewers.
func TestReviewQueueOfEveryArea(t *testing.T) {
	t.Parallel()
	w := setup(t)
	var own, other []int64
	for range 3 {
		_, f := w.analysedPhoto(w.own)
		own = append(own, f.ID)
	}
	for range 2 {
		_, f := w.analysedPhoto(w.other)
		other = append(other, f.ID)
	}
	_, reviewed := w.analysedPhoto(w.own)
	if _, err := w.svc.Flags.ReviewFlag(w.ctx, w.own.officerP, reviewed.ID, false, "a shadow, not a motorcycle"); err != nil {
		t.Fatal(err)
	}
	// A third community with 40 grids: the subdistrict officer's area has 45 units.
	more := w.unit(w.sub.ID, inspect.LevelCommunity, "Community 3")
	for i := range 40 {
		w.unit(more.ID, inspect.LevelGrid, fmt.Sprint("Grid 3.", i))
	}
	subOfficer := w.login(w.factory.Officer("suboffice", w.sub))
	all := append(slices.Clone(own), other...)
	slices.Sort(all)

	queue := func(token string) []int64 {
		t.Helper()
		return w.readPages(token, "/api/v1/flags", 2, func() {})
	}
	for _, c := range []struct {
		name  string
		token string
		want  []int64
	}{
		{"community officer", w.login(w.own.officer), own},
		{"other community's officer", w.login(w.other.officer), other},
		{"subdistrict officer (45 units)", subOfficer, all},
		{"admin", w.login(w.admin), all},
	} {
		if got := queue(c.token); !slices.Equal(got, c.want) {
			t.Errorf("%s reads the queue %v, want %v", c.name, got, c.want)
		}
	}

	site := w.own.site
	site.GridID = w.other.grid.ID
	if _, err := w.svc.Sites.UpdateSite(w.ctx, w.adminP, site); err != nil {
		t.Fatal(err)
	}
	if got := queue(w.login(w.own.officer)); len(got) != 0 {
		t.Errorf("after the site moved away, its old community's officer reads %v, want none", got)
	}
	if got := queue(w.login(w.other.officer)); !slices.Equal(got, all) {
		t.Errorf("after the site moved in, the other officer reads %v, want %v", got, all)
	}
}
