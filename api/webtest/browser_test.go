package webtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// shownPhoto is a photo tile as the page showed it.
type shownPhoto struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// photoRow is a photo row as stored.
type photoRow struct {
	ID       string
	SHA256   string
	ItemCode string
}

func (f *fixture) inspectionPhotos(t *testing.T) []photoRow {
	t.Helper()
	rows, err := f.db.Pool.Query(context.Background(), `SELECT id::text, sha256, COALESCE(item_code, '') FROM photos WHERE inspection_id = $1 ORDER BY item_code`, f.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []photoRow
	for rows.Next() {
		var r photoRow
		if err := rows.Scan(&r.ID, &r.SHA256, &r.ItemCode); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkPhotosStored asserts that the inspection has exactly one photo row per
// file, for the expected items, with the files' bytes, that the page showed exactly
// those ids, and that every row's objects are in the bucket.
func (f *fixture) checkPhotosStored(t *testing.T, files, codes []string, shown []shownPhoto) {
	t.Helper()
	rows := f.inspectionPhotos(t)
	if len(rows) != len(files) {
		t.Fatalf("stored %d photo rows for the inspection, want exactly %d (one per photo taken): %+v", len(rows), len(files), rows)
	}
	wantSHA := map[string]bool{}
	for _, file := range files {
		wantSHA[fileSHA256(t, file)] = true
	}
	ids := map[string]bool{}
	for _, r := range rows {
		if ids[r.ID] {
			t.Errorf("photo id %s stored twice", r.ID)
		}
		ids[r.ID] = true
		if !wantSHA[r.SHA256] {
			t.Errorf("photo %s has sha256 %s, which is none of the files taken", r.ID, r.SHA256)
		}
		delete(wantSHA, r.SHA256)
		if !slices.Contains(codes, r.ItemCode) {
			t.Errorf("photo %s is for item %q, want one of %v", r.ID, r.ItemCode, codes)
		}
	}
	for sum := range wantSHA {
		t.Errorf("no stored photo has the bytes of the file with sha256 %s: a photo was lost", sum)
	}
	if len(shown) != len(files) {
		t.Errorf("the page shows %d photo tiles, want %d: %+v", len(shown), len(files), shown)
	}
	for _, p := range shown {
		if !ids[p.ID] {
			t.Errorf("the page shows photo %s (%s), which the server does not have", p.ID, p.State)
		}
		if p.State != "uploaded" {
			t.Errorf("photo %s is shown as %q, want uploaded", p.ID, p.State)
		}
	}
	missing, _, err := f.store.Photos.PhotoConsistency(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("photo rows without their objects in the bucket: %v", missing)
	}
}

func (f *fixture) inspectionStatus(t *testing.T) inspect.InspectionStatus {
	t.Helper()
	var s string
	if err := f.db.Pool.QueryRow(context.Background(), `SELECT status FROM inspections WHERE id = $1`, f.insp.ID).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return inspect.InspectionStatus(s)
}

// TestInspectorCompletesInspection: on a 390×844 phone the inspector opens
// today's site, starts the checklist, passes one item with a photo, records a
// hazard with the default deadline and a photo, fixes one on the spot with a photo,
// marks the rest not applicable and submits.
func TestInspectorCompletesInspection(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.photoItems(t, 3)
	images := testImages(t, 3, "bicycle", "corridor", "boxes")
	var got struct {
		ItemCount   int          `json:"itemCount"`
		Photos      []shownPhoto `json:"photos"`
		HazardLink  string       `json:"hazardLink"`
		AfterSubmit struct {
			Status  string   `json:"status"`
			Enabled []string `json:"enabled"`
		} `json:"afterSubmit"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "inspector", map[string]any{
		"inspectionId": f.insp.ID,
		"items":        map[string]string{"pass": codes[0], "hazard": codes[1], "fix": codes[2]},
		"images":       images,
	}, &got)
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
	if got.ItemCount != len(f.checklist.Items) {
		t.Errorf("the page showed %d checklist items, want %d", got.ItemCount, len(f.checklist.Items))
	}
	if st := f.inspectionStatus(t); st != inspect.InspectionSubmitted {
		t.Fatalf("inspection is %s, want submitted", st)
	}
	// Issue 17: after submitting, the page (not reloaded) said 检查中 and kept
	// every control active.
	if got.AfterSubmit.Status != string(inspect.InspectionSubmitted) || len(got.AfterSubmit.Enabled) > 0 {
		t.Errorf("after submitting, the page shows status %q with controls still active %v; want submitted and none active",
			got.AfterSubmit.Status, got.AfterSubmit.Enabled)
	}
	f.checkPhotosStored(t, images, codes, got.Photos)

	ctx := context.Background()
	d, err := f.store.Inspections.Inspection(ctx, f.principal(t, f.inspector), f.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[inspect.Answer]int{}
	for _, it := range d.Items {
		answers[it.Answer]++
		switch it.Code {
		case codes[0]:
			if it.Answer != inspect.AnswerPass {
				t.Errorf("item %s is %s, want pass", it.Code, it.Answer)
			}
		case codes[1]:
			if it.Answer != inspect.AnswerFail || it.Outcome != inspect.OutcomeHazard || it.HazardID == 0 {
				t.Errorf("item %s: %s/%s hazard %d, want fail/hazard with a hazard", it.Code, it.Answer, it.Outcome, it.HazardID)
			}
			if got.HazardLink != "/hazards/"+strconv.FormatInt(it.HazardID, 10) {
				t.Errorf("the item links to %q, want hazard %d", got.HazardLink, it.HazardID)
			}
		case codes[2]:
			if it.Answer != inspect.AnswerFail || it.Outcome != inspect.OutcomeFixedOnSpot {
				t.Errorf("item %s: %s/%s, want fail/fixed_on_spot", it.Code, it.Answer, it.Outcome)
			}
		default:
			if it.Answer != inspect.AnswerNA {
				t.Errorf("item %s is %s, want na", it.Code, it.Answer)
			}
		}
	}
	hazards, err := f.store.Hazards.Hazards(ctx, f.principal(t, f.officer), inspect.HazardFilter{SiteID: f.site.ID})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]inspect.HazardState{}
	for _, h := range hazards {
		states[h.RuleCode] = h.State
		if h.RuleCode == codes[1] {
			// The default deadline: the rule's rectification days from the finding.
			days := 0
			for _, it := range f.checklist.Items {
				if it.Code == codes[1] {
					days = it.RectifyDays
				}
			}
			if days > 0 {
				if got := h.Deadline.Sub(h.CreatedAt).Hours(); got < float64(days*24)-1 || got > float64(days*24)+1 {
					t.Errorf("hazard deadline is %.1f h after it was recorded, want the default %d days", got, days)
				}
			}
		}
	}
	if states[codes[1]] != inspect.StateOpen || states[codes[2]] != inspect.StateClosedOnSpot || len(hazards) != 2 {
		t.Errorf("hazards by rule: %v, want %s open and %s closed_on_spot only", states, codes[1], codes[2])
	}
}

// TestInspectorOfflineUploadsLater: the network is cut after the checklist is
// open; three photos are taken offline and wait on the device; when the network
// returns, the first upload reaches the server but its answer is lost, so the
// phone retries it. Exactly three photos end up stored, none lost, none twice.
func TestInspectorOfflineUploadsLater(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 3)
	images := testImages(t, 3, "motorcycle", "bicycles_parked", "utility")
	var got struct {
		OfflineStates []shownPhoto `json:"offlineStates"`
		Photos        []shownPhoto `json:"photos"`
		Puts          int          `json:"puts"`
		LostStatus    int          `json:"lostStatus"`
		PageErrors    []string     `json:"pageErrors"`
	}
	runDriver(t, f, "offline", map[string]any{"inspectionId": f.insp.ID, "items": codes, "images": images}, &got)
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
	if len(got.OfflineStates) != 3 {
		t.Errorf("while offline the page showed %d photos, want 3: %+v", len(got.OfflineStates), got.OfflineStates)
	}
	for _, p := range got.OfflineStates {
		if p.State == "uploaded" {
			t.Errorf("photo %s shown as uploaded while offline", p.ID)
		}
	}
	if got.LostStatus != http.StatusCreated {
		t.Errorf("the upload whose answer was dropped got %d from the server, want 201 (stored)", got.LostStatus)
	}
	if got.Puts < 4 {
		t.Errorf("the phone sent %d photo uploads, want at least 4 (3 photos and the retry of the lost answer)", got.Puts)
	}
	if st := f.inspectionStatus(t); st != inspect.InspectionSubmitted {
		t.Errorf("inspection is %s, want submitted", st)
	}
	f.checkPhotosStored(t, images, codes, got.Photos)
}

// TestAppOpensOffline: on a phone, after one online visit has let the service
// worker keep the app shell, the inspector goes offline, takes a photo and reloads
// the page. The checklist opens from the device with the saved answer and the
// photo still waiting; when the network returns the photo uploads exactly once.
func TestAppOpensOffline(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 1)
	images := testImages(t, 1, "motorcycle")
	var got struct {
		SWScope       string       `json:"swScope"`
		WorkerNetwork string       `json:"workerNetwork"`
		OfflinePhotos []shownPhoto `json:"offlinePhotos"`
		Reloaded      struct {
			FromServiceWorker bool         `json:"fromServiceWorker"`
			Answer            string       `json:"answer"`
			Pending           string       `json:"pending"`
			Photos            []shownPhoto `json:"photos"`
			BannerShown       bool         `json:"bannerShown"`
		} `json:"reloaded"`
		Photos     []shownPhoto `json:"photos"`
		PageErrors []string     `json:"pageErrors"`
	}
	runDriver(t, f, "offlineReload", map[string]any{"inspectionId": f.insp.ID, "items": codes, "images": images}, &got)
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
	if !strings.HasSuffix(got.SWScope, "/") || !strings.HasPrefix(got.SWScope, "http") {
		t.Errorf("service worker scope %q, want the whole app", got.SWScope)
	}
	if got.WorkerNetwork != "offline" {
		t.Errorf("the service worker's own requests were %s while the phone was offline, want offline (else the reload did not test anything)", got.WorkerNetwork)
	}
	r := got.Reloaded
	if !r.FromServiceWorker {
		t.Error("the offline reload was not answered by the service worker")
	}
	if !r.BannerShown {
		t.Error("after the offline reload the offline banner is hidden")
	}
	if r.Answer != "pass" {
		t.Errorf("after the offline reload item %s shows answer %q, want pass (saved before going offline)", codes[0], r.Answer)
	}
	if r.Pending != "1" {
		t.Errorf("after the offline reload the checklist shows %s things waiting, want 1 (the photo)", r.Pending)
	}
	if len(got.OfflinePhotos) != 1 || len(r.Photos) != 1 || r.Photos[0].ID != got.OfflinePhotos[0].ID {
		t.Fatalf("the photo taken offline was %+v before the reload and %+v after, want the same one photo", got.OfflinePhotos, r.Photos)
	}
	if r.Photos[0].State == "uploaded" {
		t.Errorf("photo %s shown as uploaded after an offline reload", r.Photos[0].ID)
	}
	f.checkPhotosStored(t, images, codes, got.Photos)
}

// TestReviewerConfirmsFlag: a safety officer sees two AI flags with their photos,
// confirms one (which records the hazard) and rejects the other with a reason.
func TestReviewerConfirmsFlag(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 2)
	images := testImages(t, 2, "bicycle_in_doorway", "boxes")
	target := func(code string) string {
		return "inspection_id=" + strconv.FormatInt(f.insp.ID, 10) + "&item_code=" + code
	}
	p1 := f.uploadPhoto(t, f.inspector, images[0], target(codes[0]))
	p2 := f.uploadPhoto(t, f.inspector, images[1], target(codes[1]))
	ctx := context.Background()
	insertFlag := func(photo, rule, code string, score float64, boxes string) int64 {
		var id int64
		err := f.db.Pool.QueryRow(ctx, `INSERT INTO ai_flags (photo_id, site_id, rule_code, code, status, score, boxes, reason, model_name, model_sha256)
			VALUES ($1, $2, $3, $4, 'flag', $5, $6, $7, 'yolox_nano', 'test') RETURNING id`,
			photo, f.site.ID, rule, code, score, boxes, "detector saw "+code).Scan(&id)
		if err != nil {
			t.Fatalf("insert flag: %v", err)
		}
		return id
	}
	confirm := insertFlag(p1.String(), codes[0], "two_wheeler_indoor", 0.87, `[{"class":"bicycle","score":0.87,"x1":40,"y1":60,"x2":300,"y2":400}]`)
	reject := insertFlag(p2.String(), codes[1], "escape_route_obstructed", 0.64, `[{"class":"suitcase","score":0.64,"x1":100,"y1":120,"x2":380,"y2":420}]`)

	var got struct {
		HazardHref string   `json:"hazardHref"`
		KPIAvail   bool     `json:"kpiAvailable"`
		KPIVolume  string   `json:"kpiVolume"`
		Fallback   *string  `json:"annotatedFallback"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "reviewer", map[string]any{"flags": map[string]int64{"confirm": confirm, "reject": reject}}, &got)
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
	var review, rejectReason string
	var hazardID *int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT review, hazard_id FROM ai_flags WHERE id = $1`, confirm).Scan(&review, &hazardID); err != nil {
		t.Fatal(err)
	}
	if review != "confirmed" || hazardID == nil {
		t.Fatalf("confirmed flag: review %q hazard %v, want confirmed with a hazard", review, hazardID)
	}
	h := f.hazard(t, *hazardID)
	if h.SiteID != f.site.ID || h.RuleCode != codes[0] {
		t.Errorf("hazard %d is for site %d rule %s, want site %d rule %s", h.ID, h.SiteID, h.RuleCode, f.site.ID, codes[0])
	}
	if got.HazardHref != "/hazards/"+strconv.FormatInt(*hazardID, 10) {
		t.Errorf("the queue linked to %q, want hazard %d", got.HazardHref, *hazardID)
	}
	// Issue 17: the hazard's history carried the server's English note with the
	// photo's id ("AI check two_wheeler_indoor confirmed on photo 6c02…"). The note
	// is the reviewer's own words; the flag keeps what the model saw.
	for _, ev := range h.Events {
		var payload struct {
			Note string `json:"note"`
		}
		if err := json.Unmarshal(ev.Payload, &payload); err != nil {
			t.Fatalf("event %s payload %s: %v", ev.Kind, ev.Payload, err)
		}
		if strings.Contains(payload.Note, p1.String()) || strings.Contains(payload.Note, "AI check") {
			t.Errorf("the confirmed hazard's %s event has the server's words as its note: %q", ev.Kind, payload.Note)
		}
	}
	if err := f.db.Pool.QueryRow(ctx, `SELECT review, reject_reason FROM ai_flags WHERE id = $1`, reject).Scan(&review, &rejectReason); err != nil {
		t.Fatal(err)
	}
	if review != "rejected" || strings.TrimSpace(rejectReason) == "" {
		t.Errorf("rejected flag: review %q reason %q, want rejected with the reason given", review, rejectReason)
	}
	// The dashboard of the district, this month up to today, counts the hazard just
	// confirmed.
	if !got.KPIAvail || got.KPIVolume == "" || got.KPIVolume == "0" {
		t.Errorf("KPI dashboard: available %v, volume %q; want the hazard confirmed today counted", got.KPIAvail, got.KPIVolume)
	}
}

// TestMerchantSeesDeadlineAndUploadsProof: a hazard found at the merchant's
// guesthouse was notified; on a phone the merchant sees the countdown to its
// deadline, takes a photo of the fix and submits it as proof.
func TestMerchantSeesDeadlineAndUploadsProof(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 1)
	images := testImages(t, 2, "bicycle_in_doorway", "corridor")
	ctx := context.Background()
	item, err := f.store.Inspections.AnswerItem(ctx, f.principal(t, f.inspector), f.insp.ID, inspect.Item{
		Code: codes[0], Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "门口停放电动车",
	})
	if err != nil {
		t.Fatal(err)
	}
	f.uploadPhoto(t, f.inspector, images[0], "inspection_id="+strconv.FormatInt(f.insp.ID, 10)+"&item_code="+codes[0])
	if _, err := f.store.Hazards.HazardAction(ctx, f.principal(t, f.officer), item.HazardID, inspect.ActionNotify, inspect.HazardActionInput{Note: "请三日内整改"}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		ListCountdown string `json:"listCountdown"`
		Countdown     string `json:"countdown"`
		Finding       struct {
			Note        string `json:"note"`
			Instruction string `json:"instruction"`
			Inspector   string `json:"inspector"`
		} `json:"finding"`
		Evidence struct {
			Inspection   int `json:"inspection"`
			Proof        int `json:"proof"`
			Reinspection int `json:"reinspection"`
		} `json:"evidence"`
		Zoomed     int      `json:"zoomed"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "merchant", map[string]any{"hazardId": item.HazardID, "images": images[1:]}, &got)
	// The merchant sees the finding itself: the inspector's note, the office's
	// instruction, and who inspected with a number to call.
	if got.Finding.Note != "门口停放电动车" || got.Finding.Instruction != "请三日内整改" ||
		!strings.Contains(got.Finding.Inspector, f.inspector.DisplayName) || !strings.Contains(got.Finding.Inspector, f.inspector.Phone) {
		t.Errorf("the merchant saw finding %+v; want the note, the instruction and the inspector %s with %s",
			got.Finding, f.inspector.DisplayName, f.inspector.Phone)
	}
	// Issue 17: proof photos were listed under "photos from the inspection" and the
	// proof box then said there were none. Now each group holds its own.
	if got.Evidence.Inspection != 1 || got.Evidence.Proof != 1 || got.Evidence.Reinspection != 0 {
		t.Errorf("after the proof, the evidence groups hold %+v photos; want 1 from the inspection, 1 proof, 0 re-inspection", got.Evidence)
	}
	if got.Zoomed == 0 {
		t.Error("the inspection photo did not open in the in-app viewer")
	}
	// The signed rectification notice is an event of the hazard, signature included.
	var signed int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM hazard_events WHERE hazard_id = $1 AND kind = 'acknowledged'
		AND payload->>'document' = 'notice' AND payload->>'name' = '张老板' AND payload->>'signature' LIKE 'data:image/png;base64,%'`, item.HazardID).Scan(&signed); err != nil {
		t.Fatal(err)
	}
	if signed != 1 {
		t.Errorf("%d signed acknowledgements of the notice stored with the hazard's events, want 1", signed)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
	if !strings.HasPrefix(got.Countdown, "还剩") || got.ListCountdown == "" {
		t.Errorf("the merchant saw countdowns %q and %q, want the time left (还剩 …)", got.ListCountdown, got.Countdown)
	}
	h := f.hazard(t, item.HazardID)
	if h.State != inspect.StateRectificationSubmitted {
		t.Fatalf("hazard is %s, want rectification_submitted", h.State)
	}
	var proofPhotos int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM photos WHERE hazard_id = $1 AND sha256 = $2`, item.HazardID, fileSHA256(t, images[1])).Scan(&proofPhotos); err != nil {
		t.Fatal(err)
	}
	if proofPhotos != 1 {
		t.Errorf("%d proof photos with the file's bytes stored for the hazard, want 1", proofPhotos)
	}
	// The proof is the last step of the workflow; the merchant's signed
	// acknowledgement of the notice follows it.
	if n := len(h.Events); n < 2 || h.Events[n-1].Kind != inspect.EventAcknowledged {
		t.Fatalf("the events end %v, want the signed acknowledgement last", h.Events)
	}
	last := h.Events[len(h.Events)-2]
	if last.Kind != string(inspect.ActionSubmitProof) || !strings.Contains(string(last.Payload), "photo_ids") {
		t.Errorf("last workflow event is %s %s, want submit_proof naming the photo", last.Kind, last.Payload)
	}
}

// TestDeterminationPanel: on a desktop, a safety officer puts a possibly major
// hazard to a panel of three through the hazard page; each reviewer logs in and
// votes (two major, one general, with reasons); the officer concludes with the
// measures and a deadline. The hazard is then major, at the district, under listed
// supervision, and the record keeps the panel, the three ballots and the conclusion.
func TestDeterminationPanel(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	hazardID := f.possiblyMajorHazard(t)
	others := f.officers(t, 2)
	deadline := time.Now().AddDate(0, 0, 10)
	type reviewer struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		Vote     string `json:"vote"`
		Reason   string `json:"reason"`
	}
	reviewers := []reviewer{
		{f.officer.ID, f.officer.Username, "major", "地下室无自然排烟，泄漏即成爆炸空间"},
		{others[0].ID, others[0].Username, "major", "符合 GB 35181 直接判定情形"},
		{others[1].ID, others[1].Username, "general", "钢瓶数量少，可当日清出"},
	}
	var got struct {
		OfferedActions []string `json:"offeredActions"`
		Conclusion     string   `json:"conclusion"`
		PageErrors     []string `json:"pageErrors"`
	}
	runDriver(t, f, "determination", map[string]any{"hazardId": hazardID, "reviewers": reviewers, "deadline": deadline.Format(time.DateOnly)}, &got)
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
	for _, a := range got.OfferedActions {
		if strings.Contains(a, "determin") {
			t.Errorf("the page still offers the generic action %s", a)
		}
	}
	if got.Conclusion != "major" {
		t.Errorf("the page shows conclusion %q, want major", got.Conclusion)
	}
	h := f.hazard(t, hazardID)
	if h.Severity != inspect.SeverityMajor || h.Level != inspect.LevelDistrict || h.UnitID != f.district.ID || h.State != inspect.StateEscalated {
		t.Errorf("hazard is %s %s at %s %d, want major escalated at district %d", h.Severity, h.State, h.Level, h.UnitID, f.district.ID)
	}
	var supervisions int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM listed_supervisions WHERE hazard_id = $1 AND supervising_unit_id = $2`, hazardID, f.district.ID).Scan(&supervisions); err != nil {
		t.Fatal(err)
	}
	if supervisions != 1 {
		t.Errorf("%d listed_supervisions rows for the hazard at the district, want 1", supervisions)
	}
	d, err := f.store.Determinations.Determination(ctx, f.principal(t, f.officer), hazardID)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{reviewers[0].ID, reviewers[1].ID, reviewers[2].ID}
	if !slices.Equal(d.Participants, want) || len(d.Ballots) != 3 || d.Conclusion != inspect.SeverityMajor || d.Measures == "" {
		t.Errorf("determination: participants %v, %d ballots, conclusion %q, measures %q; want %v, 3, major, the measures",
			d.Participants, len(d.Ballots), d.Conclusion, d.Measures, want)
	}
	for i, b := range d.Ballots {
		if r := reviewers[i]; b.ReviewerID != r.ID || string(b.Vote) != r.Vote || b.Reason != r.Reason {
			t.Errorf("ballot %d = %+v, want %s's %s with the reason", i, b, r.Username, r.Vote)
		}
	}
	if y, m, dd := d.Deadline.In(time.Local).Date(); y != deadline.Year() || m != deadline.Month() || dd != deadline.Day() {
		t.Errorf("deadline %s, want the day chosen, %s", d.Deadline, deadline.Format(time.DateOnly))
	}
}
