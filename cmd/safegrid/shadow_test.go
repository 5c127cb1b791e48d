package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/models/modeltest"
	"github.com/safegrid/safegrid/storage/jobs"
)

// generatedDetector opens a generated YOLOv8-layout model (see modeltest.YOLOv8Dir),
// loading the ONNX Runtime from SAFEGRID_ORT_LIB or skipping the test loudly.
func generatedDetector(t *testing.T, name string, classes []string, boxes []modeltest.Box, checksYAML string) *models.Detector {
	t.Helper()
	lib := os.Getenv("SAFEGRID_ORT_LIB")
	if lib == "" {
		t.Skip("SKIPPED: SAFEGRID_ORT_LIB is not set — it must name libonnxruntime.so.1 of ONNX Runtime " + models.RuntimeVersion + "; this test runs generated models on the real runtime")
	}
	if err := models.InitRuntime(lib); err != nil {
		t.Fatal(err)
	}
	d, err := models.Open(modeltest.YOLOv8Dir(t, name, classes, boxes, checksYAML), models.Options{Sessions: 1, IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// flatJPEG is a w×h JPEG of one grey level.
func flatJPEG(t testing.TB, w, h int, grey uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = grey
	}
	img.Set(0, 0, color.Gray{Y: grey + 1})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// startedCorridorItem starts fx's inspection and returns its corridor item with the
// two_wheeler_indoor check.
func startedCorridorItem(t *testing.T, fx analysisFixture) inspect.ItemDetail {
	t.Helper()
	started, err := fx.svc.Inspections.StartInspection(context.Background(), fx.inspector, fx.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	return corridorItem(t, started)
}

// uploadItemPhoto uploads a flat 64×64 JPEG of the given grey for item of fx's
// inspection.
func uploadItemPhoto(t *testing.T, fx analysisFixture, item inspect.ItemDetail, grey uint8) uuid.UUID {
	t.Helper()
	data := flatJPEG(t, 64, 64, grey)
	sum := sha256.Sum256(data)
	ph := inspect.Photo{ID: uuid.New(), InspectionID: fx.insp.ID, ItemCode: item.Code, SHA256: hex.EncodeToString(sum[:]),
		Type: inspect.PhotoJPEG, Size: int64(len(data)), Width: 64, Height: 64}
	if _, _, err := fx.svc.Photos.SavePhoto(context.Background(), fx.inspector, ph, bytes.NewReader(data), data); err != nil {
		t.Fatal(err)
	}
	return ph.ID
}

// analyseItemPhoto uploads a photo as uploadItemPhoto does and runs the analysis
// job w on it by hand.
func analyseItemPhoto(t *testing.T, fx analysisFixture, w *jobs.AnalysePhotoWorker, item inspect.ItemDetail, grey uint8) uuid.UUID {
	t.Helper()
	id := uploadItemPhoto(t, fx, item, grey)
	job := &river.Job[jobs.AnalysePhotoArgs]{JobRow: &rivertype.JobRow{ID: 1}, Args: jobs.AnalysePhotoArgs{PhotoID: id}}
	if err := w.Work(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestShadowCandidateBesideActive runs the analysis job with an active model that
// sees nothing and a candidate (a city's own e-bike detector) that sees an e-bike:
// the candidate's flag is stored in shadow and reported but not queued; once an
// admin promotes it, its flags are queued and the old model runs in shadow; once
// the promotion is reverted, the old model is active again.
func TestShadowCandidateBesideActive(t *testing.T) {
	coco := generatedDetector(t, "coco_like", []string{"person", "bicycle"}, nil, "")
	city := generatedDetector(t, "city_ebikes", []string{"ebike", "charger"},
		[]modeltest.Box{{Class: 0, Score: 0.9, CX: 32, CY: 32, W: 40, H: 40}},
		"checks:\n  two_wheeler_indoor: {classes: [ebike]}\n")

	ctx := context.Background()
	fx := newAnalysisFixture(t)
	item := startedCorridorItem(t, fx)
	w := jobs.NewAnalysePhotoWorker(fx.svc.Photos, coco, city, slog.New(slog.NewTextHandler(io.Discard, nil)))
	analyse := func(grey uint8) uuid.UUID { return analyseItemPhoto(t, fx, w, item, grey) }
	queued := func() []inspect.AIFlag {
		t.Helper()
		fs, err := fx.svc.Flags.Flags(ctx, fx.admin, inspect.FlagFilter{Review: "all"})
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	report := func() map[string]inspect.ShadowModel {
		t.Helper()
		rep, err := fx.svc.Flags.ShadowReport(ctx, fx.admin)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]inspect.ShadowModel{}
		for _, c := range rep.Candidates {
			out[c.Model.Name] = c
		}
		return out
	}

	analyse(100)
	if q := queued(); len(q) != 0 {
		t.Fatalf("the candidate's flag reached the review queue: %+v", q)
	}
	r := report()["city_ebikes"]
	if r.Photos != 1 || len(r.Checks) != 1 || r.Checks[0].Code != inspect.CheckTwoWheelerIndoor || r.Checks[0].CandidateFlags != 1 || r.Checks[0].ActiveFlags != 0 {
		t.Fatalf("shadow report of the candidate: %+v", r)
	}

	pr, err := fx.svc.Flags.PromoteModel(ctx, fx.admin, city.SHA256(), "sees e-bikes")
	if err != nil {
		t.Fatal(err)
	}
	second := analyse(120)
	q := queued()
	if len(q) != 1 || q[0].PhotoID != second || q[0].ModelName != "city_ebikes" || q[0].Code != inspect.CheckTwoWheelerIndoor {
		t.Fatalf("after the promotion the queue holds %+v, want the promoted model's flag on the second photo", q)
	}
	if r := report()["coco_like"]; r.Photos != 1 {
		t.Errorf("after the promotion the replaced model did not run in shadow: %+v", r)
	}

	if _, err := fx.svc.Flags.RevertPromotion(ctx, fx.admin, pr.ID); err != nil {
		t.Fatal(err)
	}
	analyse(140)
	if q := queued(); len(q) != 1 {
		t.Errorf("after the revert the queue holds %d flags, want still 1: %+v", len(q), q)
	}
	if r := report()["city_ebikes"]; r.Photos != 2 {
		t.Errorf("after the revert the candidate ran in shadow on %d photos, want 2", r.Photos)
	}
}
