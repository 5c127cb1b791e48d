package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo/phototest"
	"github.com/safegrid/safegrid/storage/jobs"
)

// TestProofCheckJob is issue 15 through the analysis job: the inspector's photo of
// the motorcycle in the entryway is flagged and confirmed into a hazard; three proof
// photos uploaded to the hazard — the scene with the motorcycle painted out, another
// room, the scene unchanged (each re-shot) — are analysed, and the hazard's detail
// carries one proof check each with the three verdicts. The hazard does not move.
func TestProofCheckJob(t *testing.T) {
	_, images, _ := realEnv(t)
	ctx := context.Background()
	det := realDetector(t)
	open := func(name string) image.Image {
		img, err := imaging.Open(filepath.Join(images, name))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}

	fx := newAnalysisFixture(t)
	started, err := fx.svc.Inspections.StartInspection(ctx, fx.inspector, fx.insp.ID)
	if err != nil {
		t.Fatal(err)
	}
	item := corridorItem(t, started)
	w := jobs.NewAnalysePhotoWorker(fx.svc.Photos, det, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	upload := func(p inspect.Principal, img image.Image, target inspect.Photo) uuid.UUID {
		t.Helper()
		data := phototest.Encode(t, img, 90)
		sum := sha256.Sum256(data)
		ph := target
		ph.ID, ph.SHA256, ph.Type, ph.Size = uuid.New(), hex.EncodeToString(sum[:]), inspect.PhotoJPEG, int64(len(data))
		ph.Width, ph.Height = img.Bounds().Dx(), img.Bounds().Dy()
		if _, _, err := fx.svc.Photos.SavePhoto(ctx, p, ph, bytes.NewReader(data), data); err != nil {
			t.Fatal(err)
		}
		job := &river.Job[jobs.AnalysePhotoArgs]{JobRow: &rivertype.JobRow{ID: 1}, Args: jobs.AnalysePhotoArgs{PhotoID: ph.ID}}
		if err := w.Work(ctx, job); err != nil {
			t.Fatalf("analyse photo %s: %v", ph.ID, err)
		}
		return ph.ID
	}

	scene := open("coco_343934_motorcycle_entryway_ccby.jpg")
	evidenceID := upload(fx.inspector, scene, inspect.Photo{InspectionID: fx.insp.ID, ItemCode: item.Code})
	flags, err := fx.svc.Flags.PhotoFlags(ctx, fx.inspector, evidenceID)
	if err != nil {
		t.Fatal(err)
	}
	var flag inspect.AIFlag
	for _, f := range flags {
		if f.Code == inspect.CheckTwoWheelerIndoor {
			flag = f
		}
	}
	if flag.ID == 0 {
		t.Fatalf("evidence flags %+v lack two_wheeler_indoor", flags)
	}
	confirmed, err := fx.svc.Flags.ReviewFlag(ctx, fx.admin, flag.ID, true, "")
	if err != nil {
		t.Fatal(err)
	}
	before, err := fx.svc.Hazards.Hazard(ctx, fx.admin, confirmed.HazardID)
	if err != nil {
		t.Fatal(err)
	}

	gone := scene
	for _, b := range flag.Boxes {
		gone = phototest.PaintOut(gone, image.Rect(int(b.X1)-8, int(b.Y1)-8, int(b.X2)+8, int(b.Y2)+8))
	}
	proofs := []struct {
		name string
		img  image.Image
		want string
	}{
		{"motorcycle painted out", phototest.Reshoot(t, gone, 6), inspect.ProofHazardGone},
		{"the bedroom", phototest.Reshoot(t, open("coco_001993_bedroom_ccby.jpg"), 6), inspect.ProofDifferentPlace},
		{"unchanged", phototest.Reshoot(t, scene, 6), inspect.ProofStillPresent},
	}
	want := map[uuid.UUID]string{}
	names := map[uuid.UUID]string{}
	for _, p := range proofs {
		id := upload(fx.admin, p.img, inspect.Photo{HazardID: confirmed.HazardID})
		want[id], names[id] = p.want, p.name
	}

	d, err := fx.svc.Hazards.Hazard(ctx, fx.admin, confirmed.HazardID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ProofChecks) != len(proofs) {
		t.Fatalf("proof checks %+v, want one per proof photo (%d)", d.ProofChecks, len(proofs))
	}
	for _, c := range d.ProofChecks {
		t.Logf("%s: %s, same place %.3f, still present %.3f, reasons %v", names[c.ProofPhotoID], c.Verdict, c.SamePlaceScore, c.StillPresentScore, c.Reasons)
		if c.EvidencePhotoID != evidenceID {
			t.Errorf("proof %s compared with photo %s, want the evidence %s", names[c.ProofPhotoID], c.EvidencePhotoID, evidenceID)
		}
		if c.Verdict != want[c.ProofPhotoID] {
			t.Errorf("proof %s: verdict %s, want %s", names[c.ProofPhotoID], c.Verdict, want[c.ProofPhotoID])
		}
		if c.ModelName != "yolox_nano" || len(c.Reasons) == 0 {
			t.Errorf("proof %s: model %q, reasons %v", names[c.ProofPhotoID], c.ModelName, c.Reasons)
		}
	}
	if d.State != before.State || len(d.Events) != len(before.Events) {
		t.Errorf("the proof checks moved the hazard: state %s → %s, %d → %d events", before.State, d.State, len(before.Events), len(d.Events))
	}
}
