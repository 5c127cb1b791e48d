package models

import "github.com/safegrid/safegrid/inspect"

// Families of detectors whose output this package can decode: the common ONNX export
// layouts, so that a model a city trains with standard tooling loads without code.
const (
	// FamilyYOLOX is YOLOX's raw grid output, [1, N, 5+classes]: cell offsets, log
	// sizes, objectness and class probabilities over strides 8, 16 and 32.
	FamilyYOLOX = "yolox"
	// FamilyFastestDet is FastestDet's [1, 5+classes, size/16, size/16].
	FamilyFastestDet = "fastestdet"
	// FamilyYOLOv5 is a decoded [1, N, 5+classes] export (YOLOv5, YOLOv7, YOLOX with
	// decoding in the graph): cx, cy, w, h in input pixels, objectness, class
	// probabilities; needs NMS.
	FamilyYOLOv5 = "yolov5"
	// FamilyYOLOv8 is the Ultralytics YOLOv8/YOLO11 export, [1, 4+classes, N]: cx, cy,
	// w, h in input pixels and class scores, no objectness; needs NMS.
	FamilyYOLOv8 = "yolov8"
	// FamilyDETR is RT-DETR or D-FINE: N queries, each one box and class scores,
	// either one [1, N, 4+classes] tensor or boxes [1, N, 4] and scores
	// [1, N, classes] heads; no NMS. Output.BoxFormat and BoxUnits say how boxes
	// are written.
	FamilyDETR = "detr"
)

// Box formats and units of a DETR's boxes.
const (
	BoxCXCYWH          = "cxcywh"
	BoxXYXY            = "xyxy"
	BoxUnitsNormalised = "normalised"
	BoxUnitsPixels     = "pixels"
)

// Families lists the detector families, in the order the documentation gives them.
func Families() []string {
	return []string{FamilyYOLOv8, FamilyYOLOv5, FamilyYOLOX, FamilyDETR, FamilyFastestDet}
}

// gridStrides are the strides of the three output grids of the YOLO families, in
// output order.
var gridStrides = []int{8, 16, 32}

// gridCells is the number of cells of the YOLO grids at input size.
func gridCells(size int) int64 {
	var n int64
	for _, s := range gridStrides {
		g := int64(size / s)
		n += g * g
	}
	return n
}

// validateOutput checks the output fields against the family.
func (m Manifest) validateOutput() error {
	o := m.Output
	detr := m.Family == FamilyDETR
	switch {
	case o.Count < 0 || o.Count > 1_000_000:
		return inspect.FieldErrorf("output.count", "must be 0 (implied) or 1–1000000, got %d", o.Count)
	case detr && o.Name == "" && (o.Boxes == "" || o.Scores == ""):
		return inspect.FieldErrorf("output.name", "is required, or output.boxes and output.scores for a DETR with two heads")
	case detr && o.Name != "" && (o.Boxes != "" || o.Scores != ""):
		return inspect.FieldErrorf("output", "has name and boxes/scores; a DETR has either one output tensor or two heads")
	case !detr && o.Name == "":
		return inspect.FieldErrorf("output.name", "is required")
	case !detr && (o.Boxes != "" || o.Scores != "" || o.BoxFormat != "" || o.BoxUnits != "" || o.Logits):
		return inspect.FieldErrorf("output", "boxes, scores, box_format, box_units and logits are for the detr family only")
	case o.BoxFormat != "" && o.BoxFormat != BoxCXCYWH && o.BoxFormat != BoxXYXY:
		return inspect.FieldErrorf("output.box_format", "is %q; want %q or %q", o.BoxFormat, BoxCXCYWH, BoxXYXY)
	case o.BoxUnits != "" && o.BoxUnits != BoxUnitsNormalised && o.BoxUnits != BoxUnitsPixels:
		return inspect.FieldErrorf("output.box_units", "is %q; want %q or %q", o.BoxUnits, BoxUnitsNormalised, BoxUnitsPixels)
	}
	switch m.Family {
	case FamilyYOLOX:
		if m.Input.Size%32 != 0 {
			return inspect.FieldErrorf("input.size", "must be a multiple of 32 for YOLOX, got %d", m.Input.Size)
		}
		if o.Count != 0 {
			return inspect.FieldErrorf("output.count", "is implied by the input size for YOLOX; leave it out")
		}
	case FamilyFastestDet:
		if m.Input.Size%16 != 0 {
			return inspect.FieldErrorf("input.size", "must be a multiple of 16 for FastestDet, got %d", m.Input.Size)
		}
		if o.Count != 0 {
			return inspect.FieldErrorf("output.count", "is implied by the input size for FastestDet; leave it out")
		}
	case FamilyYOLOv5, FamilyYOLOv8:
		if o.Count == 0 && m.Input.Size%32 != 0 {
			return inspect.FieldErrorf("input.size", "must be a multiple of 32 for %s unless output.count is given, got %d", m.Family, m.Input.Size)
		}
	}
	return nil
}

// tensorShape is one named output tensor and its shape; -1 is a dimension the model
// itself declares (a DETR's query count when the manifest leaves it out).
type tensorShape struct {
	Name  string
	Shape []int64
}

// OutputShapes are the output tensors the family reads, with the shapes they must have
// for this input size, class count and Count:
// YOLOX [1, cells, 5+classes] over strides 8, 16 and 32; YOLOv5 [1, 3·cells,
// 5+classes] (three anchors a cell) unless Count says otherwise; YOLOv8
// [1, 4+classes, cells]; DETR [1, N, 4+classes] or [1, N, 4] and [1, N, classes];
// FastestDet [1, 5+classes, size/16, size/16].
func (m Manifest) OutputShapes() []tensorShape {
	nc := int64(len(m.Classes))
	n := int64(m.Output.Count)
	implied := func(v int64) int64 {
		if n > 0 {
			return n
		}
		return v
	}
	switch m.Family {
	case FamilyYOLOX:
		return []tensorShape{{m.Output.Name, []int64{1, gridCells(m.Input.Size), 5 + nc}}}
	case FamilyYOLOv5:
		return []tensorShape{{m.Output.Name, []int64{1, implied(3 * gridCells(m.Input.Size)), 5 + nc}}}
	case FamilyYOLOv8:
		return []tensorShape{{m.Output.Name, []int64{1, 4 + nc, implied(gridCells(m.Input.Size))}}}
	case FamilyDETR:
		q := implied(-1)
		if m.Output.Name != "" {
			return []tensorShape{{m.Output.Name, []int64{1, q, 4 + nc}}}
		}
		return []tensorShape{{m.Output.Boxes, []int64{1, q, 4}}, {m.Output.Scores, []int64{1, q, nc}}}
	case FamilyFastestDet:
		g := int64(m.Input.Size / fastestDetStride)
		return []tensorShape{{m.Output.Name, []int64{1, 5 + nc, g, g}}}
	}
	return nil
}

// OutputShape is the shape of the family's first output tensor (see OutputShapes).
func (m Manifest) OutputShape() []int64 {
	if s := m.OutputShapes(); len(s) > 0 {
		return s[0].Shape
	}
	return nil
}

// usesNMS reports whether the family's raw predictions overlap and need NMS; a DETR
// predicts each object once.
func (m Manifest) usesNMS() bool { return m.Family != FamilyDETR }

// decode turns the raw outputs (in the order of OutputShapes) into detections in input
// pixels, appending to dst.
func (m *Manifest) decode(outs [][]float32, dst []Detection) []Detection {
	min := m.Thresholds.Score
	switch m.Family {
	case FamilyYOLOX:
		return decodeYOLOX(m, outs[0], min, dst)
	case FamilyYOLOv5:
		return decodeYOLOv5(m, outs[0], min, dst)
	case FamilyYOLOv8:
		return decodeYOLOv8(m, outs[0], min, dst)
	case FamilyDETR:
		return decodeDETR(m, outs, min, dst)
	case FamilyFastestDet:
		return decodeFastestDet(m, outs[0], min, dst)
	}
	return dst
}
