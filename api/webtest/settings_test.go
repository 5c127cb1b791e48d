package webtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
)

// reviewedFlags stores n photos of the fixture's inspection item at location,
// each with one flag of check scoring score as the analysis job leaves it, and
// the office's decisions on them: the first confirmed confirmed, the rest
// rejected. The photos' bytes are never read on the settings screen.
func (f *fixture) reviewedFlags(t *testing.T, item, location, check string, score float32, n, confirmed int) {
	t.Helper()
	ctx := context.Background()
	for k := range n {
		photo := uuid.New()
		if _, err := f.db.Pool.Exec(ctx, `INSERT INTO photos (id, sha256, type, size, width, height, site_id, inspection_id, item_code, location, ai_checks, uploaded_by)
			VALUES ($1, $2, 'image/jpeg', 1000, 640, 480, $3, $4, $5, $6, $7, $8)`,
			photo, fmt.Sprintf("seeded-%s", photo), f.site.ID, f.insp.ID, item, location, []string{check}, f.inspector.ID); err != nil {
			t.Fatalf("insert photo: %v", err)
		}
		status, review := "needs_review", inspect.ReviewRejected
		if score >= inspect.DefaultFlagScore {
			status = "flag"
		}
		if k < confirmed {
			review = inspect.ReviewConfirmed
		}
		if _, err := f.db.Pool.Exec(ctx, `INSERT INTO ai_flags (photo_id, site_id, rule_code, code, status, score, boxes, reason, model_name, model_sha256, review, reviewed_by, reviewed_at)
			VALUES ($1, $2, $3, $4, $5, $6, '[]', 'motorcycle', 'yolox_nano', 'test', $7, $8, now())`,
			photo, f.site.ID, item, check, status, score, review, f.officer.ID); err != nil {
			t.Fatalf("insert flag: %v", err)
		}
	}
}

// TestAdminSettings: the admin's settings screen. The district's policy is read in
// words; a limit past a year is refused with the field named in Chinese; a longer
// sign-within is saved as the district's override alone, and applying it (after a
// question) moves the open hazard's signature limit, listed old → new. An API key's
// secret is shown once and never again; revoked after a question, the key no
// longer opens the Open311 door. A score-level proposal is shown with its
// evidence, the checks without one with the reason in words; accepted after a
// question, its levels are in force and the history shows the change. In English,
// applying again moves nothing. A safety officer has no link and gets the 403 page.
func TestAdminSettings(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	admin, adminP := f.factory.Admin, f.factory.AdminP

	// An open hazard waiting for the merchant's signature: the notice started
	// its sign-by from the policy's sign-within (8 h by default).
	codes := f.startInspection(t, 1)
	id := f.hazardAt(t, codes[0], inspect.OutcomeHazard, "楼梯间堆放杂物").HazardID
	if _, err := f.store.Hazards.HazardAction(ctx, f.principal(t, f.officer), id, inspect.ActionNotify, inspect.HazardActionInput{Note: "限期整改"}); err != nil {
		t.Fatalf("notify: %v", err)
	}
	before := f.hazard(t, id)
	if before.HandedAt == nil || before.SignBy == nil || !before.SignBy.Equal(before.HandedAt.Add(8*time.Hour)) {
		t.Fatalf("the notified hazard waits for no signature 8 h after it was handed over: %v, %v", before.HandedAt, before.SignBy)
	}

	// Reviewed flags: at the corridor 10 at 0.9 (all confirmed), 10 at 0.5 (8) and
	// 5 at 0.4 (none) propose flag 0.5 (18 of 20) and needs-review 0.4 (18 of 25);
	// 3 in the kitchen are too few; 20 in the lobby, 2 confirmed, reach no precision.
	check := inspect.CheckTwoWheelerIndoor
	corridor, kitchen, lobby := inspect.LocationCorridor, inspect.LocationKitchen, inspect.LocationLobby
	f.reviewedFlags(t, codes[0], corridor, check, 0.9, 10, 10)
	f.reviewedFlags(t, codes[0], corridor, check, 0.5, 10, 8)
	f.reviewedFlags(t, codes[0], corridor, check, 0.4, 5, 0)
	f.reviewedFlags(t, codes[0], kitchen, check, 0.9, 3, 3)
	f.reviewedFlags(t, codes[0], lobby, check, 0.7, 20, 2)

	type limit struct {
		Limit string `json:"limit"`
		Text  string `json:"text"`
	}
	type reason struct {
		Reason string `json:"reason"`
		Text   string `json:"text"`
	}
	var got struct {
		InForce string `json:"inForce"`
		Invalid string `json:"invalid"`
		Focused string `json:"focused"`
		Saved   struct {
			Status, SignWithin, Unit, Own string
		} `json:"saved"`
		Question    string `json:"question"`
		AfterCancel int    `json:"afterCancel"`
		Moves       []struct {
			HazardID int64   `json:"hazardId"`
			Limits   []limit `json:"limits"`
		} `json:"moves"`
		Secret         string   `json:"secret"`
		OnceText       string   `json:"onceText"`
		SecretAgain    bool     `json:"secretAgain"`
		KeyID          int64    `json:"keyId"`
		RevokeQuestion string   `json:"revokeQuestion"`
		RevokedRow     string   `json:"revokedRow"`
		Reasons        []reason `json:"reasons"`
		Proposal       string   `json:"proposal"`
		NoHistory      int      `json:"noHistory"`
		AcceptQuestion string   `json:"acceptQuestion"`
		History        string   `json:"history"`
		Current        string   `json:"current"`
		AcceptLeft     int      `json:"acceptLeft"`
		InUse          string   `json:"inUse"`
		NothingMoved   string   `json:"nothingMoved"`
		English        struct {
			Policy  string   `json:"policy"`
			Reasons []reason `json:"reasons"`
			History string   `json:"history"`
		} `json:"english"`
		OfficerLinks    int      `json:"officerLinks"`
		OfficerStatus   string   `json:"officerStatus"`
		OfficerSections int      `json:"officerSections"`
		PageErrors      []string `json:"pageErrors"`
	}
	keyName := "12345 热线"
	runDriver(t, f, "adminSettings", map[string]any{"districtId": f.district.ID, "keyName": keyName, "check": check, "location": corridor}, &got)

	// 1. The policy.
	if !strings.Contains(got.InForce, "签收时限") || !strings.Contains(got.InForce, "现行：8 小时") {
		t.Errorf("the sign-within field reads %q; want its name and the default 8 hours in words", got.InForce)
	}
	if !strings.Contains(got.Invalid, "整改时限（网格·一般隐患）") || got.Focused != "pol-rectify-grid-general" {
		t.Errorf("400 days at the grid says %q with %q focused; want the field named in Chinese and focused", got.Invalid, got.Focused)
	}
	if !strings.Contains(got.Saved.Status, "已保存") || got.Saved.SignWithin != "12" || got.Saved.Unit != "h" || got.Saved.Own != "本区设定" {
		t.Errorf("after saving: %+v; want saved, 12 hours, marked as the district's own", got.Saved)
	}
	dp := try(f.store.Policy.PolicyOf(ctx, adminP, f.district.ID)).must(t)
	twelve := inspect.Duration(12 * time.Hour)
	if d := cmp.Diff(inspect.PolicyOverride{SignWithin: &twelve}, dp.Override); d != "" {
		t.Errorf("the district's override (-want +got); want sign_within alone, the defaults left out:\n%s", d)
	}
	if !strings.Contains(got.Question, f.district.Name) || got.AfterCancel != 0 {
		t.Errorf("applying asked %q and %d results showed after cancelling; want the district named and nothing applied", got.Question, got.AfterCancel)
	}
	after := f.hazard(t, id)
	if after.SignBy == nil || !after.SignBy.Equal(before.HandedAt.Add(12*time.Hour)) {
		t.Errorf("sign_by after applying: %v; want 12 h after %v", after.SignBy, before.HandedAt)
	}
	applied := slices.IndexFunc(after.Events, func(e inspect.Event) bool { return e.Kind == inspect.EventPolicyApplied && e.Actor == admin.ID })
	if applied < 0 {
		t.Errorf("no policy_applied event by the admin on hazard %d", id)
	}
	cst := time.FixedZone("CST", 8*3600)
	clock := func(at *time.Time) string { return at.In(cst).Format("15:04") }
	if len(got.Moves) != 1 || got.Moves[0].HazardID != id || len(got.Moves[0].Limits) != 1 || got.Moves[0].Limits[0].Limit != "sign_by" {
		t.Fatalf("moves listed: %+v; want hazard %d's signature limit alone", got.Moves, id)
	}
	if m := got.Moves[0].Limits[0].Text; !strings.Contains(m, "签收期限") || !strings.Contains(m, clock(before.SignBy)+" → ") || !strings.HasSuffix(m, clock(after.SignBy)) {
		t.Errorf("the move reads %q; want 签收期限 %s → %s", m, clock(before.SignBy), clock(after.SignBy))
	}

	// 2. The API key.
	if !strings.HasPrefix(got.Secret, "sg311_") || !strings.Contains(got.OnceText, "只显示这一次") {
		t.Errorf("the new key showed %q with %q; want the secret and that it is shown once", got.Secret, got.OnceText)
	}
	if got.SecretAgain {
		t.Error("the secret is in the page again after a reload")
	}
	if !strings.Contains(got.RevokeQuestion, keyName) || !strings.Contains(got.RevokedRow, "已吊销") {
		t.Errorf("revoking asked %q and the row reads %q; want the key named, then revoked", got.RevokeQuestion, got.RevokedRow)
	}
	keys := try(f.store.Open311.APIKeys(ctx, adminP, 0, 10)).must(t)
	if len(keys) != 1 || keys[0].ID != got.KeyID || keys[0].Name != keyName || keys[0].RevokedAt == nil {
		t.Errorf("keys stored: %+v; want %q, revoked", keys, keyName)
	}
	if k, err := f.store.Open311.KeyOf(ctx, []byte(got.Secret)); err == nil {
		t.Errorf("the revoked secret still opens the door as key %d", k.ID)
	}

	// 3. The score levels.
	wantReasons := map[string]string{
		inspect.NoProposalTooFewDecisions: "已审核 3 条，每条分数线至少需要 20 条",
		inspect.NoProposalPrecision:       "确认率都达不到 80%",
	}
	wantEnglish := map[string]string{
		inspect.NoProposalTooFewDecisions: "No proposal: 3 reviewed flags; a level needs at least 20.",
		inspect.NoProposalPrecision:       "No proposal: at no score with at least 20 reviewed flags at or above it were 80% of them confirmed.",
	}
	for _, c := range []struct {
		lang string
		got  []reason
		want map[string]string
	}{{"zh-CN", got.Reasons, wantReasons}, {"en", got.English.Reasons, wantEnglish}} {
		if len(c.got) != len(c.want) {
			t.Errorf("%s: reasons shown %+v; want one per check without a proposal", c.lang, c.got)
		}
		for _, r := range c.got {
			if w, ok := c.want[r.Reason]; !ok || !strings.Contains(r.Text, w) {
				t.Errorf("%s: reason %s reads %q; want %q", c.lang, r.Reason, r.Text, w)
			}
		}
	}
	if !strings.Contains(got.Proposal, "标记线 0.50") || !strings.Contains(got.Proposal, "20 条中确认 18 条") ||
		!strings.Contains(got.Proposal, "待复核线 0.40") || !strings.Contains(got.Proposal, "25 条中确认 18 条") || got.NoHistory != 1 {
		t.Errorf("the proposal reads %q (%d empty histories); want flag 0.50 with 18 of 20, needs review 0.40 with 18 of 25", got.Proposal, got.NoHistory)
	}
	if !strings.Contains(got.AcceptQuestion, "标记 0.50，待复核 0.40") {
		t.Errorf("accepting asked %q; want the new levels", got.AcceptQuestion)
	}
	if !strings.Contains(got.History, "标记 0.60 → 0.50，待复核 0.35 → 0.40") || !strings.Contains(got.History, admin.DisplayName) ||
		!strings.Contains(got.Current, "标记 0.50，待复核 0.40") || !strings.Contains(got.Current, "已采纳") {
		t.Errorf("after accepting, the history reads %q and the levels in force %q", got.History, got.Current)
	}
	if got.AcceptLeft != 0 || !strings.Contains(got.InUse, "已在使用") {
		t.Errorf("after accepting, %d accept buttons and %q; want none and the proposal said to be in force", got.AcceptLeft, got.InUse)
	}
	levels := try(f.store.Photos.LevelsAt(ctx, corridor)).must(t)
	if d := cmp.Diff(map[string]inspect.ScoreLevels{check: {Flag: 0.5, Review: 0.4}}, levels); d != "" {
		t.Errorf("levels in force at the corridor (-want +got):\n%s", d)
	}
	var accepted int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM check_thresholds WHERE accepted_by = $1`, admin.ID).Scan(&accepted); err != nil || accepted != 1 {
		t.Errorf("%d score-level changes by the admin (%v); want 1", accepted, err)
	}

	// 4. In English, and as a safety officer.
	if got.English.Policy != "Deadline policy" || !strings.Contains(got.NothingMoved, "Nothing moved") ||
		!strings.Contains(got.English.History, "flag 0.60 → 0.50, needs review 0.35 → 0.40") {
		t.Errorf("in English: %+v, %q", got.English, got.NothingMoved)
	}
	if got.OfficerLinks != 0 || got.OfficerStatus != "403" || got.OfficerSections != 0 {
		t.Errorf("a safety officer: %d links, status %q, %d sections; want no link and the 403 page", got.OfficerLinks, got.OfficerStatus, got.OfficerSections)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
