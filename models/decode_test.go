package models

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

// COCO class ids used by the tests.
const (
	classPerson     = 0
	classBicycle    = 1
	classMotorcycle = 3
	classChair      = 56
)

// yoloxRow is one raw YOLOX prediction to plant in a constant output.
type yoloxRow struct {
	stride, gx, gy int
	dx, dy         float32 // o0, o1: centre offset within the cell
	w, h           float32 // box size in input pixels (stored as log(w/stride))
	obj            float32
	class          int
	prob           float32
}

// yoloxOutput returns a [1,3549,85] output that is zero except for rows.
func yoloxOutput(m Manifest, rows []yoloxRow) []float32 {
	width := 5 + len(m.Classes)
	out := make([]float32, 3549*width)
	for _, r := range rows {
		index := 0
		for _, s := range gridStrides {
			g := m.Input.Size / s
			if s == r.stride {
				index += r.gy*g + r.gx
				break
			}
			index += g * g
		}
		o := out[index*width:]
		o[0], o[1] = r.dx, r.dy
		o[2] = float32(math.Log(float64(r.w / float32(r.stride))))
		o[3] = float32(math.Log(float64(r.h / float32(r.stride))))
		o[4] = r.obj
		o[5+r.class] = r.prob
	}
	return out
}

// fastestCell is one raw FastestDet prediction to plant in a constant output.
type fastestCell struct {
	gx, gy   int
	tx, ty   float32 // tanh⁻¹ of the centre offset
	tw, th   float32 // sigmoid⁻¹ of the size fraction
	obj      float32
	class    int
	prob     float32
	runnerUp int // a second class with a lower probability, to check the argmax
}

func fastestOutput(m Manifest, cells []fastestCell) []float32 {
	g := m.Input.Size / fastestDetStride
	plane := g * g
	out := make([]float32, (5+len(m.Classes))*plane)
	for _, c := range cells {
		i := c.gy*g + c.gx
		out[i] = c.obj
		out[plane+i], out[2*plane+i] = c.tx, c.ty
		out[3*plane+i], out[4*plane+i] = c.tw, c.th
		out[(5+c.class)*plane+i] = c.prob
		out[(5+c.runnerUp)*plane+i] = c.prob / 2
	}
	return out
}

func near(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-3 }

func nearRect(a, b Rect) bool {
	return near(a.X1, b.X1) && near(a.Y1, b.Y1) && near(a.X2, b.X2) && near(a.Y2, b.Y2)
}

func checkDetections(t *testing.T, got, want []Detection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d detections %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Class != w.Class || g.ClassID != w.ClassID || !near(g.Score, w.Score) || !nearRect(g.Box, w.Box) {
			t.Errorf("detection %d = %+v, want %+v", i, g, w)
		}
	}
}

func blankPhoto(w, h int) image.Image {
	return imaging.New(w, h, color.NRGBA{R: 90, G: 90, B: 90, A: 255})
}

// TestYOLOXDecodeTinyModel runs a constant YOLOX-shaped model through the whole Detect
// path: decoding, the top-left letterbox scale back to the photo, clipping and NMS.
func TestYOLOXDecodeTinyModel(t *testing.T) {
	setupRuntime(t)
	m := embedded(t, "yolox_nano")
	rows := []yoloxRow{
		// A motorcycle at stride 32, cell (5,4): centre (176,144), 128×96 in input pixels.
		{stride: 32, gx: 5, gy: 4, dx: 0.5, dy: 0.5, w: 128, h: 96, obj: 0.9, class: classMotorcycle, prob: 1},
		// The same motorcycle seen again from the next cell: IoU 0.6 > 0.45, suppressed.
		{stride: 32, gx: 6, gy: 4, dx: 0.5, dy: 0.5, w: 128, h: 96, obj: 0.8, class: classMotorcycle, prob: 0.9},
		// A chair overlapping the motorcycle: another class, kept.
		{stride: 16, gx: 10, gy: 9, dx: 0, dy: 0, w: 64, h: 64, obj: 0.7, class: classChair, prob: 1},
		// A weak bicycle: 0.5 × 0.6 = 0.30, under the manifest's 0.35.
		{stride: 8, gx: 40, gy: 10, dx: 0, dy: 0, w: 16, h: 16, obj: 0.5, class: classBicycle, prob: 0.6},
		// A second, separate motorcycle at 0.5 × 0.8 = 0.40, partly below the photo.
		{stride: 8, gx: 2, gy: 36, dx: 0, dy: 0, w: 40, h: 40, obj: 0.5, class: classMotorcycle, prob: 0.8},
		// A box entirely in the letterbox padding: dropped.
		{stride: 8, gx: 20, gy: 50, dx: 0, dy: 0, w: 16, h: 16, obj: 0.9, class: classChair, prob: 0.9},
	}
	d, err := Open(writeTinyModel(t, m, yoloxOutput(m, rows), nil), Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// 832×600 → r = min(416/832, 416/600) = 0.5: photo pixels are input pixels × 2.
	dets, err := d.Detect(t.Context(), blankPhoto(832, 600))
	if err != nil {
		t.Fatal(err)
	}
	checkDetections(t, dets, []Detection{
		{Class: "motorcycle", ClassID: classMotorcycle, Score: 0.9, Box: Rect{224, 192, 480, 384}},
		{Class: "chair", ClassID: classChair, Score: 0.7, Box: Rect{256, 224, 384, 352}},
		// centre (16, 288), 40×40 → input (-4,268)-(36,308) → photo (-8,536)-(72,616),
		// clipped to the 832×600 photo.
		{Class: "motorcycle", ClassID: classMotorcycle, Score: 0.4, Box: Rect{0, 536, 72, 600}},
	})
}

// TestFastestDetDecodeTinyModel checks FastestDet's decoding with a constant model: the
// obj^0.6·cls^0.4 score, tanh/sigmoid box and the stretch back to a non-square photo.
func TestFastestDetDecodeTinyModel(t *testing.T) {
	setupRuntime(t)
	m := embedded(t, "fastestdet")
	logit := func(p float64) float32 { return float32(math.Log(p / (1 - p))) }
	cells := []fastestCell{
		// Bicycle at cell (11,5): centre (0.5, 5/22), size (0.5, 0.25) of the photo.
		{gx: 11, gy: 5, obj: 0.81, class: classBicycle, prob: 0.9, runnerUp: classMotorcycle, tw: 0, th: logit(0.25)},
		// Person at cell (2,20), centre moved by tanh(0.5): kept, another class.
		{gx: 2, gy: 20, tx: 0.5, ty: -0.5, obj: 0.6, class: classPerson, prob: 0.8, runnerUp: classChair, tw: logit(0.1), th: logit(0.2)},
		// Too weak: 0.1^0.6 · 0.5^0.4 ≈ 0.19.
		{gx: 0, gy: 0, obj: 0.1, class: classChair, prob: 0.5, runnerUp: classPerson},
	}
	d, err := Open(writeTinyModel(t, m, fastestOutput(m, cells), nil), Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	const w, h = 440, 220
	dets, err := d.Detect(t.Context(), blankPhoto(w, h))
	if err != nil {
		t.Fatal(err)
	}
	score := func(obj, cls float64) float32 { return float32(math.Pow(obj, 0.6) * math.Pow(cls, 0.4)) }
	pcx := (2 + math.Tanh(0.5)) / 22 * w
	pcy := (20 + math.Tanh(-0.5)) / 22 * h
	checkDetections(t, dets, []Detection{
		{Class: "bicycle", ClassID: classBicycle, Score: score(0.81, 0.9), Box: Rect{110, 5.0/22*h - 27.5, 330, 5.0/22*h + 27.5}},
		{Class: "person", ClassID: classPerson, Score: score(0.6, 0.8), Box: Rect{
			float32(pcx - 0.05*w), float32(pcy - 0.1*h), float32(pcx + 0.05*w), float32(pcy + 0.1*h)}},
	})
}

// TestOpenRefusesMismatch: a model whose hash or shapes differ from its manifest is not
// loaded, and the message says what differs.
func TestOpenRefusesMismatch(t *testing.T) {
	setupRuntime(t)
	yolox := embedded(t, "yolox_nano")
	tests := []struct {
		name    string
		dir     func(t *testing.T) string
		wantErr []string
	}{
		{
			name: "hash",
			dir: func(t *testing.T) string {
				m := yolox
				dir := writeTinyModel(t, m, make([]float32, 3549*85), nil)
				m.File, m.SHA256 = m.Name+".onnx", strings.Repeat("ab", 32)
				writeManifest(t, filepath.Join(dir, ManifestFile), m)
				return dir
			},
			wantErr: []string{"SHA-256", strings.Repeat("ab", 32), "refusing"},
		},
		{
			name: "output shape",
			dir: func(t *testing.T) string {
				return writeTinyModel(t, yolox, make([]float32, 3549*10), []int64{1, 3549, 10})
			},
			wantErr: []string{`output "output" has shape [1 3549 10]`, "[1 3549 85]"},
		},
		{
			name: "input size",
			dir: func(t *testing.T) string {
				// Built for 640×640 input, declared as 416.
				return writeModelDir(t, yolox, constantModel("images", []int64{1, 3, 640, 640}, "output", yolox.OutputShape(), make([]float32, 3549*85)))
			},
			wantErr: []string{`input "images" has shape [1 3 640 640]`, "[1 3 416 416]"},
		},
		{
			name: "input name",
			dir: func(t *testing.T) string {
				return writeModelDir(t, yolox, constantModel("pixels", yolox.InputShape(), "output", yolox.OutputShape(), make([]float32, 3549*85)))
			},
			wantErr: []string{`no input named "images"`, `"pixels"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Open(tt.dir(t), Options{Sessions: 1})
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// TestDetectWaitsForSession: with the only session busy, Detect gives up when its
// context ends, and after Close it reports ErrClosed.
func TestDetectWaitsForSession(t *testing.T) {
	setupRuntime(t)
	m := embedded(t, "fastestdet")
	d, err := Open(writeTinyModel(t, m, make([]float32, 85*22*22), nil), Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Detect(ctx, blankPhoto(10, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("Detect with the pool busy and ctx cancelled: %v, want context.Canceled", err)
	}
	d.slots <- s
	if _, err := d.Detect(t.Context(), blankPhoto(10, 10)); err != nil {
		t.Errorf("Detect with a free session: %v", err)
	}
	d.Close()
	if _, err := d.Detect(t.Context(), blankPhoto(10, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Detect after Close: %v, want ErrClosed", err)
	}
}
