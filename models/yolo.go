package models

// decodeYOLOv5 turns a decoded [1, N, 5+classes] output (YOLOv5, YOLOv7, YOLOX with
// decoding in the graph) into detections in input pixels: row o is a box centred at
// (o0, o1), o2 wide and o3 high, objectness o4, and the score of class c is o4·o[5+c].
// Each row yields at most one detection, for its best class, if that score reaches
// minScore.
func decodeYOLOv5(m *Manifest, out []float32, minScore float32, dst []Detection) []Detection {
	nc := len(m.Classes)
	width := 5 + nc
	for row := 0; (row+1)*width <= len(out); row++ {
		o := out[row*width : (row+1)*width]
		obj := o[4]
		if obj < minScore { // class probabilities are ≤ 1, so no class can reach it
			continue
		}
		best, bestP := argmax(o[5:])
		if score := obj * bestP; score >= minScore {
			dst = append(dst, m.detection(best, score, cxcywh(o[0], o[1], o[2], o[3])))
		}
	}
	return dst
}

// decodeYOLOv8 turns the Ultralytics YOLOv8/YOLO11 [1, 4+classes, N] output into
// detections in input pixels. The output is channel-major: prediction i's box is
// (out[i], out[N+i], out[2N+i], out[3N+i]) as centre and size, and its score for class
// c is out[(4+c)·N+i] — no objectness. Each prediction yields at most one detection,
// for its best class, if that score reaches minScore.
func decodeYOLOv8(m *Manifest, out []float32, minScore float32, dst []Detection) []Detection {
	nc := len(m.Classes)
	n := len(out) / (4 + nc)
	for i := range n {
		best, bestP := 0, out[4*n+i]
		for c := 1; c < nc; c++ {
			if p := out[(4+c)*n+i]; p > bestP {
				best, bestP = c, p
			}
		}
		if bestP < minScore {
			continue
		}
		dst = append(dst, m.detection(best, bestP, cxcywh(out[i], out[n+i], out[2*n+i], out[3*n+i])))
	}
	return dst
}

// argmax returns the index and value of the largest of ps (0, 0 when empty).
func argmax(ps []float32) (int, float32) {
	best, bestP := 0, float32(0)
	for c, p := range ps {
		if c == 0 || p > bestP {
			best, bestP = c, p
		}
	}
	return best, bestP
}

// cxcywh is the box centred at (cx, cy), w wide and h high.
func cxcywh(cx, cy, w, h float32) Rect {
	return Rect{X1: cx - w/2, Y1: cy - h/2, X2: cx + w/2, Y2: cy + h/2}
}

// detection is a detection of class id with the manifest's name for it.
func (m *Manifest) detection(id int, score float32, box Rect) Detection {
	return Detection{Class: m.ClassName(id), ClassID: id, Score: score, Box: box}
}
