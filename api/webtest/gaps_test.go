package webtest

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// The gaps of issue 17 closed last: what a merchant must do first, the finding of a
// major hazard as the panel decided it, actions that ask twice, and the office's
// list at work.

// majorHazard puts the possibly major hazard found on code to a panel of the
// fixture's officer and two more, who all vote major; the officer concludes with
// measures and a deadline. The hazard is then major, escalated to the district and
// under listed supervision.
func (f *fixture) majorHazard(t *testing.T, code, note, measures string, deadline time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	item := try(f.store.Inspections.AnswerItem(ctx, f.principal(t, f.inspector), f.insp.ID, inspect.Item{
		Code: code, Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Severity: inspect.SeverityPossiblyMajor, Note: note,
	})).must(t)
	panel := append([]inspect.User{f.officer}, f.officers(t, 2)...)
	ids := make([]int64, len(panel))
	for i, u := range panel {
		ids[i] = u.ID
	}
	try(f.store.Determinations.OpenDetermination(ctx, f.principal(t, f.officer), item.HazardID, ids, "")).must(t)
	for _, u := range panel {
		try(f.store.Determinations.CastVote(ctx, f.principal(t, u), item.HazardID, inspect.VoteMajor, "无自然排烟")).must(t)
	}
	try(f.store.Determinations.ConcludeDetermination(ctx, f.principal(t, f.officer), item.HazardID, measures, deadline)).must(t)
	return item.HazardID
}

// TestMerchantSeesMajorFinding: the merchant has a major hazard to fix and a
// general one the office has not sent yet. The home screen leads with what needs
// doing (the major hazard), titled by what the inspector found; the hazard's page
// shows the panel's measures and who supervises it until when.
func TestMerchantSeesMajorFinding(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 2)
	measures := "立即清出地下室全部液化气钢瓶，改用管道天然气"
	deadline := time.Now().AddDate(0, 0, 10)
	major := f.majorHazard(t, codes[0], "地下室存放液化气钢瓶", measures, deadline)
	general := f.hazardAt(t, codes[1], inspect.OutcomeHazard, "灭火器压力不足").HazardID
	var got struct {
		Home struct {
			FirstList string   `json:"firstList"`
			Todo      []int64  `json:"todo"`
			Waiting   []int64  `json:"waiting"`
			Titles    []string `json:"titles"`
		} `json:"home"`
		Hazard struct {
			Title       string `json:"title"`
			Requirement string `json:"requirement"`
			Measures    string `json:"measures"`
			Supervisor  string `json:"supervisor"`
			Deadline    string `json:"deadline"`
		} `json:"hazard"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "merchantMajor", map[string]any{"majorId": major}, &got)
	if got.Home.FirstList != "merchant-todo-list" || !slices.Equal(got.Home.Todo, []int64{major}) || !slices.Equal(got.Home.Waiting, []int64{general}) {
		t.Errorf("home screen: first list %q, to do %v, waiting for the office %v; want the to-do list first with hazard %d, then %d waiting",
			got.Home.FirstList, got.Home.Todo, got.Home.Waiting, major, general)
	}
	if len(got.Home.Titles) != 2 || !strings.Contains(got.Home.Titles[0], "地下室存放液化气钢瓶") || !strings.Contains(got.Home.Titles[1], "灭火器压力不足") {
		t.Errorf("home screen titles %q; want each worded as the problem the inspector found", got.Home.Titles)
	}
	if !strings.Contains(got.Hazard.Title, "地下室存放液化气钢瓶") || got.Hazard.Requirement == "" {
		t.Errorf("hazard page: title %q, requirement %q; want the problem found as the title and the requirement below", got.Hazard.Title, got.Hazard.Requirement)
	}
	if got.Hazard.Measures != measures {
		t.Errorf("hazard page shows measures %q, want the panel's %q", got.Hazard.Measures, measures)
	}
	if got.Hazard.Supervisor != f.district.Name || !strings.Contains(got.Hazard.Deadline, deadline.Format("2006")) {
		t.Errorf("hazard page: supervised by %q until %q; want %s until %s", got.Hazard.Supervisor, got.Hazard.Deadline, f.district.Name, deadline.Format(time.DateOnly))
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}

// TestSecondLookBeforeActing: "the rest is not applicable" changes nothing until
// confirmed, and is undone (every item it marked unanswered again, on the server
// too) until the inspection is submitted; the merchant's star is chosen first and
// only the confirmation rates.
func TestSecondLookBeforeActing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	codes := f.startInspection(t, 1)
	closed := f.hazardAt(t, codes[0], inspect.OutcomeHazard, "门口停放电动车").HazardID
	try(f.store.Hazards.HazardAction(ctx, f.principal(t, f.officer), closed, inspect.ActionNotify, inspect.HazardActionInput{Note: "请整改"})).must(t)
	try(f.store.Hazards.HazardAction(ctx, f.principal(t, f.inspector), closed, inspect.ActionReinspectFixed, inspect.HazardActionInput{Note: "已整改"})).must(t)
	var got struct {
		Items          int      `json:"items"`
		NAAsked        int      `json:"naAsked"`
		NAConfirmed    int      `json:"naConfirmed"`
		NAUndone       int      `json:"naUndone"`
		PostsAfterStar int      `json:"postsAfterStar"`
		RatingPosts    int      `json:"ratingPosts"`
		ConfirmLabel   string   `json:"confirmLabel"`
		PageErrors     []string `json:"pageErrors"`
	}
	runDriver(t, f, "secondLook", map[string]any{"inspectionId": f.insp.ID, "closedId": closed}, &got)
	rest := got.Items - 1 // the first item failed with a hazard
	if got.NAAsked != 0 || got.NAConfirmed != rest || got.NAUndone != 0 {
		t.Errorf("items not applicable: %d while asking, %d confirmed, %d after the undo; want 0, %d, 0", got.NAAsked, got.NAConfirmed, got.NAUndone, rest)
	}
	var na, unanswered int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE answer = 'na'), count(*) FILTER (WHERE answer = 'unanswered' AND answered_at IS NULL)
		FROM inspection_items WHERE inspection_id = $1`, f.insp.ID).Scan(&na, &unanswered); err != nil {
		t.Fatal(err)
	}
	if na != 0 || unanswered != rest {
		t.Errorf("after the undo the server holds %d items not applicable and %d unanswered; want 0 and %d", na, unanswered, rest)
	}
	if got.PostsAfterStar != 0 || got.RatingPosts != 1 || !strings.Contains(got.ConfirmLabel, "4") {
		t.Errorf("rating: %d sent on the star's tap, %d in all, confirm button %q; want none until the confirmation of 4 stars, then 1", got.PostsAfterStar, got.RatingPosts, got.ConfirmLabel)
	}
	if h := f.hazard(t, closed); h.Rating != 4 {
		t.Errorf("hazard rated %d, want 4", h.Rating)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}

// TestOfficeListAtWork: on a desktop the office searches the hazard list by site
// (the server searches, and the export takes the search) and by number, sorts a
// column both ways, saves the filter and opens it again after leaving; the review
// queue shows the two flags of one photo together.
func TestOfficeListAtWork(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	codes := f.startInspection(t, 2)
	first := f.hazardAt(t, codes[0], inspect.OutcomeHazard, "门口停放电动车").HazardID
	second := f.hazardAt(t, codes[1], inspect.OutcomeHazard, "").HazardID
	noodles := f.factory.Site(inspect.Site{Name: "老成都面馆", Type: "restaurant", Address: "玉林西路 5 号", Lat: 30.632, Lng: 104.051, GridID: f.grid.ID,
		Profile: json.RawMessage(`{"site_type":"restaurant","floors":1,"floor_area_m2":80,"occupants":20}`)})
	var noodle int64
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO hazards (site_id, grid_id, rule_code, state, severity, level, unit_id, deadline, rule)
		VALUES ($1, $2, 'GAS-02', 'notified', 'general', 'grid', $2, now() + interval '7 days', '{"code":"GAS-02","title":{"zh":"燃气管道无泄漏","en":"Gas pipes do not leak"}}')
		RETURNING id`, noodles.ID, f.grid.ID).Scan(&noodle); err != nil {
		t.Fatal(err)
	}
	photo := f.uploadPhoto(t, f.inspector, testImages(t, 1, "corridor")[0], "inspection_id="+strconv.FormatInt(f.insp.ID, 10)+"&item_code="+codes[0])
	f.insertFlag(t, photo.String(), codes[0], "two_wheeler_indoor", 0.91)
	f.insertFlag(t, photo.String(), codes[0], "combustibles_stacked", 0.74)
	var got struct {
		All      []int64            `json:"all"`
		BySite   []int64            `json:"bySite"`
		Exported []int64            `json:"exported"`
		ByNumber []int64            `json:"byNumber"`
		Sorted   map[string][]int64 `json:"sorted"`
		Saved    []struct {
			Name string `json:"name"`
			Href string `json:"href"`
		} `json:"saved"`
		Reopened []int64 `json:"reopened"`
		Groups   []struct {
			Photo string `json:"photo"`
			Flags int    `json:"flags"`
		} `json:"groups"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "officeAtWork", map[string]any{"siteQuery": "面馆", "numberId": second}, &got)
	if len(got.All) != 3 {
		t.Fatalf("the list shows hazards %v, want %d, %d and %d", got.All, first, second, noodle)
	}
	if !slices.Equal(got.BySite, []int64{noodle}) || !slices.Equal(got.Exported, []int64{noodle}) {
		t.Errorf("searching 面馆: the list shows %v and the CSV export holds %v; want only %d in both", got.BySite, got.Exported, noodle)
	}
	if !slices.Equal(got.ByNumber, []int64{second}) {
		t.Errorf("searching #%d shows %v", second, got.ByNumber)
	}
	asc, desc := got.Sorted["ascending"], got.Sorted["descending"]
	if len(asc) != 3 || len(desc) != 3 || asc[0] != noodle || desc[2] != noodle {
		t.Errorf("sorted by site: %v ascending, %v descending; want 老成都面馆's hazard %d first, then last", asc, desc, noodle)
	}
	if len(got.Saved) != 1 || got.Saved[0].Name != "按场所倒序" || !strings.Contains(got.Saved[0].Href, "sort=-site") || !slices.Equal(got.Reopened, desc) {
		t.Errorf("saved filters %+v, reopened %v; want the one saved, sorted by site descending as %v", got.Saved, got.Reopened, desc)
	}
	if len(got.Groups) != 1 || got.Groups[0].Photo != photo.String() || got.Groups[0].Flags != 2 {
		t.Errorf("review queue groups %+v; want photo %s's 2 flags together", got.Groups, photo)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}

// TestEvidenceByKeyboard: a photo not yet sent is deleted and taken again, and
// only the retake reaches the server; photos open in the app's viewer with Enter
// and close with Escape, the focus back where it was — on the checklist and on the
// hazard page, where the inspector and the office see the three labelled groups.
func TestEvidenceByKeyboard(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 2)
	hazard := f.hazardAt(t, codes[0], inspect.OutcomeHazard, "门口停放电动车").HazardID
	images := testImages(t, 3, "bicycle_in_doorway", "corridor")
	f.uploadPhoto(t, f.inspector, images[0], "inspection_id="+strconv.FormatInt(f.insp.ID, 10)+"&item_code="+codes[0])
	type zoom struct {
		Opened    bool `json:"opened"`
		FocusBack bool `json:"focusBack"`
	}
	type page struct {
		Groups []struct {
			ID     string `json:"id"`
			Label  string `json:"label"`
			Photos int    `json:"photos"`
		} `json:"groups"`
		zoom
	}
	var got struct {
		AfterDelete int      `json:"afterDelete"`
		Tile        zoom     `json:"tile"`
		Inspector   page     `json:"inspector"`
		Office      page     `json:"office"`
		PageErrors  []string `json:"pageErrors"`
	}
	runDriver(t, f, "evidenceZoom", map[string]any{"inspectionId": f.insp.ID, "item": codes[1], "hazardId": hazard, "images": images[1:]}, &got)
	var stored []string
	for _, p := range f.inspectionPhotos(t) {
		if p.ItemCode == codes[1] {
			stored = append(stored, p.SHA256)
		}
	}
	if got.AfterDelete != 0 || len(stored) != 1 || stored[0] != fileSHA256(t, images[2]) {
		t.Errorf("after deleting the unsent photo the item shows %d; the server holds %d photos for it; want none shown, then only the retake stored", got.AfterDelete, len(stored))
	}
	if !got.Tile.Opened || !got.Tile.FocusBack {
		t.Errorf("the checklist photo by keyboard: viewer opened %v, focus back on the photo %v; want both", got.Tile.Opened, got.Tile.FocusBack)
	}
	want := []string{"evidence-inspection", "evidence-proof", "evidence-reinspection"}
	for role, p := range map[string]page{"inspector": got.Inspector, "office": got.Office} {
		var ids []string
		for _, g := range p.Groups {
			ids = append(ids, g.ID)
			if g.Label == "" {
				t.Errorf("%s: evidence group %s has no label", role, g.ID)
			}
		}
		if !slices.Equal(ids, want) || p.Groups[0].Photos != 1 {
			t.Errorf("%s: evidence groups %+v; want %v with the inspection's photo", role, p.Groups, want)
		}
		if !p.Opened || !p.FocusBack {
			t.Errorf("%s: the hazard's photo by keyboard: viewer opened %v, focus back %v; want both", role, p.Opened, p.FocusBack)
		}
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
