package models

import "math"

// decodeYOLOX turns YOLOX's raw [1, anchors, 5+classes] output into detections in input
// pixels. Rows walk the 8-, 16- and 32-stride grids, row-major within each; for a row o
// at cell (gx, gy) of stride s the box centre is ((o0+gx)·s, (o1+gy)·s), its size
// (exp(o2)·s, exp(o3)·s), and the score of class c is o4·o[5+c]. Each row yields at most
// one detection, for its best class, if that score reaches minScore.
func decodeYOLOX(m *Manifest, out []float32, minScore float32, dst []Detection) []Detection {
	nc := len(m.Classes)
	width := 5 + nc
	row := 0
	for _, s := range gridStrides {
		g := m.Input.Size / s
		fs := float32(s)
		for gy := 0; gy < g; gy++ {
			for gx := 0; gx < g; gx++ {
				o := out[row*width : (row+1)*width]
				row++
				obj := o[4]
				if obj < minScore { // class probabilities are ≤ 1, so no class can reach it
					continue
				}
				best, bestP := 0, o[5]
				for c := 1; c < nc; c++ {
					if p := o[5+c]; p > bestP {
						best, bestP = c, p
					}
				}
				score := obj * bestP
				if score < minScore {
					continue
				}
				cx := (o[0] + float32(gx)) * fs
				cy := (o[1] + float32(gy)) * fs
				w := float32(math.Exp(float64(o[2]))) * fs
				h := float32(math.Exp(float64(o[3]))) * fs
				dst = append(dst, Detection{
					Class:   m.Classes[best],
					ClassID: best,
					Score:   score,
					Box:     Rect{X1: cx - w/2, Y1: cy - h/2, X2: cx + w/2, Y2: cy + h/2},
				})
			}
		}
	}
	return dst
}
