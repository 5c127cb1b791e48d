package models

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

// proofSide runs the detector and the evidence flags' checks on img as the analysis
// job does on a proof photo: the photo as uploaded (a JPEG), decoded by the one decode
// path.
func proofSide(t *testing.T, d *Detector, img image.Image, checks []string) ProofPhoto {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	dets, bounds, err := d.DetectBytes(t.Context(), buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := photo.Decode(buf.Bytes(), ProofSide)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dec.Close)
	return ProofPhoto{Image: dec.Image, Width: bounds.Dx(), Height: bounds.Dy(),
		Flags: MapFlags(dets, bounds.Dx(), bounds.Dy(), "", checks)}
}

// TestProofCheckRealPhotos is acceptance 4 of issue 15: the evidence photo is the
// motorcycle in the entryway, flagged as a two-wheeler indoors; a proof of the same
// scene with the motorcycle painted out (and re-shot) is "hazard gone", a different
// photo is "different place", the same scene unchanged (re-shot) is "still present".
func TestProofCheckRealPhotos(t *testing.T) {
	d := realDetector(t, "yolox_nano", Options{Sessions: 1})
	photos := sharedPhotos(t)
	scene := photos[photoMotorcycleEntryway]
	checks := []string{inspect.CheckTwoWheelerIndoor}
	evidence := proofSide(t, d, scene, checks)
	if len(evidence.Flags) != 1 || len(evidence.Flags[0].Boxes) == 0 {
		t.Fatalf("evidence flags %+v, want the two-wheeler flag", evidence.Flags)
	}
	// Paint out every box the flag names, with a margin.
	gone := scene
	for _, b := range evidence.Flags[0].Boxes {
		r := image.Rect(int(b.X1)-8, int(b.Y1)-8, int(b.X2)+8, int(b.Y2)+8)
		gone = phototest.PaintOut(gone, r)
	}
	tests := []struct {
		name  string
		proof image.Image
		want  string
	}{
		{"same scene, motorcycle painted out, re-shot", reshoot(t, gone, 6), VerdictHazardGone},
		{"a different scene (the bedroom)", reshoot(t, photos[photoBedroom], 6), VerdictDifferentPlace},
		{"a different scene (the other motorcycle, in a storeroom)", reshoot(t, photos[photoMotorcycleStore], 6), VerdictDifferentPlace},
		{"same scene unchanged, re-shot", reshoot(t, scene, 6), VerdictStillPresent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proof := proofSide(t, d, tt.proof, checks)
			c := CompareProof(evidence, proof, ProofPlace{})
			t.Logf("%s: same place %.3f (grey %.3f, edges %.3f, dhash %d), still present %.3f (region %.3f), reasons %v, proof flags %+v",
				c.Verdict, c.SamePlaceScore, c.Scene.Grey, c.Scene.Edges, c.Scene.HashDistance, c.StillPresentScore, c.Scene.Region, c.Reasons, proof.Flags)
			if c.Verdict != tt.want {
				t.Errorf("verdict %s, want %s", c.Verdict, tt.want)
			}
		})
	}
}
