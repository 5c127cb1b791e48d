package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/storage"
)

// TestDatasetExport reviews two analysed photos — one flag confirmed, one rejected —
// and checks the YOLO data set: both images, a label line for the confirmed box only
// (class id and normalised box), an empty label file for the rejected photo, the
// model's class list and every decision with its reason.
func TestDatasetExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := newAnalysisFixture(t)
	started, err := fx.svc.Inspections.StartInspection(ctx, fx.inspector, fx.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	item := corridorItem(t, started)
	admin := fx.admin

	// A photo of 200×100 with a motorcycle box covering its left half.
	analysed := func(shade uint8) (uuid.UUID, int64) {
		img := image.NewRGBA(image.Rect(0, 0, 200, 100))
		for i := range img.Pix {
			img.Pix[i] = shade
		}
		img.Set(0, 0, color.RGBA{R: 255, A: 255})
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, nil); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		sum := sha256.Sum256(b)
		ph := inspect.Photo{ID: uuid.New(), InspectionID: fx.insp.ID, ItemCode: item.Code, SHA256: hex.EncodeToString(sum[:]),
			Type: inspect.PhotoJPEG, Size: int64(len(b)), Width: 200, Height: 100}
		if _, _, err := fx.svc.Photos.SavePhoto(ctx, fx.inspector, ph, bytes.NewReader(b), b); err != nil {
			t.Fatal(err)
		}
		dets := json.RawMessage(`[{"class":"motorcycle","class_id":3,"score":0.9,"box":{"x1":0,"y1":20,"x2":100,"y2":100}},
			{"class":"person","class_id":0,"score":0.8,"box":{"x1":150,"y1":0,"x2":200,"y2":100}}]`)
		flag := inspect.AIFlag{Code: "two_wheeler_indoor", Status: "flag", Score: 0.9, Reason: "motorcycle in a corridor photo",
			Boxes: []inspect.FlagBox{{Class: "motorcycle", Score: 0.9, X1: 0, Y1: 20, X2: 100, Y2: 100}}}
		a := storage.Analysis{PhotoID: ph.ID, ModelName: "yolox_nano", ModelSHA256: strings.Repeat("ef", 32), Width: 200, Height: 100,
			Detections: dets, AnalysedAt: time.Now()}
		a.Annotated = b
		if err := fx.svc.Photos.SaveAnalysis(ctx, a, fx.site.ID, item.Code, []inspect.AIFlag{flag}); err != nil {
			t.Fatal(err)
		}
		flags, err := fx.svc.Flags.PhotoFlags(ctx, fx.inspector, ph.ID)
		if err != nil || len(flags) != 1 {
			t.Fatalf("flags: %v, %v", flags, err)
		}
		return ph.ID, flags[0].ID
	}
	confirmedPhoto, confirmedFlag := analysed(90)
	rejectedPhoto, rejectedFlag := analysed(160)
	if _, err := fx.svc.Flags.ReviewFlag(ctx, admin, confirmedFlag, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Flags.ReviewFlag(ctx, admin, rejectedFlag, false, "a parked wheelchair"); err != nil {
		t.Fatal(err)
	}
	analysed(200) // pending: not exported

	out := t.TempDir()
	env := map[string]string{
		"DATABASE_URL": fx.dbURL, "SAFEGRID_S3_ENDPOINT": os.Getenv("SAFEGRID_S3_ENDPOINT"),
		"SAFEGRID_S3_BUCKET": fx.bucket.Bucket(),
	}
	var stdout, stderr bytes.Buffer
	re := &runEnv{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
	if code := runMain(ctx, re, []string{"dataset", "export", out}); code != 0 {
		t.Fatalf("dataset export: exit %d, %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "exported 2 reviewed photos with 1 confirmed boxes") {
		t.Errorf("summary %q", stdout.String())
	}

	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(out, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read("labels/"+confirmedPhoto.String()+".txt"), "3 0.250000 0.600000 0.500000 0.800000\n"; got != want {
		t.Errorf("label of the confirmed photo = %q, want %q (the motorcycle only, not the person)", got, want)
	}
	if got := read("labels/" + rejectedPhoto.String() + ".txt"); got != "" {
		t.Errorf("label of the rejected photo = %q, want empty", got)
	}
	for _, id := range []uuid.UUID{confirmedPhoto, rejectedPhoto} {
		if _, err := jpeg.Decode(strings.NewReader(read("images/" + id.String() + ".jpg"))); err != nil {
			t.Errorf("exported image %s: %v", id, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(out, "images"))
	if len(entries) != 2 {
		t.Errorf("%d images exported, want 2 (the pending flag's photo is not reviewed)", len(entries))
	}
	classes := strings.Split(strings.TrimSpace(read("classes.txt")), "\n")
	if len(classes) != 80 || classes[3] != "motorcycle" {
		t.Errorf("classes.txt has %d classes, class 3 %q; want COCO's 80 with motorcycle at 3", len(classes), classes[3])
	}
	var decisions []map[string]any
	sc := bufio.NewScanner(strings.NewReader(read("decisions.jsonl")))
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		decisions = append(decisions, d)
	}
	if len(decisions) != 2 || decisions[0]["review"] != "confirmed" || decisions[1]["review"] != "rejected" || decisions[1]["reason"] != "a parked wheelchair" {
		t.Errorf("decisions = %v", decisions)
	}
}
