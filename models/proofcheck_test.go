package models

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

func reshoot(t testing.TB, img image.Image, cropPct int) image.Image {
	return phototest.Reshoot(t, img, cropPct)
}

// syntheticRoom draws a made-up scene: a floor and wall gradient with furniture-like
// blocks, shelves and stripes placed by seed.
func syntheticRoom(seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	const w, h = 640, 480
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	wall := color.NRGBA{uint8(120 + rng.IntN(100)), uint8(120 + rng.IntN(100)), uint8(120 + rng.IntN(100)), 255}
	horizon := 200 + rng.IntN(120)
	fr, fb, dir := 20+rng.IntN(100), 60+rng.IntN(80), 1-2*rng.IntN(2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := wall
			if y > horizon {
				c = color.NRGBA{uint8(fr + y/8), uint8(50 + y/10), uint8(fb + (x*dir)/16), 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	for i := 0; i < 14; i++ {
		x, y := rng.IntN(w-60), rng.IntN(h-60)
		bw, bh := 30+rng.IntN(160), 20+rng.IntN(140)
		c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		draw.Draw(img, image.Rect(x, y, x+bw, y+bh), &image.Uniform{c}, image.Point{}, draw.Src)
	}
	return img
}

// objectBox is where TestCompareScenesGenerated puts the "hazard".
var objectBox = image.Rect(260, 300, 420, 460)

func withObject(img image.Image) *image.NRGBA {
	out := imaging.Clone(img)
	draw.Draw(out, objectBox, &image.Uniform{color.NRGBA{200, 30, 30, 255}}, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(290, 330, 390, 350), &image.Uniform{color.NRGBA{20, 20, 20, 255}}, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(290, 400, 390, 430), &image.Uniform{color.NRGBA{240, 240, 240, 255}}, image.Point{}, draw.Src)
	return out
}

// TestCompareScenesGenerated is the same-place measure on generated scenes: no photo
// or model needed, so it always runs.
func TestCompareScenesGenerated(t *testing.T) {
	room := syntheticRoom(1)
	tests := []struct {
		name  string
		proof image.Image
		same  bool
	}{
		{"the same image", room, true},
		{"re-shot: shifted, zoomed 8 %, brighter, JPEG 70", reshoot(t, room, 8), true},
		{"re-shot: zoomed out (the evidence is the crop)", imaging.Resize(paddedOut(room), 640, 480, imaging.Linear), true},
		{"another room", syntheticRoom(2), false},
		{"a third room, re-shot", reshoot(t, syntheticRoom(3), 8), false},
		{"a flat grey wall", imaging.New(640, 480, color.NRGBA{128, 128, 128, 255}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := CompareScenes(room, tt.proof, nil)
			t.Logf("score %.3f (grey %.3f, edges %.3f, dhash distance %d) at %+v", m.Score, m.Grey, m.Edges, m.HashDistance, m.Align)
			if got := m.Score >= SamePlaceScore; got != tt.same {
				t.Errorf("same place = %v (score %.3f), want %v", got, m.Score, tt.same)
			}
			if tt.same && m.HashDistance > 16 {
				t.Errorf("dhash distance %d for the same place, want ≤ 16", m.HashDistance)
			}
		})
	}
}

// paddedOut is img seen from further back: it fills the middle 90 % of a frame whose
// border is a plain wall.
func paddedOut(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := imaging.New(b.Dx()*10/9, b.Dy()*10/9, color.NRGBA{150, 150, 150, 255})
	return imaging.Paste(out, img, image.Pt(b.Dx()/18, b.Dy()/18))
}

// generatedProof is a photo of the synthetic room for CompareProof: flags are given,
// as the detector would give them.
func generatedProof(img image.Image, flags ...Flag) ProofPhoto {
	return ProofPhoto{Image: img, Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Flags: flags}
}

func objectFlag(r image.Rectangle, score float32) Flag {
	return Flag{Code: inspect.CheckTwoWheelerIndoor, Status: StatusFlag, Score: score,
		Boxes: []Rect{{X1: float32(r.Min.X), Y1: float32(r.Min.Y), X2: float32(r.Max.X), Y2: float32(r.Max.Y)}}}
}

// TestCompareProofGenerated runs the verdicts on generated scenes with given flags.
func TestCompareProofGenerated(t *testing.T) {
	room := syntheticRoom(1)
	before := withObject(room)
	evidence := generatedProof(before, objectFlag(objectBox, 0.85))
	hazardAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	site := ProofPlace{HasSite: true, Lat: 31.2304, Lng: 121.4737, HazardAt: hazardAt}
	gone := reshoot(t, room, 6)
	tests := []struct {
		name    string
		proof   ProofPhoto
		want    string
		reasons []string
	}{
		{"object removed, re-shot", generatedProof(gone), VerdictHazardGone, []string{ReasonSceneMatches, ReasonCheckSilent}},
		{"unchanged, check fires again", generatedProof(reshoot(t, before, 6), objectFlag(objectBox, 0.8)), VerdictStillPresent, []string{ReasonCheckFiresAgain, ReasonRegionUnchanged}},
		{"unchanged, the detector misses it", generatedProof(reshoot(t, before, 6)), VerdictStillPresent, []string{ReasonCheckSilent, ReasonRegionUnchanged}},
		{"the check fires elsewhere only", generatedProof(gone, objectFlag(image.Rect(10, 10, 80, 80), 0.7)), VerdictHazardGone, []string{ReasonCheckSilent}},
		{"another room", generatedProof(syntheticRoom(2)), VerdictDifferentPlace, []string{ReasonSceneDiffers}},
		{"GPS 5 km away", ProofPhoto{Image: gone, Width: 640, Height: 480, EXIF: inspect.EXIF{HasGPS: true, Lat: 31.2754, Lng: 121.4737}}, VerdictDifferentPlace, []string{ReasonSceneMatches, ReasonGPSFarFromSite}},
		{"GPS at the site, taken after", ProofPhoto{Image: gone, Width: 640, Height: 480, EXIF: inspect.EXIF{HasGPS: true, Lat: 31.2306, Lng: 121.4739, TakenAt: hazardAt.Add(48 * time.Hour), TakenAtZoneKnown: true}}, VerdictHazardGone, []string{ReasonGPSNearSite, ReasonTakenAfterHazard}},
		{"taken a week before the hazard", ProofPhoto{Image: gone, Width: 640, Height: 480, EXIF: inspect.EXIF{TakenAt: hazardAt.Add(-7 * 24 * time.Hour)}}, VerdictDifferentPlace, []string{ReasonTakenBefore}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := CompareProof(evidence, tt.proof, site)
			t.Logf("%s: same place %.3f, still present %.3f, region %.3f, reasons %v", c.Verdict, c.SamePlaceScore, c.StillPresentScore, c.Scene.Region, c.Reasons)
			if c.Verdict != tt.want {
				t.Errorf("verdict %s, want %s", c.Verdict, tt.want)
			}
			for _, r := range tt.reasons {
				if !slices.Contains(c.Reasons, r) {
					t.Errorf("reasons %v lack %s", c.Reasons, r)
				}
			}
		})
	}
}

// sharedPhotos opens every photo in SAFEGRID_TEST_IMAGES, or skips.
func sharedPhotos(t *testing.T) map[string]image.Image {
	t.Helper()
	dir := requireEnv(t, envTestImages)
	paths, _ := filepath.Glob(filepath.Join(dir, "*"))
	out := map[string]image.Image{}
	for _, p := range paths {
		if ext := filepath.Ext(p); ext != ".jpg" && ext != ".png" {
			continue
		}
		img, err := imaging.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = img
	}
	if len(out) < 2 {
		t.Fatalf("fewer than two photos in %s", dir)
	}
	return out
}

// TestCompareScenesRealPhotos: each shared photo, re-shot, is the same place as
// itself, and no other shared photo is. It needs the photos, not the model.
func TestCompareScenesRealPhotos(t *testing.T) {
	photos := sharedPhotos(t)
	names := make([]string, 0, len(photos))
	for n := range photos {
		names = append(names, n)
	}
	slices.Sort(names)
	// At the size the analysis job decodes them for the check.
	small, again := map[string]image.Image{}, map[string]image.Image{}
	for _, n := range names {
		small[n] = imaging.Fit(photos[n], ProofSide*2, ProofSide*2, imaging.Linear)
		again[n] = reshoot(t, small[n], 8)
	}
	var minSame, maxOther float32 = 1, 0
	for _, a := range names {
		m := CompareScenes(small[a], again[a], nil)
		minSame = min(minSame, m.Score)
		if m.Score < SamePlaceScore {
			t.Errorf("%s re-shot: score %.3f, want ≥ %.2f (same place)", a, m.Score, SamePlaceScore)
		}
		for _, b := range names {
			if b == a {
				continue
			}
			m := CompareScenes(small[a], again[b], nil)
			maxOther = max(maxOther, m.Score)
			if m.Score >= SamePlaceScore {
				t.Errorf("%s against %s: score %.3f, want < %.2f (different places)", a, b, m.Score, SamePlaceScore)
			}
		}
	}
	t.Logf("re-shot scenes: lowest %.3f; different photos: highest %.3f (threshold %.2f)", minSame, maxOther, SamePlaceScore)
}
