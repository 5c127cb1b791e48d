package webtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/safegrid/safegrid/inspect"
)

// hugePNG writes a small PNG file whose header declares 30000×30000 pixels: the
// server refuses it as too large (413), as it would a panorama from a phone.
func hugePNG(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(kind)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 30000)
	binary.BigEndian.PutUint32(ihdr[4:], 30000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	p := filepath.Join(t.TempDir(), "panorama.png")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// longestTitled returns the code of the checklist item with the longest Chinese
// title among those not in skip.
func (f *fixture) longestTitled(skip ...string) string {
	best, n := "", 0
outer:
	for _, it := range f.checklist.Items {
		for _, s := range skip {
			if s == it.Code {
				continue outer
			}
		}
		if l := utf8.RuneCountInString(it.Title.ZH); l > n {
			best, n = it.Code, l
		}
	}
	return best
}

// walkFixture is the inspector's morning: the checklist started, one hazard
// recorded earlier with a photo and notified by the office.
type walkFixture struct {
	codes  []string
	long   string
	hazard int64
	images []string
}

func (f *fixture) walkWorld(t *testing.T) walkFixture {
	t.Helper()
	codes := f.startInspection(t, 6)
	images := testImages(t, 5, "bicycle", "corridor", "boxes", "motorcycle", "cluttered")
	item := f.hazardAt(t, codes[5], inspect.OutcomeHazard, "楼道内堆放纸箱，堵住一半通道")
	f.uploadPhoto(t, f.inspector, images[4], "inspection_id="+strconv.FormatInt(f.insp.ID, 10)+"&item_code="+codes[5])
	if _, err := f.store.Hazards.HazardAction(context.Background(), f.principal(t, f.officer), item.HazardID, inspect.ActionNotify, inspect.HazardActionInput{Note: "请三日内清理"}); err != nil {
		t.Fatal(err)
	}
	return walkFixture{codes: codes[:5], long: f.longestTitled(codes...), hazard: item.HazardID, images: images[:4]}
}

// walk runs the inspector's walk (driver scenario inspectorWalk), only the steps
// named (all when none), and decodes each step's data into the value given for it.
func (f *fixture) walk(t *testing.T, w walkFixture, into map[string]any) {
	t.Helper()
	steps := make([]string, 0, len(into))
	for name := range into {
		steps = append(steps, name)
	}
	var got struct {
		Steps      map[string]json.RawMessage `json:"steps"`
		PageErrors []string                   `json:"pageErrors"`
	}
	runDriver(t, f, "inspectorWalk", map[string]any{
		"inspectionId": f.insp.ID, "items": w.codes, "long": w.long, "hazardId": w.hazard,
		"images": w.images, "huge": hugePNG(t), "steps": steps,
	}, &got)
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
	for name, v := range into {
		raw, ok := got.Steps[name]
		if !ok {
			t.Fatalf("the walk did not reach step %s", name)
		}
		var failed string
		if json.Unmarshal(raw, &failed) == nil && strings.HasPrefix(failed, "FAILED") {
			t.Fatalf("walk step %s %s", name, failed)
		}
		if v != nil {
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatalf("walk step %s: %v (%s)", name, err, raw)
			}
		}
	}
}

// walkSteps are every step of the walk, in the order the driver takes them.
var walkSteps = []string{"today", "top", "answers", "noteDuringUpload", "longTitle", "tooLarge", "proxy413", "unsupported",
	"answerRejected", "offline", "submitBar", "manualDialog", "quickFlag", "submit", "hazard", "english"}

// TestInspectorWalk walks the inspector's screens as a grid inspector would on a
// phone, in Chinese and in English: today's list, the checklist with items
// failed, photos (one refused as too large, one by a proxy), an item with a long
// title, an answer refused, an offline moment, the manual-flag dialog, the
// submit bar, the hazard page with its re-inspection and paperwork links. Every
// state is photographed and checked (axe, words, off-screen); every step must work.
func TestInspectorWalk(t *testing.T) {
	t.Parallel()
	f := setup(t)
	into := map[string]any{}
	for _, s := range walkSteps {
		into[s] = nil
	}
	f.walk(t, f.walkWorld(t), into)
	if st := f.inspectionStatus(t); st != inspect.InspectionSubmitted {
		t.Errorf("after the walk the inspection is %s, want submitted", st)
	}
}

// TestDiscardedAnswerRedraws: the server refused an answer; the inspector taps
// 撤销 (discard). The item kept showing the refusal and the refused answer until
// the page was reloaded. It shows the item as the server has it (unanswered).
func TestDiscardedAnswerRedraws(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var got struct {
		Before string `json:"before"`
		After  struct {
			Answer string `json:"answer"`
			Status string `json:"status"`
		} `json:"after"`
	}
	f.walk(t, f.walkWorld(t), map[string]any{"answerRejected": &got})
	if got.Before == "" {
		t.Fatal("the refused answer was never shown")
	}
	if got.After.Answer != "" || got.After.Status != "" {
		t.Errorf("after discarding the refused answer the item still shows answer %q and %q; want it unanswered, the refusal gone", got.After.Answer, got.After.Status)
	}
}

// TestNoteKeepsFocusDuringUpload: the inspector types the note of a failed item
// while its photo uploads. The upload redrew the item and threw the keyboard out
// of the note: the next words typed went nowhere. They land in the note.
func TestNoteKeepsFocusDuringUpload(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.walkWorld(t)
	var got struct {
		Focus string `json:"focus"`
		Note  string `json:"note"`
	}
	f.walk(t, w, map[string]any{"noteDuringUpload": &got})
	if want := "消防通道被货车占用"; got.Note != want || !strings.HasPrefix(got.Focus, "textarea#note-"+w.codes[3]) {
		t.Errorf("typing on after the photo uploaded: the note reads %q with the focus on %q; want %q, the note still focused", got.Note, got.Focus, want)
	}
}

// TestPhotoTooLargeSaysRetake: a photo the server (413 too_large) or a proxy in
// front of it (413 with an HTML page) refuses for its size. The tile read "没有成功。
// 请检查填写的内容后重试" or "文件太大。" and offered 重试, which sends the same bytes to
// the same refusal. It says to retake the photo smaller and offers no retry.
func TestPhotoTooLargeSaysRetake(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var server struct {
		Tile    string   `json:"tile"`
		Buttons []string `json:"buttons"`
	}
	var proxy string
	f.walk(t, f.walkWorld(t), map[string]any{"tooLarge": &server, "proxy413": &proxy})
	for _, c := range []struct{ who, tile string }{{"the server", server.Tile}, {"a proxy", proxy}} {
		if !strings.Contains(c.tile, "重拍") || strings.Contains(c.tile, "重试") {
			t.Errorf("a photo refused as too large by %s reads %q; want it to say to retake it (重拍), with no retry", c.who, c.tile)
		}
	}
}

// TestRefusedPhotoDoesNotWaitForUpload: every item answered, only a refused
// photo left on the phone. The summary said "正在上传：" with nothing after it, the
// header "2 项待上传", and the submit bar "等待上传完成后才能提交", a wait that never ends. It says which
// items' photos were refused, and the inspection is submitted once they are deleted.
func TestRefusedPhotoDoesNotWaitForUpload(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.walkWorld(t)
	var got struct {
		Refused struct {
			Bar   string   `json:"bar"`
			Sync  string   `json:"sync"`
			Badge string   `json:"badge"`
			Links []string `json:"links"`
			Card  string   `json:"card"`
		} `json:"refused"`
	}
	f.walk(t, w, map[string]any{"tooLarge": nil, "proxy413": nil, "submit": &got})
	r := got.Refused
	if strings.Contains(r.Card, "待上传") || !strings.Contains(r.Card, "2 项被拒收") {
		t.Errorf("today's list shows the inspection as %q; want the 2 refused photos counted apart, nothing waiting to upload", r.Card)
	}
	if strings.Contains(r.Sync, "正在上传") || strings.Contains(r.Bar, "等待上传") || strings.Contains(r.Badge, "待上传") || len(r.Links) != 2 {
		t.Errorf("only refused photos left: summary %q, header %q, submit bar %q naming items %v; want no upload waited for, the two items (%s, %s) named",
			r.Sync, r.Badge, r.Bar, r.Links, w.long, w.codes[4])
	}
	if st := f.inspectionStatus(t); st != inspect.InspectionSubmitted {
		t.Errorf("after deleting the refused photos the inspection is %s, want submitted", st)
	}
}

// TestFindUnansweredItem: the submit bar said "还有 22 项未回答" over a list of 27
// items with no way to find them but scrolling. A tap takes the inspector (and
// the keyboard) to the first unanswered item.
func TestFindUnansweredItem(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var got struct {
		Text   string `json:"text"`
		Jumped *struct {
			Code   string `json:"code"`
			Answer string `json:"answer"`
			InView bool   `json:"inView"`
			First  string `json:"first"`
		} `json:"jumped"`
	}
	f.walk(t, f.walkWorld(t), map[string]any{"answers": nil, "submitBar": &got})
	if j := got.Jumped; j == nil || j.Code != j.First || j.Answer != "" || !j.InView {
		t.Errorf("submit bar %q: the jump to an unanswered item landed on %+v; want the first unanswered item, focused and in view", got.Text, j)
	}
}

// TestFlagKeepsFocus: marking a hazard on a photo (one tap, or the dialog) redrew
// the item and left the keyboard on the page's body: a screen-reader user had to
// find the photo again. The focus stays on the photo's "mark" button.
func TestFlagKeepsFocus(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var dialog, quick struct {
		FocusAfter string `json:"focusAfter"`
	}
	f.walk(t, f.walkWorld(t), map[string]any{"answers": nil, "manualDialog": &dialog, "quickFlag": &quick})
	for _, c := range []struct{ how, focus string }{{"the dialog", dialog.FocusAfter}, {"one tap", quick.FocusAfter}} {
		if !strings.HasSuffix(c.focus, "[manual-flag]") {
			t.Errorf("after marking a hazard by %s the focus is on %q; want the photo's mark button", c.how, c.focus)
		}
	}
}

// TestReinspectionPhotoRefusedSaysWhy: on the hazard page a file that is not a
// photo was dropped without a word. It says why.
func TestReinspectionPhotoRefusedSaysWhy(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var got struct {
		Unsupported string `json:"unsupported"`
	}
	f.walk(t, f.walkWorld(t), map[string]any{"hazard": &got})
	if !strings.Contains(got.Unsupported, "复查.gif") {
		t.Errorf("after choosing a GIF for the re-inspection the actions read %q; want the file named as refused", got.Unsupported)
	}
}
