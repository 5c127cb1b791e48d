package models

import "math"

// decodeDETR turns an RT-DETR or D-FINE output into detections in input pixels: each
// of the N queries is one box and a score per class, either in one [1, N, 4+classes]
// tensor or in boxes [1, N, 4] and scores [1, N, classes] heads. Boxes are written
// as the manifest's Output.BoxFormat (centre and size, or corners) in its BoxUnits
// (fractions of the input, or input pixels); scores pass through a sigmoid when
// Output.Logits is set. A query yields at most one detection, for its best class, if
// that score reaches minScore. The queries do not overlap by design: no NMS follows.
func decodeDETR(m *Manifest, outs [][]float32, minScore float32, dst []Detection) []Detection {
	nc := len(m.Classes)
	boxes, scores, boxStride, scoreStride := outs[0], outs[0][min(4, len(outs[0])):], 4+nc, 4+nc
	if len(outs) == 2 {
		boxes, scores, boxStride, scoreStride = outs[0], outs[1], 4, nc
	}
	unit := float32(1)
	if m.Output.BoxUnits != BoxUnitsPixels {
		unit = float32(m.Input.Size)
	}
	n := len(boxes) / boxStride
	for q := range n {
		if q*scoreStride+nc > len(scores) {
			break
		}
		best, bestP := argmax(scores[q*scoreStride : q*scoreStride+nc])
		if m.Output.Logits {
			bestP = float32(sigmoid(float64(bestP)))
		}
		if bestP < minScore {
			continue
		}
		b := boxes[q*boxStride : q*boxStride+4]
		x1, y1, x2, y2 := b[0]*unit, b[1]*unit, b[2]*unit, b[3]*unit
		box := Rect{X1: x1, Y1: y1, X2: x2, Y2: y2}
		if m.Output.BoxFormat != BoxXYXY {
			box = cxcywh(x1, y1, x2, y2)
		}
		if math.IsNaN(float64(box.X1)) {
			continue
		}
		dst = append(dst, m.detection(best, bestP, box))
	}
	return dst
}
