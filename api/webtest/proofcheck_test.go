package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
)

// TestProofCheckMessages: every verdict and reason code of the before/after check
// (their owners: inspect and models) has its words in both catalogs.
func TestProofCheckMessages(t *testing.T) {
	for _, name := range []string{"zh-CN.json", "en.json"} {
		b, err := os.ReadFile(filepath.Join("..", "web", "i18n", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, v := range inspect.ProofVerdicts() {
			if m["proofcheck.verdict."+v] == "" {
				t.Errorf("%s lacks the verdict proofcheck.verdict.%s", name, v)
			}
		}
		for _, r := range models.ProofReasons() {
			if m["proofcheck.reason."+r] == "" {
				t.Errorf("%s lacks the reason proofcheck.reason.%s", name, r)
			}
		}
	}
}

// TestOfficeSeesProofCheck (issue 15): the merchant's proof photo was compared with
// the inspection photo by the analysis job; the officer's hazard page shows the two
// photos side by side with the verdict as an AI suggestion, in words; the hazard
// stays where it was (nothing closes on a verdict); the merchant's API view has no
// verdicts.
func TestOfficeSeesProofCheck(t *testing.T) {
	t.Parallel()
	f := setup(t)
	codes := f.startInspection(t, 1)
	images := testImages(t, 2, "motorcycle_entryway", "bedroom")
	ctx := context.Background()
	item, err := f.store.Inspections.AnswerItem(ctx, f.principal(t, f.inspector), f.insp.ID, inspect.Item{
		Code: codes[0], Answer: inspect.AnswerFail, Outcome: inspect.OutcomeHazard, Note: "走廊停放摩托车",
	})
	if err != nil {
		t.Fatal(err)
	}
	evidence := f.uploadPhoto(t, f.inspector, images[0], "inspection_id="+strconv.FormatInt(f.insp.ID, 10)+"&item_code="+codes[0])
	if _, err := f.store.Hazards.HazardAction(ctx, f.principal(t, f.officer), item.HazardID, inspect.ActionNotify, inspect.HazardActionInput{Note: "请三日内整改"}); err != nil {
		t.Fatal(err)
	}
	proof := f.uploadPhoto(t, f.merchant, images[1], fmt.Sprintf("hazard_id=%d", item.HazardID))
	if _, err := f.store.Hazards.HazardAction(ctx, f.principal(t, f.merchant), item.HazardID, inspect.ActionSubmitProof,
		inspect.HazardActionInput{Note: "已挪走", PhotoIDs: []string{proof.String()}}); err != nil {
		t.Fatal(err)
	}
	// What the analysis job stores for the proof photo (storage/jobs, tested with the
	// real model in cmd/safegrid's TestProofCheckJob).
	now := time.Now().UTC()
	if err := f.store.Photos.SaveAnalysis(ctx, storage.Analysis{
		PhotoID: proof, ModelName: "yolox_nano", ModelSHA256: "test", Width: 640, Height: 480, Detections: json.RawMessage(`[]`), AnalysedAt: now,
		ProofChecks: []inspect.ProofCheck{{EvidencePhotoID: evidence, Verdict: inspect.ProofDifferentPlace, SamePlaceScore: 0.16,
			Reasons: []string{models.ReasonSceneDiffers, models.ReasonCheckSilent}, ModelName: "yolox_nano", CheckedAt: now}},
	}, f.site.ID, codes[0], nil); err != nil {
		t.Fatal(err)
	}

	var merchantView inspect.HazardDetail
	if st, body := f.call(t, f.merchant, "GET", fmt.Sprintf("/api/v1/hazards/%d", item.HazardID), nil, ""); st != 200 {
		t.Fatalf("merchant's hazard: %d %s", st, body)
	} else if err := json.Unmarshal(body, &merchantView); err != nil || len(merchantView.ProofChecks) != 0 {
		t.Errorf("the merchant's hazard view carries proof checks %+v (%v); they are the office's", merchantView.ProofChecks, err)
	}

	var got struct {
		Checks []struct {
			Verdict    string   `json:"verdict"`
			Photos     []string `json:"photos"`
			Loaded     bool     `json:"loaded"`
			Suggestion string   `json:"suggestion"`
			Label      string   `json:"label"`
			Reasons    []string `json:"reasons"`
		} `json:"checks"`
		State      string   `json:"state"`
		PageErrors []string `json:"pageErrors"`
	}
	runDriver(t, f, "proofCheck", map[string]any{"hazardId": item.HazardID}, &got)
	if len(got.Checks) != 1 {
		t.Fatalf("the hazard page shows %d proof checks, want 1: %+v", len(got.Checks), got.Checks)
	}
	c := got.Checks[0]
	if c.Verdict != inspect.ProofDifferentPlace || c.Label != "可能不是同一地点？" || c.Suggestion != "AI 建议" {
		t.Errorf("proof check shown as %q %q (%s); want the suggestion 可能不是同一地点？ labelled AI 建议", c.Suggestion, c.Label, c.Verdict)
	}
	if !slices.Equal(c.Photos, []string{evidence.String(), proof.String()}) || !c.Loaded {
		t.Errorf("photos %v (loaded %v); want the evidence %s and the proof %s side by side, shown", c.Photos, c.Loaded, evidence, proof)
	}
	if !slices.Equal(c.Reasons, []string{"画面与整改前不一致", "同一 AI 检查在原隐患位置不再报警"}) {
		t.Errorf("reasons %q, want them in words", c.Reasons)
	}
	if got.State != string(inspect.StateRectificationSubmitted) {
		t.Errorf("hazard state %s, want rectification_submitted (a verdict closes nothing)", got.State)
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("uncaught errors in the page: %v", got.PageErrors)
	}
}
