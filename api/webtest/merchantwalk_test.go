package webtest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// merchantWorld is a shop owner's week: hazards of the guesthouse in every state
// a merchant meets.
type merchantWorld struct {
	Notified, Overdue, Returned, Rate, Major, Waiting int64
	// ReturnNote is the re-inspection's reason the proof was not enough.
	ReturnNote string
}

// merchantWeek seeds the guesthouse with a notified hazard (with the inspector's
// photo and the office's instruction), an overdue one, one whose proof the
// re-inspection sent back with its reason, one closed and waiting for the
// merchant's rating, a major one under listed supervision and one the office has
// not reviewed yet.
func (f *fixture) merchantWeek(t *testing.T) merchantWorld {
	t.Helper()
	ctx := context.Background()
	photoCodes := f.startInspection(t, 1)
	var codes []string
	for _, it := range f.checklist.Items {
		if it.Code != photoCodes[0] {
			codes = append(codes, it.Code)
		}
	}
	if len(codes) < 5 {
		t.Fatalf("the guesthouse checklist has %d items, want 6", len(codes)+1)
	}
	images := testImages(t, 2, "bicycle_in_doorway", "extinguisher")
	act := func(who inspect.User, id int64, a inspect.Action, in inspect.HazardActionInput) {
		t.Helper()
		try(f.store.Hazards.HazardAction(ctx, f.principal(t, who), id, a, in)).must(t)
	}
	w := merchantWorld{ReturnNote: "照片看不清灭火器压力表，请对着压力表再拍一张"}
	w.Notified = f.hazardAt(t, photoCodes[0], inspect.OutcomeHazard, "门口停放电动车").HazardID
	f.uploadPhoto(t, f.inspector, images[0], "inspection_id="+strconv.FormatInt(f.insp.ID, 10)+"&item_code="+photoCodes[0])
	act(f.officer, w.Notified, inspect.ActionNotify, inspect.HazardActionInput{Note: "请三日内把电动车移走"})

	w.Overdue = f.hazardAt(t, codes[0], inspect.OutcomeHazard, "疏散通道堆放纸箱").HazardID
	act(f.officer, w.Overdue, inspect.ActionNotify, inspect.HazardActionInput{Note: "请清空通道"})
	past := time.Now().Add(-50 * time.Hour).UTC().Truncate(time.Microsecond)
	if _, err := f.db.Pool.Exec(ctx, `UPDATE hazards SET deadline = $2 WHERE id = $1`, w.Overdue, past); err != nil {
		t.Fatal(err)
	}
	try(f.store.Hazards.PassDeadline(ctx, w.Overdue, past)).must(t)

	w.Returned = f.hazardAt(t, codes[1], inspect.OutcomeHazard, "灭火器压力不足").HazardID
	act(f.officer, w.Returned, inspect.ActionNotify, inspect.HazardActionInput{Note: "请更换或充装灭火器"})
	proof := f.uploadPhoto(t, f.merchant, images[1], "hazard_id="+strconv.FormatInt(w.Returned, 10))
	act(f.merchant, w.Returned, inspect.ActionSubmitProof, inspect.HazardActionInput{PhotoIDs: []string{proof.String()}})
	act(f.inspector, w.Returned, inspect.ActionReinspectPresent, inspect.HazardActionInput{Note: w.ReturnNote})

	w.Rate = f.hazardAt(t, codes[2], inspect.OutcomeHazard, "安全出口指示灯不亮").HazardID
	act(f.officer, w.Rate, inspect.ActionNotify, inspect.HazardActionInput{Note: "请修好指示灯"})
	act(f.inspector, w.Rate, inspect.ActionReinspectFixed, inspect.HazardActionInput{Note: "已修好"})

	w.Major = f.majorHazard(t, codes[3], "地下室存放液化气钢瓶", "立即清出地下室全部液化气钢瓶，改用管道天然气", time.Now().AddDate(0, 0, 10))
	w.Waiting = f.hazardAt(t, codes[4], inspect.OutcomeHazard, "厨房油烟管道油污较多").HazardID
	// The office's own back and forth with the inspector over the finding.
	act(f.officer, w.Waiting, inspect.ActionReturnForCorrection, inspect.HazardActionInput{Note: officeNote})
	act(f.inspector, w.Waiting, inspect.ActionResubmit, inspect.HazardActionInput{Note: "已补拍油烟管道"})
	return w
}

// officeNote is the office's note returning a finding to its inspector: its
// internal deliberation, which the merchant never reads.
const officeNote = "证据不足，请网格员再核实是否属实，暂不通知商户"

// walkFiles are the files a shop owner's phone may hand the proof button: a
// photo, an iPhone's HEIC photo, and a photo too large for the server.
func walkFiles(t *testing.T) (photo, heic, huge string) {
	t.Helper()
	dir := t.TempDir()
	photo = testImages(t, 1, "bicycle_parking")[0]
	heic = filepath.Join(dir, "IMG_0001.heic")
	if err := os.WriteFile(heic, []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge = filepath.Join(dir, "huge.jpg")
	b := append(drawnJPEG(3), make([]byte, 21<<20)...)
	if err := os.WriteFile(huge, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return photo, heic, huge
}

// walkHazard is one hazard as the home screen showed it: the list it is in and
// its state chip's words.
type walkHazard struct {
	List  string `json:"list"`
	State string `json:"state"`
}

// walkPage is what a hazard's page said: its state chip, and why the proof was
// sent back.
type walkPage struct {
	State    string `json:"state"`
	SentBack string `json:"sentBack"`
}

// TestMerchantWalk walks the shop owner's screens with a week's hazards, in
// Chinese and English, photographs each state, and checks what would make an
// owner who has never used the app stumble: internal state names, a returned
// proof without its reason, a photo the button silently drops or offers to retry
// for ever, a typed note lost, and a proof sent that still reads as a to-do.
func TestMerchantWalk(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.merchantWeek(t)
	photo, heic, huge := walkFiles(t)
	const note = "电动车已移到楼下集中停放点"
	var got struct {
		Home, HomeAfter, HomeEn map[string]walkHazard
		Pages, PagesEn          map[string]walkPage
		AfterHeic               string `json:"afterHeic"`
		AfterHuge               string `json:"afterHuge"`
		HugeRetry               int    `json:"hugeRetry"`
		Offline                 string `json:"offline"`
		NoteAfterLeaving        string `json:"noteAfterLeaving"`
		DraftKept               int    `json:"draftKept"`
		DraftsAfterLogout       int    `json:"draftsAfterLogout"`
		Submitted               struct {
			Text       string `json:"text"`
			BeforeForm bool   `json:"beforeForm"`
		} `json:"submitted"`
		StarsTop   int      `json:"starsTop"`
		Bell       string   `json:"bell"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "merchantWalk", map[string]any{"world": w, "photo": photo, "heic": heic, "huge": huge, "note": note}, &got)
	id := func(n int64) string { return strconv.FormatInt(n, 10) }

	// The state is said in the owner's words: what it means for them, never the
	// workflow's name for it ("escalated", "re-inspection due", "open").
	internal := map[string]bool{"已升级": true, "待复查": true, "待审核": true, "Escalated": true, "Re-inspection due": true, "Open": true}
	for lang, home := range map[string]map[string]walkHazard{"zh-CN": got.Home, "en": got.HomeEn} {
		for hid, h := range home {
			if internal[h.State] {
				t.Errorf("home screen (%s): hazard %s shows the internal state name %q; want what it means for the owner", lang, hid, h.State)
			}
		}
	}
	for lang, pages := range map[string]map[string]walkPage{"zh-CN": got.Pages, "en": got.PagesEn} {
		for k, p := range pages {
			if internal[p.State] {
				t.Errorf("%s hazard's page (%s) shows the internal state name %q; want what it means for the owner", k, lang, p.State)
			}
		}
	}
	// A proof the re-inspection found wanting says why, where the owner looks.
	if !strings.Contains(got.Pages["Returned"].SentBack, w.ReturnNote) || !strings.Contains(got.PagesEn["Returned"].SentBack, w.ReturnNote) {
		t.Errorf("the page of the hazard whose proof was sent back says %q (en %q): it does not say why the proof was sent back (%q)",
			got.Pages["Returned"].SentBack, got.PagesEn["Returned"].SentBack, w.ReturnNote)
	}
	if got.Pages["Notified"].SentBack != "" {
		t.Errorf("a hazard never sent back shows a returned-proof notice %q", got.Pages["Notified"].SentBack)
	}
	// The owner waiting for the re-inspection is told when it finds the hazard
	// not fixed, and why, in the bell.
	if !strings.Contains(got.Bell, "复查未通过") || !strings.Contains(got.Bell, w.ReturnNote) {
		t.Errorf("the bell reads %q: the merchant was not told that the re-inspection found hazard %d not fixed, or why (%q)", got.Bell, w.Returned, w.ReturnNote)
	}
	// The notice names the problem as found, not the rule's code (EXIT-005).
	if code := regexp.MustCompile(`[A-Z]{2,}-\d{3}`).FindString(got.Bell); code != "" || !strings.Contains(got.Bell, "门口停放电动车") {
		t.Errorf("the bell reads %q: the merchant's notice shows the rule code %q, or not the problem found (门口停放电动车)", got.Bell, code)
	}
	// The rating the home screen asks for is on the phone's first screen.
	if got.StarsTop <= 0 || got.StarsTop > 844 {
		t.Errorf("the rating's stars end %d px down the closed hazard's page, below the phone's 844 px screen: the owner asked to rate must hunt for them", got.StarsTop)
	}
	// A photo the proof button cannot take is named, with what to do instead.
	if !strings.Contains(got.AfterHeic, "IMG_0001.heic") {
		t.Errorf("after choosing an iPhone HEIC photo the proof box says %q: it said nothing about the HEIC photo it dropped", got.AfterHeic)
	}
	// A photo refused as too large: no retry that cannot help, no "ready to submit".
	if got.HugeRetry != 0 || strings.Contains(got.AfterHuge, "可以提交") || !strings.Contains(got.AfterHuge, "重新拍") {
		t.Errorf("a photo refused as too large: %d retry buttons, the proof box says %q; want no retry, not ready to submit, and to take it again", got.HugeRetry, got.AfterHuge)
	}
	if !strings.Contains(got.Offline, "联网后自动上传") {
		t.Errorf("a photo taken offline: the proof box says %q, want that it uploads once online", got.Offline)
	}
	// The draft stays on the phone only while its owner is logged in.
	if got.DraftKept != 1 || got.DraftsAfterLogout != 0 {
		t.Errorf("proof-note drafts on the phone: %d while typing, %d after logout; want 1, then none", got.DraftKept, got.DraftsAfterLogout)
	}
	// A note typed and the page left (the camera app, a call) is still there.
	if got.NoteAfterLeaving != note {
		t.Errorf("the proof note after leaving the page and coming back is %q, want %q: the owner's note was lost", got.NoteAfterLeaving, note)
	}
	// Proof sent: the page leads with "sent, wait for the re-inspection"; the home
	// screen no longer lists it as something to do.
	if !got.Submitted.BeforeForm || !strings.Contains(got.Submitted.Text, "复查") {
		t.Errorf("after sending the proof the page says %q, before the upload form: %v; want that it waits for the re-inspection, first", got.Submitted.Text, got.Submitted.BeforeForm)
	}
	if h := got.HomeAfter[id(w.Notified)]; h.List == "merchant-todo-list" {
		t.Errorf("after sending the proof the home screen still asks to fix hazard %d (%+v); want it among those waiting", w.Notified, h)
	}
	// Nothing of the office's deliberation reaches the merchant, not even in the
	// API's answer the page reads.
	for _, hid := range []int64{w.Waiting, w.Major} {
		status, body := f.call(t, f.merchant, "GET", "/api/v1/hazards/"+id(hid), nil, "")
		if status != 200 || strings.Contains(string(body), officeNote) || strings.Contains(string(body), "return_for_correction") {
			t.Errorf("the merchant's GET /hazards/%d: %d, and it hands the merchant the office's internal deliberation (%q): %s", hid, status, officeNote, body)
		}
	}
	// Nobody else's premises.
	for _, h := range []map[string]walkHazard{got.Home, got.HomeEn} {
		if len(h) != 6 {
			t.Errorf("the home screen lists %d hazards, want the guesthouse's 6: %v", len(h), h)
		}
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
