package models

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// Real photos from SAFEGRID_TEST_IMAGES (see its SOURCES.md).
const (
	photoMotorcycleEntryway = "coco_343934_motorcycle_entryway_ccby.jpg"
	photoMotorcycleStore    = "skimage_middlebury_motorcycle_left.png"
	photoBicyclesEntrance   = "openimages_0dc08fe92b930864_bicycles_parked_at_entrance.jpg"
	photoExitChairs         = "openimages_0dee4c4650d50ef0_exit_sign_glass_doors_chairs.jpg"
	photoBedroom            = "coco_001993_bedroom_ccby.jpg"
	photoKitchen            = "coco_007574_messy_kitchen_ccby.jpg"
)

// realDetector installs the named real model from SAFEGRID_MODEL_SOURCE into a temporary
// cache and opens it, or skips loudly when the runtime or the source is not given.
func realDetector(t testing.TB, name string, opts Options) *Detector {
	t.Helper()
	setupRuntime(t)
	source := requireEnv(t, envModelSource)
	dir, err := Install(context.Background(), source, name, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func photoPath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(requireEnv(t, envTestImages), name)
}

// best returns the highest score of class among dets (0 when absent) and how many
// detections of it there are.
func best(dets []Detection, class string) (float32, int) {
	var top float32
	n := 0
	for _, d := range dets {
		if d.Class == class {
			top = max(top, d.Score)
			n++
		}
	}
	return top, n
}

func TestYOLOXRealPhotos(t *testing.T) {
	d := realDetector(t, "yolox_nano", Options{Sessions: 1})
	if d.Name() != "yolox_nano" || d.SHA256() != "695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14" {
		t.Fatalf("opened %s %s", d.Name(), d.SHA256())
	}
	tests := []struct {
		photo    string
		class    string
		minScore float32
		minCount int
	}{
		{photoMotorcycleEntryway, "motorcycle", 0.6, 1},
		{photoMotorcycleStore, "motorcycle", 0.6, 1},
		{photoBicyclesEntrance, "bicycle", 0.5, 1},
		{photoExitChairs, "chair", ReviewScore, 2},
	}
	for _, tt := range tests {
		t.Run(tt.photo, func(t *testing.T) {
			dets, bounds, err := d.DetectFile(t.Context(), photoPath(t, tt.photo))
			if err != nil {
				t.Fatal(err)
			}
			for _, det := range dets {
				t.Logf("%s %.3f %v", det.Class, det.Score, det.Box)
				b := bounds
				if det.Box.X1 < 0 || det.Box.Y1 < 0 || det.Box.X2 > float32(b.Dx()) || det.Box.Y2 > float32(b.Dy()) || det.Box.Area() <= 0 {
					t.Errorf("box %v outside the %dx%d photo or empty", det.Box, b.Dx(), b.Dy())
				}
			}
			top, n := best(dets, tt.class)
			if top < tt.minScore || n < tt.minCount {
				t.Errorf("%s: best %.3f over %d detections; want ≥ %.2f and at least %d", tt.class, top, n, tt.minScore, tt.minCount)
			}
		})
	}
}

// TestYOLOXRealFlags is acceptance 1 in test form: as corridor photos, the two indoor
// motorcycles are flagged as two-wheelers indoors and the bedroom and kitchen are not.
func TestYOLOXRealFlags(t *testing.T) {
	d := realDetector(t, "yolox_nano", Options{Sessions: 1})
	tests := []struct {
		photo string
		want  bool
	}{
		{photoMotorcycleEntryway, true},
		{photoMotorcycleStore, true},
		{photoBedroom, false},
		{photoKitchen, false},
	}
	for _, tt := range tests {
		t.Run(tt.photo, func(t *testing.T) {
			dets, bounds, err := d.DetectFile(t.Context(), photoPath(t, tt.photo))
			if err != nil {
				t.Fatal(err)
			}
			flags := MapFlags(dets, bounds.Dx(), bounds.Dy(), "corridor", nil)
			got := slices.ContainsFunc(flags, func(f Flag) bool { return f.Code == "two_wheeler_indoor" })
			if got != tt.want {
				t.Errorf("two_wheeler_indoor flagged = %v, want %v (flags %+v)", got, tt.want, flags)
			}
			for _, f := range flags {
				if f.Code == "two_wheeler_indoor" && f.Status != StatusFlag {
					t.Errorf("two_wheeler_indoor status %s at %.2f, want %s", f.Status, f.Score, StatusFlag)
				}
			}
		})
	}
}

func TestFastestDetRealPhotos(t *testing.T) {
	d := realDetector(t, "fastestdet", Options{Sessions: 1})
	dets, _, err := d.DetectFile(t.Context(), photoPath(t, photoMotorcycleEntryway))
	if err != nil {
		t.Fatal(err)
	}
	for _, det := range dets {
		t.Logf("%s %.3f %v", det.Class, det.Score, det.Box)
	}
	if top, _ := best(dets, "motorcycle"); top < 0.5 {
		t.Errorf("motorcycle best %.3f, want ≥ 0.5", top)
	}
}

// TestDetectConcurrent runs more photos at once than there are sessions; every result
// must equal the one-at-a-time result (sessions are not shared between goroutines).
func TestDetectConcurrent(t *testing.T) {
	d := realDetector(t, "yolox_nano", Options{Sessions: 2})
	photos := []string{photoMotorcycleEntryway, photoMotorcycleStore, photoBicyclesEntrance, photoExitChairs, photoBedroom, photoKitchen}
	want := map[string][]Detection{}
	for _, p := range photos {
		dets, _, err := d.DetectFile(t.Context(), photoPath(t, p))
		if err != nil {
			t.Fatal(err)
		}
		want[p] = dets
	}
	var wg sync.WaitGroup
	for range 2 {
		for _, p := range photos {
			wg.Go(func() {
				dets, _, err := d.DetectFile(t.Context(), photoPath(t, p))
				if err != nil {
					t.Error(err)
					return
				}
				if !slices.Equal(dets, want[p]) {
					t.Errorf("%s: concurrent result %v differs from %v", p, dets, want[p])
				}
			})
		}
	}
	wg.Wait()
}
