package models

import (
	"image"
	"math"
	"math/bits"

	"github.com/disintegration/imaging"
)

// The scene measure compares two photos of a place as small grey images: the
// evidence photo's grid against the proof photo resampled over a search of scales and
// shifts (a re-shot photo is never framed the same), by normalized cross-correlation
// of grey levels and of edges — both indifferent to brightness and contrast — outside
// the regions the flags name (the hazard itself is what should have changed), and by a
// difference hash of the two aligned images.
const (
	sceneW, sceneH = 64, 48 // the grid both photos are compared on
	// minOverlap is the share of the evidence grid an alignment must keep in view.
	minOverlap = 0.55
	// maskMargin widens each flagged box (fraction of the photo's side) before it is
	// left out: a detector's box is tight and a hazard's shadow is not.
	maskMargin = 0.04
)

// Scene search: scales from 0.8 to 1.25 (the proof's view is 0.8× to 1.25× as wide)
// and shifts up to 18 % of the photo's side, first on a coarse grid of candidates,
// then refined around the best.
var (
	sceneScales = []float64{0.8, 0.84, 0.88, 0.92, 0.96, 1, 1.04, 1.09, 1.14, 1.19, 1.25}
	sceneShift  = 0.18
	shiftStep   = 0.03
)

// Alignment maps a point of the evidence photo to the proof photo, both as fractions
// of the photo's width and height: u' = (u−0.5)·Scale + 0.5 + DX, likewise v.
type Alignment struct {
	Scale, DX, DY float64
}

// Map returns where the evidence photo's point (u, v) is in the proof photo.
func (a Alignment) Map(u, v float64) (float64, float64) {
	return (u-0.5)*a.Scale + 0.5 + a.DX, (v-0.5)*a.Scale + 0.5 + a.DY
}

// MapBand returns the evidence photo's band b in the proof photo's fractions.
func (a Alignment) MapBand(b Band) Band {
	x1, y1 := a.Map(float64(b.X1), float64(b.Y1))
	x2, y2 := a.Map(float64(b.X2), float64(b.Y2))
	return Band{X1: float32(x1), Y1: float32(y1), X2: float32(x2), Y2: float32(y2)}
}

// SceneMatch is how alike two photos of a place are.
type SceneMatch struct {
	// Score is the same-place measure in [0, 1]: 0.3·Grey + 0.7·Edges, outside the
	// masked regions (see SamePlaceScore).
	Score float32
	// Grey and Edges are the two correlations (−1…1) it is made of.
	Grey, Edges float32
	// HashDistance is the Hamming distance (0–64) of the 64-bit difference hashes of
	// the aligned grids, masked regions filled alike in both.
	HashDistance int
	// Region is the grey correlation inside the masked regions (the flagged
	// objects): near 1 when what was flagged looks unchanged. 0 without regions.
	Region float32
	// Align is the best alignment found.
	Align Alignment
}

// scene is a photo as the measure sees it: grey levels on the grid, lightly blurred.
type scene struct {
	w, h int
	grey []float64
}

func newScene(img image.Image, w, h int) scene {
	small := imaging.Resize(img, w, h, imaging.Box)
	s := scene{w: w, h: h, grey: make([]float64, w*h)}
	for y := 0; y < h; y++ {
		row := small.Pix[y*small.Stride:]
		for x := 0; x < w; x++ {
			p := row[4*x:]
			s.grey[y*w+x] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		}
	}
	s.grey = blur3(s.grey, w, h)
	return s
}

// blur3 is a 3×3 box blur with the edges clamped.
func blur3(g []float64, w, h int) []float64 {
	out := make([]float64, len(g))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sum float64
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := min(max(x+dx, 0), w-1), min(max(y+dy, 0), h-1)
					sum += g[yy*w+xx]
				}
			}
			out[y*w+x] = sum / 9
		}
	}
	return out
}

// at samples the scene at (u, v) in fractions of its size, bilinearly; false outside.
func (s scene) at(u, v float64) (float64, bool) {
	x, y := u*float64(s.w)-0.5, v*float64(s.h)-0.5
	if x < -0.5 || y < -0.5 || x > float64(s.w)-0.5 || y > float64(s.h)-0.5 {
		return 0, false
	}
	x, y = min(max(x, 0), float64(s.w-1)), min(max(y, 0), float64(s.h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, s.w-1), min(y0+1, s.h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	top := s.grey[y0*s.w+x0]*(1-fx) + s.grey[y0*s.w+x1]*fx
	bottom := s.grey[y1*s.w+x0]*(1-fx) + s.grey[y1*s.w+x1]*fx
	return top*(1-fy) + bottom*fy, true
}

// warp samples the proof scene on the evidence grid through a: the values and
// whether each cell is in view.
func (s scene) warp(a Alignment, w, h int) ([]float64, []bool) {
	vals, ok := make([]float64, w*h), make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := a.Map((float64(x)+0.5)/float64(w), (float64(y)+0.5)/float64(h))
			vals[y*w+x], ok[y*w+x] = s.at(u, v)
		}
	}
	return vals, ok
}

// maskOf marks the grid cells inside any of the bands.
func maskOf(bands []Band, w, h int) []bool {
	m := make([]bool, w*h)
	for _, b := range bands {
		x1, x2 := int(math.Floor(float64(b.X1-maskMargin)*float64(w))), int(math.Ceil(float64(b.X2+maskMargin)*float64(w)))
		y1, y2 := int(math.Floor(float64(b.Y1-maskMargin)*float64(h))), int(math.Ceil(float64(b.Y2+maskMargin)*float64(h)))
		for y := max(y1, 0); y < min(y2, h); y++ {
			for x := max(x1, 0); x < min(x2, w); x++ {
				m[y*w+x] = true
			}
		}
	}
	return m
}

// ncc is the normalized cross-correlation of a and b over the cells use allows; 0
// when either is flat there (a painted-out region has nothing to correlate).
func ncc(a, b []float64, use func(i int) bool) float32 {
	var n, sa, sb float64
	for i := range a {
		if use(i) {
			n++
			sa += a[i]
			sb += b[i]
		}
	}
	if n < 8 {
		return 0
	}
	ma, mb := sa/n, sb/n
	var cov, va, vb float64
	for i := range a {
		if use(i) {
			da, db := a[i]-ma, b[i]-mb
			cov += da * db
			va += da * da
			vb += db * db
		}
	}
	// A flat side (variance under one grey level per cell) correlates with nothing.
	if va < n || vb < n {
		return 0
	}
	return float32(cov / math.Sqrt(va*vb))
}

// corr accumulates a normalized cross-correlation in one pass.
type corr struct{ n, sa, sb, saa, sbb, sab float64 }

func (c *corr) add(a, b float64) {
	c.n++
	c.sa += a
	c.sb += b
	c.saa += a * a
	c.sbb += b * b
	c.sab += a * b
}

// value is the correlation, 0 when either side is flat (as ncc).
func (c corr) value() float32 {
	if c.n < 8 {
		return 0
	}
	va, vb := c.saa-c.sa*c.sa/c.n, c.sbb-c.sb*c.sb/c.n
	if va < c.n || vb < c.n {
		return 0
	}
	return float32((c.sab - c.sa*c.sb/c.n) / math.Sqrt(va*vb))
}

// compareAt scores one alignment: the grey correlation, and the correlation of the
// horizontal and vertical differences (edges), over the cells in view and outside
// the mask; vals and ok are scratch space of the grid's size.
func compareAt(ev scene, pr scene, a Alignment, mask []bool, vals []float64, ok []bool) (grey, edges float32, inView float64) {
	w, h := ev.w, ev.h
	n := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			u, v := a.Map((float64(x)+0.5)/float64(w), (float64(y)+0.5)/float64(h))
			vals[i], ok[i] = pr.at(u, v)
			if ok[i] {
				n++
			}
			ok[i] = ok[i] && !mask[i]
		}
	}
	inView = float64(n) / float64(w*h)
	if inView < minOverlap {
		return 0, 0, inView
	}
	var g, e corr
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !ok[i] {
				continue
			}
			g.add(ev.grey[i], vals[i])
			if x+1 < w && ok[i+1] {
				e.add(ev.grey[i+1]-ev.grey[i], vals[i+1]-vals[i])
			}
			if y+1 < h && ok[i+w] {
				e.add(ev.grey[i+w]-ev.grey[i], vals[i+w]-vals[i])
			}
		}
	}
	return g.value(), e.value(), inView
}

// CompareScenes measures whether proof shows the place evidence shows, leaving out
// the evidence photo's regions (fractions of its size) where the hazard was flagged.
func CompareScenes(evidence, proof image.Image, regions []Band) SceneMatch {
	ev := newScene(evidence, sceneW, sceneH)
	// The proof is sampled between its cells: a finer grid keeps it sharp when the
	// search zooms in.
	pr := newScene(proof, sceneW*3/2, sceneH*3/2)
	mask := maskOf(regions, sceneW, sceneH)
	// The wide search runs on grids half as fine; the refinement on the full ones.
	evC, prC := newScene(evidence, sceneW/2, sceneH/2), newScene(proof, sceneW*3/4, sceneH*3/4)
	maskC := maskOf(regions, sceneW/2, sceneH/2)
	vals, ok := make([]float64, sceneW*sceneH), make([]bool, sceneW*sceneH)

	best, bestScore := Alignment{Scale: 1}, float32(-2)
	for _, s := range sceneScales {
		for dy := -sceneShift; dy <= sceneShift+1e-9; dy += shiftStep {
			for dx := -sceneShift; dx <= sceneShift+1e-9; dx += shiftStep {
				a := Alignment{Scale: s, DX: dx, DY: dy}
				g, e, _ := compareAt(evC, prC, a, maskC, vals, ok)
				if sc := sceneScore(g, e); sc > bestScore {
					best, bestScore = a, sc
				}
			}
		}
	}
	// Refine on the full grids: finer shifts and scales around the best candidate.
	g, e, _ := compareAt(ev, pr, best, mask, vals, ok)
	bestScore = sceneScore(g, e)
	for _, step := range []float64{shiftStep / 3, shiftStep / 9} {
		center := best
		for _, ds := range []float64{-0.02, -0.01, 0, 0.01, 0.02} {
			for dy := -2.0; dy <= 2; dy++ {
				for dx := -2.0; dx <= 2; dx++ {
					a := Alignment{Scale: center.Scale * (1 + ds*step/shiftStep*3), DX: center.DX + dx*step, DY: center.DY + dy*step}
					g, e, _ := compareAt(ev, pr, a, mask, vals, ok)
					if sc := sceneScore(g, e); sc > bestScore {
						best, bestScore = a, sc
					}
				}
			}
		}
	}
	g, e, _ = compareAt(ev, pr, best, mask, vals, ok)
	m := SceneMatch{Grey: g, Edges: e, Align: best}
	m.Score = min(max(sceneScore(g, e), 0), 1)
	vals, ok = pr.warp(best, sceneW, sceneH)
	m.HashDistance = hashDistance(ev.grey, vals, ok, mask)
	if len(regions) > 0 {
		m.Region = max(0, ncc(ev.grey, vals, func(i int) bool { return mask[i] && ok[i] }))
	}
	return m
}

// sceneScore weighs the edge correlation over the grey one: grey levels follow the
// lighting (a bright window, a dark floor), which many rooms share; edges are where
// things are.
func sceneScore(grey, edges float32) float32 { return 0.3*grey + 0.7*edges }

// hashDistance is the Hamming distance of the 64-bit difference hashes (9×8 means,
// each cell brighter than its right neighbour) of a and b, cells out of view or masked
// left out of both.
func hashDistance(a, b []float64, ok, mask []bool) int {
	ha, hb := dhash(a, ok, mask), dhash(b, ok, mask)
	return bits.OnesCount64(ha ^ hb)
}

func dhash(g []float64, ok, mask []bool) uint64 {
	const cw, ch = 9, 8
	var sum [ch][cw]float64
	var n [ch][cw]int
	for y := 0; y < sceneH; y++ {
		for x := 0; x < sceneW; x++ {
			i := y*sceneW + x
			if !ok[i] || mask[i] {
				continue
			}
			cy, cx := y*ch/sceneH, x*cw/sceneW
			sum[cy][cx] += g[i]
			n[cy][cx]++
		}
	}
	var h uint64
	for y := 0; y < ch; y++ {
		for x := 0; x+1 < cw; x++ {
			h <<= 1
			if n[y][x] > 0 && n[y][x+1] > 0 && sum[y][x]/float64(n[y][x]) > sum[y][x+1]/float64(n[y][x+1]) {
				h |= 1
			}
		}
	}
	return h
}
