package models

import (
	"fmt"
	"sort"
)

// Rect is an axis-aligned box in pixels: (X1,Y1) top-left, (X2,Y2) bottom-right.
type Rect struct {
	X1 float32 `json:"x1"`
	Y1 float32 `json:"y1"`
	X2 float32 `json:"x2"`
	Y2 float32 `json:"y2"`
}

// Width is the box's width, 0 for an empty box.
func (r Rect) Width() float32 { return max(0, r.X2-r.X1) }

// Height is the box's height, 0 for an empty box.
func (r Rect) Height() float32 { return max(0, r.Y2-r.Y1) }

// Area is the box's area, 0 for an empty box.
func (r Rect) Area() float32 { return r.Width() * r.Height() }

// Intersect returns the overlap of r and o (empty when they do not overlap).
func (r Rect) Intersect(o Rect) Rect {
	x := Rect{X1: max(r.X1, o.X1), Y1: max(r.Y1, o.Y1), X2: min(r.X2, o.X2), Y2: min(r.Y2, o.Y2)}
	if x.X2 <= x.X1 || x.Y2 <= x.Y1 {
		return Rect{}
	}
	return x
}

// IoU is the intersection over union of r and o, 0 when both are empty.
func (r Rect) IoU(o Rect) float32 {
	inter := r.Intersect(o).Area()
	union := r.Area() + o.Area() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

func (r Rect) String() string {
	return fmt.Sprintf("[%.0f,%.0f %.0f,%.0f]", r.X1, r.Y1, r.X2, r.Y2)
}

// Detection is one object the model found, with its box in the original photo's pixels.
type Detection struct {
	Class   string  `json:"class"`
	ClassID int     `json:"class_id"`
	Score   float32 `json:"score"`
	Box     Rect    `json:"box"`
}

// maxCandidates bounds the boxes fed to NMS; a real photo has far fewer above threshold.
const maxCandidates = 2000

// NMS is class-aware non-maximum suppression: it sorts dets by score and drops every
// detection that overlaps a higher-scoring one of the same class by more than iou.
// Detections of different classes never suppress each other. dets is reordered in place;
// the result shares its backing array.
func NMS(dets []Detection, iou float32) []Detection {
	sortByScore(dets)
	if len(dets) > maxCandidates {
		dets = dets[:maxCandidates]
	}
	kept := dets[:0]
	for _, d := range dets {
		suppressed := false
		for _, k := range kept {
			if k.ClassID == d.ClassID && k.Box.IoU(d.Box) > iou {
				suppressed = true
				break
			}
		}
		if !suppressed {
			kept = append(kept, d)
		}
	}
	return kept
}

// sortByScore orders dets best first, keeping the order of equal scores.
func sortByScore(dets []Detection) {
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].Score > dets[j].Score })
}

// MergeSlices merges the detections of several passes over one photo (the whole
// photo and parts of it, see Slicing): NMS at iou, and besides, a box that lies
// mostly (over 60 % of its area) inside a higher-scoring box of the same class is
// dropped, for a part of an object seen by one pass and the whole object by
// another do not overlap by IoU. dets is reordered in place; the result shares its
// backing array.
func MergeSlices(dets []Detection, iou float32) []Detection {
	dets = NMS(dets, iou)
	kept := dets[:0]
	for _, d := range dets {
		inside := false
		for _, k := range kept {
			if k.ClassID == d.ClassID && d.Box.Area() > 0 && k.Box.Intersect(d.Box).Area()/d.Box.Area() > 0.6 {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, d)
		}
	}
	return kept
}

// YOLOLabel formats a box as one line of a YOLO-format label file: the class id and the
// box's centre, width and height as fractions of the image size, e.g.
// "3 0.512500 0.604167 0.275000 0.391667". The box is clipped to the image first.
func YOLOLabel(classID int, box Rect, imgW, imgH int) string {
	w, h := float32(imgW), float32(imgH)
	b := box.Intersect(Rect{X2: w, Y2: h})
	cx := (b.X1 + b.X2) / 2 / w
	cy := (b.Y1 + b.Y2) / 2 / h
	return fmt.Sprintf("%d %.6f %.6f %.6f %.6f", classID, cx, cy, b.Width()/w, b.Height()/h)
}
