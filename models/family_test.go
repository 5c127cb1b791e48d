package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/modeltest"
)

// customClasses are the classes of a city's own detector, as the issue names them.
var customClasses = []string{"ebike", "charger", "cardboard_box", "door", "exit_sign"}

const (
	classEbike = iota
	classCharger
	classCardboardBox
	classDoor
	classExitSign
)

// customManifest is a manifest for a 64-pixel model of the custom classes in family
// f; the tests set the output fields the family needs.
func customManifest(name, family string) Manifest {
	return Manifest{
		Name:   name,
		Family: family,
		Input: Input{
			Name: "images", Size: 64, ChannelOrder: ChannelsRGB,
			Normalisation: NormaliseDivide255, Letterbox: LetterboxCentre, PadValue: 114,
		},
		Output:     Output{Name: "output0"},
		Thresholds: Thresholds{Score: 0.25, NMSIoU: 0.45},
		Classes:    customClasses,
		Checks: map[string]CheckClasses{
			inspect.CheckTwoWheelerIndoor:      {Classes: []string{"ebike"}},
			inspect.CheckEbikeChargingIndoor:   {Classes: []string{"charger"}},
			inspect.CheckEscapeRouteObstructed: {Classes: []string{"cardboard_box", "ebike"}},
		},
	}
}

// plantedBox is one object planted in a generated model's output, in input pixels.
type plantedBox struct {
	class  int
	score  float32
	cx, cy float32
	w, h   float32
}

// customBoxes are the objects every family's generated graph holds. The photo is
// 128×64: a centred letterbox scales it by 0.5 to 64×32 and pads 16 input pixels
// above and below, so an input box (x1,y1)-(x2,y2) is the photo box
// (2·x1, 2·(y1−16))-(2·x2, 2·(y2−16)).
var customBoxes = []plantedBox{
	{classEbike, 0.9, 32, 32, 20, 20},        // photo (44,12)-(84,52)
	{classEbike, 0.8, 33, 32, 20, 20},        // the same e-bike again: NMS drops it
	{classCharger, 0.7, 10, 24, 4, 8},        // photo (16,8)-(24,24)
	{classDoor, 0.2, 50, 30, 10, 20},         // under the 0.25 threshold
	{classCardboardBox, 0.5, 56, 40, 10, 10}, // photo (102,38)-(122,58)
}

// customWant is what Detect must return for customBoxes in the 128×64 photo once
// the duplicate is suppressed (families with NMS).
var customWant = []Detection{
	{Class: "ebike", ClassID: classEbike, Score: 0.9, Box: Rect{44, 12, 84, 52}},
	{Class: "charger", ClassID: classCharger, Score: 0.7, Box: Rect{16, 8, 24, 24}},
	{Class: "cardboard_box", ClassID: classCardboardBox, Score: 0.5, Box: Rect{102, 38, 122, 58}},
}

// yoloV8Output is the [1, 4+classes, N] channel-major output holding boxes, each
// with a runner-up class at a third of its score, to check the argmax.
func yoloV8Output(nc, n int, boxes []plantedBox) []float32 {
	var bs []modeltest.Box
	for _, b := range boxes {
		bs = append(bs, modeltest.Box{Class: b.class, Score: b.score, CX: b.cx, CY: b.cy, W: b.w, H: b.h})
	}
	out := modeltest.YOLOv8Output(nc, n, bs)
	for i, b := range boxes {
		out[(4+(b.class+1)%nc)*n+i] = b.score / 3
	}
	return out
}

// yoloV5Output is the [1, N, 5+classes] row-major output holding boxes, with
// objectness 1 except for the cardboard box: objectness 0.5 × class 1.0 = 0.5.
func yoloV5Output(nc, n int, boxes []plantedBox) []float32 {
	out := make([]float32, (5+nc)*n)
	for i, b := range boxes {
		o := out[i*(5+nc):]
		o[0], o[1], o[2], o[3], o[4] = b.cx, b.cy, b.w, b.h, 1
		o[5+b.class] = b.score
		if b.class == classCardboardBox {
			o[4], o[5+b.class] = 0.5, b.score/0.5
		}
	}
	return out
}

// TestFamiliesDecodeGeneratedGraphs runs ONNX graphs the test writes itself — the
// image tensor in, constant known detections out — in each export layout through the
// real ONNX Runtime and the product's whole Detect path (letterbox, decode,
// thresholds, NMS, back to photo pixels).
func TestFamiliesDecodeGeneratedGraphs(t *testing.T) {
	setupRuntime(t)
	nc := len(customClasses)
	cells := int(gridCells(64)) // 84
	tests := []struct {
		name   string
		family string
		output func(m *Manifest) []constantOutput
		want   []Detection
	}{
		{
			name: "yolov8 [1,4+nc,N]", family: FamilyYOLOv8,
			output: func(m *Manifest) []constantOutput {
				return []constantOutput{{Name: "output0", Shape: []int64{1, int64(4 + nc), int64(cells)}, Values: yoloV8Output(nc, cells, customBoxes)}}
			},
			want: customWant,
		},
		{
			name: "yolov5 [1,N,5+nc]", family: FamilyYOLOv5,
			output: func(m *Manifest) []constantOutput {
				return []constantOutput{{Name: "output0", Shape: []int64{1, int64(3 * cells), int64(5 + nc)}, Values: yoloV5Output(nc, 3*cells, customBoxes)}}
			},
			want: customWant,
		},
		{
			// One [1,N,4+nc] tensor, boxes as fractions of the input; the model
			// declares N = 6 queries and the manifest leaves it out. No NMS: the
			// duplicate e-bike stays.
			name: "detr [1,N,4+nc] normalised cxcywh", family: FamilyDETR,
			output: func(m *Manifest) []constantOutput {
				const q = 6
				out := make([]float32, q*(4+nc))
				for i, b := range customBoxes {
					o := out[i*(4+nc):]
					o[0], o[1], o[2], o[3] = b.cx/64, b.cy/64, b.w/64, b.h/64
					o[4+b.class] = b.score
				}
				return []constantOutput{{Name: "output0", Shape: []int64{1, q, int64(4 + nc)}, Values: out}}
			},
			want: slices.Insert(slices.Clone(customWant), 1, Detection{Class: "ebike", ClassID: classEbike, Score: 0.8, Box: Rect{46, 12, 86, 52}}),
		},
		{
			// D-FINE style: boxes and scores heads, corners in input pixels, scores
			// as logits (logit 0 → 0.5).
			name: "detr boxes+scores xyxy pixels logits", family: FamilyDETR,
			output: func(m *Manifest) []constantOutput {
				m.Output = Output{Boxes: "boxes", Scores: "scores", Count: 4, BoxFormat: BoxXYXY, BoxUnits: BoxUnitsPixels, Logits: true}
				boxes := []float32{22, 22, 42, 42, 8, 20, 12, 28, 51, 35, 61, 45, 0, 0, 0, 0}
				scores := make([]float32, 4*nc)
				for i := range scores {
					scores[i] = -9 // sigmoid ≈ 0.0001
				}
				scores[0*nc+classEbike] = 2.1972246   // 0.9
				scores[1*nc+classCharger] = 0.8472979 // 0.7
				scores[2*nc+classCardboardBox] = 0    // 0.5
				return []constantOutput{{Name: "boxes", Shape: []int64{1, 4, 4}, Values: boxes}, {Name: "scores", Shape: []int64{1, 4, int64(nc)}, Values: scores}}
			},
			want: customWant,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := customManifest("custom_"+tt.family, tt.family)
			outs := tt.output(&m)
			d, err := Open(writeModelDir(t, m, constantModelOutputs("images", m.InputShape(), outs...)), Options{Sessions: 1, IntraOpThreads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			dets, err := d.Detect(t.Context(), blankPhoto(128, 64))
			if err != nil {
				t.Fatal(err)
			}
			checkDetections(t, dets, tt.want)
		})
	}
}

// TestCustomClassesDriveChecks: a custom model's manifest maps its class names to
// hazard checks, so its ebike, charger and cardboard_box drive two_wheeler_indoor,
// ebike_charging_indoor and escape_route_obstructed, which the COCO model's table
// cannot raise from these classes.
func TestCustomClassesDriveChecks(t *testing.T) {
	setupRuntime(t)
	m := customManifest("custom_checks", FamilyYOLOv8)
	cells := int(gridCells(64))
	// A photo of a corridor: an e-bike and its charger, and a box across the floor.
	boxes := []plantedBox{
		{classEbike, 0.9, 32, 32, 20, 20},
		{classCharger, 0.5, 10, 24, 4, 8},
		{classCardboardBox, 0.8, 32, 44, 44, 8}, // input y 40–48 → photo 48–64: the floor band
	}
	out := yoloV8Output(len(customClasses), cells, boxes)
	d, err := Open(writeModelDir(t, m, constantModel("images", m.InputShape(), "output0", m.OutputShape(), out)), Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dets, err := d.Detect(t.Context(), blankPhoto(128, 64))
	if err != nil {
		t.Fatal(err)
	}
	type flag struct{ code, status string }
	var got []flag
	for _, f := range d.MapFlags(dets, 128, 64, "corridor", nil) {
		got = append(got, flag{f.Code, f.Status})
	}
	want := []flag{
		{inspect.CheckTwoWheelerIndoor, StatusFlag},
		{inspect.CheckEscapeRouteObstructed, StatusFlag},
		{inspect.CheckEbikeChargingIndoor, StatusNeedsReview},
	}
	if !slices.Equal(got, want) {
		t.Errorf("custom model's flags in a corridor = %v, want %v", got, want)
	}
	if coco := MapFlags(dets, 128, 64, "corridor", nil); len(coco) != 0 {
		t.Errorf("the built-in table raised %+v from classes it does not know", coco)
	}
	// A checklist item that names only the charging check runs only it.
	if f := d.MapFlags(dets, 128, 64, "corridor", []string{inspect.CheckEbikeChargingIndoor}); len(f) != 1 || f[0].Code != inspect.CheckEbikeChargingIndoor {
		t.Errorf("item naming ebike_charging_indoor: %+v", f)
	}
}

// TestManifestFamilyValidation: each family's output fields are checked, and the
// error names the field.
func TestManifestFamilyValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *Manifest)
		field  string
	}{
		{"unknown family", func(m *Manifest) { m.Family = "ssd" }, "family"},
		{"yolov8 without output name", func(m *Manifest) { m.Output.Name = "" }, "output.name"},
		{"yolov8 with detr fields", func(m *Manifest) { m.Output.BoxFormat = BoxXYXY }, "output"},
		{"yolov8 size not a multiple of 32", func(m *Manifest) { m.Input.Size = 100 }, "input.size"},
		{"detr without any output", func(m *Manifest) { m.Family = FamilyDETR; m.Output.Name = "" }, "output.name"},
		{"detr with both layouts", func(m *Manifest) { m.Family = FamilyDETR; m.Output.Boxes = "b"; m.Output.Scores = "s" }, "output"},
		{"detr box format", func(m *Manifest) { m.Family = FamilyDETR; m.Output.BoxFormat = "xywh" }, "output.box_format"},
		{"detr box units", func(m *Manifest) { m.Family = FamilyDETR; m.Output.BoxUnits = "percent" }, "output.box_units"},
		{"check of an unknown code", func(m *Manifest) { m.Checks["bike_on_roof"] = CheckClasses{Classes: []string{"ebike"}} }, "checks.bike_on_roof"},
		{"check of a class the model lacks", func(m *Manifest) {
			m.Checks[inspect.CheckTwoWheelerIndoor] = CheckClasses{Classes: []string{"ebike", "bicycle"}}
		}, "checks.two_wheeler_indoor.classes[1]"},
		{"check without classes", func(m *Manifest) { m.Checks[inspect.CheckCombustiblesStacked] = CheckClasses{} }, "checks.combustibles_stacked.classes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := customManifest("custom", FamilyYOLOv8)
			m.File, m.SHA256 = "custom.onnx", strings.Repeat("0", 64)
			if err := m.Validate(); err != nil {
				t.Fatalf("the unchanged manifest is invalid: %v", err)
			}
			tt.change(&m)
			err := m.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			if inspect.ErrorCode(err) != inspect.EINVALID || !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("error %q (code %s) does not start with the field %q", err, inspect.ErrorCode(err), tt.field)
			}
		})
	}
}
