package models

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/safegrid/safegrid/models/benchgoal"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

// composite is a 12 MP phone-like JPEG (q90) of a plain wall with the photo at path
// pasted small, side pixels wide, at its centre: an object in the middle distance.
func composite(t testing.TB, path string, side int) []byte {
	t.Helper()
	src, err := imaging.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	bg := imaging.New(4032, 3024, color.NRGBA{R: 205, G: 200, B: 190, A: 255})
	small := imaging.Resize(src, side, 0, imaging.Lanczos)
	at := image.Pt((4032-small.Bounds().Dx())/2, (3024-small.Bounds().Dy())/2)
	return phototest.Encode(t, imaging.Paste(bg, small, at), 90)
}

func TestSlicingRegions(t *testing.T) {
	tests := []struct {
		name string
		s    Slicing
		want []Band
	}{
		{"off", Slicing{}, nil},
		{"centre crop", Slicing{Crop: 0.5}, []Band{{0.25, 0.25, 0.75, 0.75}}},
		{"2×2 tiles without overlap", Slicing{Tiles: 2}, []Band{{0, 0, 0.5, 0.5}, {0.5, 0, 1, 0.5}, {0, 0.5, 0.5, 1}, {0.5, 0.5, 1, 1}}},
		{"2×2 tiles, a quarter shared", Slicing{Tiles: 2, Overlap: 0.25}, []Band{
			{0, 0, 4.0 / 7, 4.0 / 7}, {3.0 / 7, 0, 1, 4.0 / 7}, {0, 3.0 / 7, 4.0 / 7, 1}, {3.0 / 7, 3.0 / 7, 1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.Regions()
			if len(got) != len(tt.want) {
				t.Fatalf("Regions() = %v, want %v", got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if !near(g.X1, w.X1) || !near(g.Y1, w.Y1) || !near(g.X2, w.X2) || !near(g.Y2, w.Y2) {
					t.Errorf("region %d = %v, want %v", i, g, w)
				}
			}
		})
	}
}

func TestMergeSlices(t *testing.T) {
	whole := det("motorcycle", 0.8, 100, 100, 300, 300)
	tests := []struct {
		name string
		in   []Detection
		want []Detection
	}{
		{"the same object from two passes is kept once, the best",
			[]Detection{det("motorcycle", 0.7, 105, 98, 302, 301), whole}, []Detection{whole}},
		{"a part of an object inside its whole box is dropped",
			[]Detection{whole, det("motorcycle", 0.5, 100, 100, 190, 290)}, []Detection{whole}},
		{"a part that scores higher than the whole keeps the whole too (the whole is not inside it)",
			[]Detection{det("motorcycle", 0.9, 100, 100, 190, 290), whole}, []Detection{det("motorcycle", 0.9, 100, 100, 190, 290), whole}},
		{"another class inside is kept",
			[]Detection{whole, det("person", 0.5, 120, 120, 200, 200)}, []Detection{whole, det("person", 0.5, 120, 120, 200, 200)}},
		{"a small object elsewhere is kept",
			[]Detection{whole, det("motorcycle", 0.4, 900, 900, 930, 920)}, []Detection{whole, det("motorcycle", 0.4, 900, 900, 930, 920)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDetections(t, MergeSlices(tt.in, 0.45), tt.want)
		})
	}
}

// TestSlicingFindsSmallObject: a motorcycle 700 pixels wide in the middle of a
// 12 MP photo is 72 pixels wide at the model's 416-pixel input, too small for
// YOLOX-nano in one pass; the centre-crop pass (the photo decoded at 1/4, the
// crop filling the input) sees it twice as large and finds it, where it is.
func TestSlicingFindsSmallObject(t *testing.T) {
	d := realDetector(t, "yolox_nano", Options{Sessions: 1})
	data := composite(t, photoPath(t, photoMotorcycleEntryway), 700)
	centre := Rect{X1: 2016 - 350, Y1: 1512 - 300, X2: 2016 + 350, Y2: 1512 + 300}

	d.manifest.Slicing = Slicing{}
	one, _, err := d.DetectBytes(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	if s, n := best(one, "motorcycle"); n > 0 {
		t.Errorf("one pass found the small motorcycle (%.2f): the composite no longer shows what slicing adds; make it smaller", s)
	}
	d.manifest.Slicing = Slicing{Crop: 0.5}
	sliced, bounds, err := d.DetectBytes(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	if bounds.Dx() != 4032 || bounds.Dy() != 3024 {
		t.Errorf("bounds %v, want the photo's 4032×3024", bounds)
	}
	s, n := best(sliced, "motorcycle")
	if n != 1 || s < ReviewScore {
		t.Fatalf("with a centre crop: %d motorcycles, best %.2f; want one ≥ %.2f (detections %v; one pass %v)", n, s, ReviewScore, sliced, one)
	}
	for _, det := range sliced {
		if det.Class == "motorcycle" && det.Box.IoU(centre) < 0.3 {
			t.Errorf("motorcycle at %v, want it over the pasted photo at %v (IoU %.2f)", det.Box, centre, det.Box.IoU(centre))
		}
	}
	if flags := MapFlags(sliced, 4032, 3024, LocationCorridor, nil); len(flags) == 0 || flags[0].Code != "two_wheeler_indoor" {
		t.Errorf("flags %+v, want two_wheeler_indoor", flags)
	}
}

// TestSlicingKeepsOneBoxPerObject: on real photos whose objects are large, every
// slicing variant finds the same objects as one pass, once each, where one pass
// found them (the parts' boxes are mapped back into the photo right and merged).
func TestSlicingKeepsOneBoxPerObject(t *testing.T) {
	d := realDetector(t, "yolox_nano", Options{Sessions: 1})
	tests := []struct {
		photo, class string
	}{
		{photoMotorcycleEntryway, "motorcycle"},
		{photoMotorcycleStore, "motorcycle"},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(photoPath(t, tt.photo))
		if err != nil {
			t.Fatal(err)
		}
		d.manifest.Slicing = Slicing{}
		one, _, err := d.DetectBytes(t.Context(), data)
		if err != nil {
			t.Fatal(err)
		}
		var want Rect
		for _, det := range one {
			if det.Class == tt.class {
				want = det.Box
				break
			}
		}
		if want.Area() == 0 {
			t.Fatalf("%s: one pass finds no %s: %v", tt.photo, tt.class, one)
		}
		for _, sl := range []Slicing{{Crop: 0.5}, {Tiles: 2, Overlap: 0.2}} {
			d.manifest.Slicing = sl
			dets, _, err := d.DetectBytes(t.Context(), data)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, det := range dets {
				if det.Class == tt.class && det.Box.IoU(want) > 0.1 {
					n++
					if iou := det.Box.IoU(want); iou < 0.7 {
						t.Errorf("%s, slicing %+v: %s at %v, one pass at %v (IoU %.2f, want ≥ 0.7)", tt.photo, sl, tt.class, det.Box, want, iou)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s, slicing %+v: %d boxes of the %s (%v), want 1", tt.photo, sl, n, tt.class, dets)
			}
		}
	}
}

// BenchmarkSlicing measures each slicing variant on the shared photos (as they
// are, ≈640 px, and as generated 12 MP JPEGs) against one pass: the cost in ms a
// photo, and every detection (≥ the model's threshold) and corridor flag that
// appears or disappears, with its score. It prints what BENCHMARKS.md records.
func BenchmarkSlicing(b *testing.B) {
	d := realDetector(b, "yolox_nano", Options{Sessions: 1})
	dir := requireEnv(b, envTestImages)
	type photoSet struct {
		name   string
		names  []string
		photos [][]byte
	}
	shared := photoSet{name: "shared ≈640-px photos"}
	paths, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range paths {
		if ext := strings.ToLower(filepath.Ext(p)); ext == ".jpg" || ext == ".png" {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			shared.names = append(shared.names, strings.TrimSuffix(filepath.Base(p), ext))
			shared.photos = append(shared.photos, data)
		}
	}
	phone := photoSet{name: "12 MP JPEGs made from them", photos: phototest.FromSharedPhotos(b, dir, 10)}
	jpgs, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	for _, p := range jpgs[:len(phone.photos)] {
		phone.names = append(phone.names, "12MP "+strings.TrimSuffix(filepath.Base(p), ".jpg"))
	}
	variants := []Slicing{{}, {Crop: 0.5}, {Crop: 0.6}, {Tiles: 2, Overlap: 0.2}}
	label := func(s Slicing) string {
		switch {
		case s.Crop > 0:
			return fmt.Sprintf("crop %.1f", s.Crop)
		case s.Tiles > 0:
			return fmt.Sprintf("tiles %d×%d overlap %.1f", s.Tiles, s.Tiles, s.Overlap)
		}
		return "one pass"
	}
	for _, set := range []photoSet{shared, phone} {
		results := make([][][]Detection, len(variants)) // [variant][photo]
		flags := make([][][]Flag, len(variants))
		took := make([]time.Duration, len(variants)) // wall time
		cpu := make([]time.Duration, len(variants))  // the process's CPU time: less swayed by other work on the machine
		// The variants take turns on each photo, so that a change in the machine's
		// load during the run weighs on all of them alike.
		const rounds = 3
		for r := range rounds {
			for _, data := range set.photos {
				for v, sl := range variants {
					d.manifest.Slicing = sl
					start, cpuStart := time.Now(), cpuTime(b)
					dets, bounds, err := d.DetectBytes(context.Background(), data)
					took[v] += time.Since(start)
					cpu[v] += cpuTime(b) - cpuStart
					if err != nil {
						b.Fatal(err)
					}
					if r == 0 {
						results[v] = append(results[v], dets)
						flags[v] = append(flags[v], MapFlags(dets, bounds.Dx(), bounds.Dy(), LocationCorridor, nil))
					}
				}
			}
		}
		ms, cpuMS := make([]float64, len(variants)), make([]float64, len(variants))
		for v := range variants {
			ms[v] = float64(took[v].Microseconds()) / 1000 / float64(rounds*len(set.photos))
			cpuMS[v] = float64(cpu[v].Microseconds()) / 1000 / float64(rounds*len(set.photos))
		}
		for v := range variants {
			found := 0
			for _, dets := range results[v] {
				found += len(dets)
			}
			fmt.Printf("slicing, %s, %s: %.1f ms/photo wall, %.1f ms CPU (+%.1f ms CPU over one pass), %d extra Run(s) a photo, %d detections\n",
				set.name, label(variants[v]), ms[v], cpuMS[v], cpuMS[v]-cpuMS[0], len(variants[v].Regions()), found)
			if v == 0 {
				continue
			}
			benchgoal.Info(fmt.Sprintf("slicing cost, %s, %s", label(variants[v]), set.name), cpuMS[v]-cpuMS[0], "CPU ms/photo",
				fmt.Sprintf("extra CPU time a photo over one pass (%.1f ms), same run; wall +%.1f ms", cpuMS[0], ms[v]-ms[0]))
			for i := range set.photos {
				appear, gone := diffDetections(results[0][i], results[v][i])
				fa, fg := diffFlags(flags[0][i], flags[v][i])
				if len(appear)+len(gone)+len(fa)+len(fg) == 0 {
					continue
				}
				fmt.Printf("  %s: detections +%v -%v; corridor flags +%v -%v\n", set.names[i], appear, gone, fa, fg)
			}
		}
	}
	d.manifest.Slicing = Slicing{}
}

// cpuTime is the CPU time the process has used so far (user + system).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// diffDetections lists the detections of after that match none of before (same
// class, IoU ≥ 0.5) and those of before that match none of after, as "class score".
func diffDetections(before, after []Detection) (appear, gone []string) {
	unmatched := func(a, b []Detection) []string {
		var out []string
		for _, x := range a {
			found := false
			for _, y := range b {
				if x.ClassID == y.ClassID && x.Box.IoU(y.Box) >= 0.5 {
					found = true
					break
				}
			}
			if !found {
				out = append(out, fmt.Sprintf("%s %.2f", x.Class, x.Score))
			}
		}
		sort.Strings(out)
		return out
	}
	return unmatched(after, before), unmatched(before, after)
}

// diffFlags lists the flags (code/status score) of after not in before and back.
func diffFlags(before, after []Flag) (appear, gone []string) {
	key := func(f Flag) string { return f.Code + "/" + f.Status }
	unmatched := func(a, b []Flag) []string {
		var out []string
		for _, x := range a {
			found := false
			for _, y := range b {
				found = found || key(x) == key(y)
			}
			if !found {
				out = append(out, fmt.Sprintf("%s %.2f", key(x), x.Score))
			}
		}
		return out
	}
	return unmatched(after, before), unmatched(before, after)
}
