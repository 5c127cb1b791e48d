package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/modeltest"
	"github.com/safegrid/safegrid/storage"
)

// TestModelEval seeds a review history — a confirmed two-wheeler flag, a rejected
// one, an obstruction an inspector added by hand and the office confirmed, and an
// exit item the inspector failed as a hazard — and
// runs `safegrid model eval` with two generated models: the active one sees a
// bicycle on every photo, the candidate (an e-bike detector) sees nothing. Each is
// scored per check on the same four photos.
func TestModelEval(t *testing.T) {
	if os.Getenv("SAFEGRID_ORT_LIB") == "" {
		t.Skip("SKIPPED: SAFEGRID_ORT_LIB is not set — it must name libonnxruntime.so.1 of ONNX Runtime; this test runs generated models on the real runtime")
	}
	ctx := context.Background()
	fx := newAnalysisFixture(t)
	started, err := fx.svc.Inspections.StartInspection(ctx, fx.inspector, fx.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	item := corridorItem(t, started)

	// A photo of the corridor item, analysed by the active model with flags codes.
	photo := func(grey uint8, codes ...string) (uuid.UUID, []inspect.AIFlag) {
		ph := inspect.Photo{ID: uploadItemPhoto(t, fx, item, grey)}
		var flags []inspect.AIFlag
		for _, c := range codes {
			flags = append(flags, inspect.AIFlag{Code: c, Status: "flag", Score: 0.9, Reason: "seen", Boxes: []inspect.FlagBox{}})
		}
		a := storage.Analysis{PhotoID: ph.ID, ModelName: "coco_like", ModelSHA256: strings.Repeat("ef", 32), Width: 64, Height: 64,
			Detections: json.RawMessage(`[]`), AnalysedAt: time.Now()}
		if err := fx.svc.Photos.SaveAnalysis(ctx, a, fx.site.ID, item.Code, flags); err != nil {
			t.Fatal(err)
		}
		stored, err := fx.svc.Flags.PhotoFlags(ctx, fx.inspector, ph.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ph.ID, stored
	}
	review := func(f inspect.AIFlag, confirm bool) {
		if _, err := fx.svc.Flags.ReviewFlag(ctx, fx.admin, f.ID, confirm, map[bool]string{true: "", false: "a pram"}[confirm]); err != nil {
			t.Fatal(err)
		}
	}
	_, a := photo(90, inspect.CheckTwoWheelerIndoor)
	review(a[0], true)
	_, b := photo(120, inspect.CheckTwoWheelerIndoor)
	review(b[0], false)
	c, _ := photo(150)
	mf, err := inspect.NewManualFlag(inspect.CheckEscapeRouteObstructed, "boxes at the exit")
	if err != nil {
		t.Fatal(err)
	}
	manual, err := fx.svc.Flags.AddManualFlag(ctx, fx.inspector, c, mf)
	if err != nil {
		t.Fatal(err)
	}
	review(manual, true)
	photo(180, inspect.CheckTwoWheelerIndoor) // pending: not reviewed, left out

	// An exit item (whose rule names only escape_route_obstructed) with a photo the
	// inspector failed as a hazard: the active model's bicycle there is an
	// obstruction (at an exit, wherever it stands); the candidate misses it.
	var exit inspect.ItemDetail
	for _, it := range started.Items {
		if len(it.AIChecks) == 1 && it.AIChecks[0] == inspect.CheckEscapeRouteObstructed {
			exit = it
			break
		}
	}
	if exit.Code == "" {
		t.Fatal("the hotel's checklist has no item whose only AI check is escape_route_obstructed")
	}
	exitPhoto := flatJPEG(t, 64, 64, 210)
	sum := sha256.Sum256(exitPhoto)
	if _, _, err := fx.svc.Photos.SavePhoto(ctx, fx.inspector, inspect.Photo{ID: uuid.New(), InspectionID: fx.insp.ID, ItemCode: exit.Code,
		SHA256: hex.EncodeToString(sum[:]), Type: inspect.PhotoJPEG, Size: int64(len(exitPhoto)), Width: 64, Height: 64},
		bytes.NewReader(exitPhoto), exitPhoto); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Inspections.AnswerItem(ctx, fx.inspector, fx.insp.ID, inspect.Item{Code: exit.Code, Answer: inspect.AnswerFail,
		Outcome: inspect.OutcomeHazard, Note: "bicycles chained across the exit"}); err != nil {
		t.Fatal(err)
	}

	// The active model: a bicycle in the upper half of every photo (above the
	// floor, so no obstruction in a corridor; at an exit a two-wheeler anywhere is
	// one). The candidate: an e-bike detector that sees nothing here.
	activeDir := modeltest.YOLOv8Dir(t, "coco_like", []string{"person", "bicycle"},
		[]modeltest.Box{{Class: 1, Score: 0.9, CX: 32, CY: 14, W: 20, H: 20}}, "")
	candidateDir := modeltest.YOLOv8Dir(t, "city_ebikes", []string{"ebike", "charger"}, nil,
		"checks:\n  two_wheeler_indoor: {classes: [ebike]}\n")
	// The candidate's manifest under another name: --manifest takes any file name.
	manifest := filepath.Join(candidateDir, "city_ebikes_v2.yaml")
	if err := os.Rename(filepath.Join(candidateDir, "manifest.yaml"), manifest); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{
		"DATABASE_URL": fx.dbURL, "SAFEGRID_S3_ENDPOINT": os.Getenv("SAFEGRID_S3_ENDPOINT"),
		"SAFEGRID_S3_BUCKET": fx.bucket.Bucket(), "SAFEGRID_ORT_LIB": os.Getenv("SAFEGRID_ORT_LIB"),
	}
	run := func(args ...string) string {
		var stdout, stderr bytes.Buffer
		re := &runEnv{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
		if code := runMain(ctx, re, append([]string{"model", "eval", "--active", activeDir, "--manifest", manifest}, args...)); code != 0 {
			t.Fatalf("model eval: exit %d, %s", code, stderr.String())
		}
		return stdout.String()
	}

	var rep modelEval
	if err := json.Unmarshal([]byte(run("--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Photos != 4 || rep.Failed != 0 || rep.Active.Name != "coco_like" || rep.Candidate.Name != "city_ebikes" {
		t.Fatalf("eval over %d photos (%d failed), active %+v, candidate %+v; want 4 reviewed photos", rep.Photos, rep.Failed, rep.Active, rep.Candidate)
	}
	rate := func(num, den int64) inspect.Rate { return inspect.Rate{Num: num, Den: den} }
	esc, tw := inspect.CheckEscapeRouteObstructed, inspect.CheckTwoWheelerIndoor
	want := []evalCheck{
		// The hand-added obstruction: a recall miss for both models. The exit item's
		// hazard: the active model's bicycle at the exit, a miss for the candidate.
		{Code: esc,
			Active:    inspect.CheckScore{Code: esc, Decided: 2, Hazards: 2, Flagged: 1, TruePositives: 1, Missed: 1, Precision: rate(1, 1), Recall: rate(1, 2)},
			Candidate: inspect.CheckScore{Code: esc, Decided: 2, Hazards: 2, Missed: 2, Recall: rate(0, 2)}},
		// The active model flags both decided photos: one right, one wrong; the
		// candidate flags none and misses the confirmed one.
		{Code: tw,
			Active:    inspect.CheckScore{Code: tw, Decided: 2, Hazards: 1, Flagged: 2, TruePositives: 1, FalsePositives: 1, Precision: rate(1, 2), Recall: rate(1, 1)},
			Candidate: inspect.CheckScore{Code: tw, Decided: 2, Hazards: 1, Missed: 1, Recall: rate(0, 1)}},
	}
	if len(rep.Checks) != len(want) {
		t.Fatalf("checks %+v, want %+v", rep.Checks, want)
	}
	for i := range want {
		if rep.Checks[i] != want[i] {
			t.Errorf("check %d:\n got %+v\nwant %+v", i, rep.Checks[i], want[i])
		}
	}

	text := run()
	t.Logf("safegrid model eval:\n%s", text)
	for _, line := range []string{
		"4 reviewed photos (0 left out); active coco_like",
		"CHECK", "ACTIVE PRECISION", "CANDIDATE RECALL",
		"two_wheeler_indoor       2        1        1/2 0.50          1/1 1.00       0/0 –                0/1 0.00",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("text output lacks %q:\n%s", line, text)
		}
	}
}
