package models

import "math"

// fastestDetStride is the size in input pixels of one cell of FastestDet's output grid.
const fastestDetStride = 16

// decodeFastestDet turns FastestDet's [1, 5+classes, g, g] output into detections in
// input pixels. Per cell (gx, gy): objectness is channel 0, the class is the argmax of
// channels 5…, the score is obj^0.6 · cls^0.4, and the box centre
// ((gx + tanh(ch1))/g, (gy + tanh(ch2))/g) and size (sigmoid(ch3), sigmoid(ch4)) are
// fractions of the input, hence of the photo.
func decodeFastestDet(m *Manifest, out []float32, minScore float32, dst []Detection) []Detection {
	nc := len(m.Classes)
	g := m.Input.Size / fastestDetStride
	plane := g * g
	size := float64(m.Input.Size)
	for gy := 0; gy < g; gy++ {
		for gx := 0; gx < g; gx++ {
			cell := gy*g + gx
			obj := out[cell]
			if obj <= 0 {
				continue
			}
			best, bestP := 0, out[5*plane+cell]
			for c := 1; c < nc; c++ {
				if p := out[(5+c)*plane+cell]; p > bestP {
					best, bestP = c, p
				}
			}
			if bestP <= 0 {
				continue
			}
			score := float32(math.Pow(float64(obj), 0.6) * math.Pow(float64(bestP), 0.4))
			if score < minScore {
				continue
			}
			cx := (float64(gx) + math.Tanh(float64(out[plane+cell]))) / float64(g)
			cy := (float64(gy) + math.Tanh(float64(out[2*plane+cell]))) / float64(g)
			w := sigmoid(float64(out[3*plane+cell]))
			h := sigmoid(float64(out[4*plane+cell]))
			dst = append(dst, Detection{
				Class:   m.Classes[best],
				ClassID: best,
				Score:   score,
				Box: Rect{
					X1: float32((cx - w/2) * size),
					Y1: float32((cy - h/2) * size),
					X2: float32((cx + w/2) * size),
					Y2: float32((cy + h/2) * size),
				},
			})
		}
	}
	return dst
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
