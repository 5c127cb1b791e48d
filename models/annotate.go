package models

import (
	"fmt"
	"image"
	"image/color"

	"github.com/safegrid/safegrid/models/photo"
)

// Colours of the annotation: red for boxes behind a flag, amber for "needs review",
// green for the other detections.
var (
	colourFlag   = color.NRGBA{R: 230, G: 30, B: 30, A: 255}
	colourReview = color.NRGBA{R: 245, G: 165, B: 0, A: 255}
	colourPlain  = color.NRGBA{R: 40, G: 190, B: 70, A: 255}
)

// Annotation says what to draw for detections and the flags they led to: every
// detection's box and label, boxes behind a flag in red (amber for "needs review")
// drawn over the others, and a banner listing the flags.
func Annotation(dets []Detection, flags []Flag) photo.Annotation {
	status := map[Rect]string{}
	for _, f := range flags {
		for _, b := range f.Boxes {
			if status[b] != StatusFlag {
				status[b] = f.Status
			}
		}
	}
	// Weaker boxes first so flagged ones end up on top.
	var plain, review, flagged []photo.Box
	for _, d := range dets {
		b := photo.Box{
			Rect:  image.Rect(int(d.Box.X1), int(d.Box.Y1), int(d.Box.X2), int(d.Box.Y2)),
			Label: fmt.Sprintf("%s %.2f", d.Class, d.Score),
		}
		switch status[d.Box] {
		case StatusFlag:
			b.Colour = colourFlag
			flagged = append(flagged, b)
		case StatusNeedsReview:
			b.Colour = colourReview
			review = append(review, b)
		default:
			b.Colour = colourPlain
			plain = append(plain, b)
		}
	}
	a := photo.Annotation{Boxes: append(append(plain, review...), flagged...)}
	for _, f := range flags {
		c := colourFlag
		if f.Status == StatusNeedsReview {
			c = colourReview
		}
		a.Banner = append(a.Banner, photo.Label{Text: fmt.Sprintf("%s %s %.2f", f.Status, f.Code, f.Score), Colour: c})
	}
	return a
}

// Annotate returns a copy of img with the detections and flags drawn (see
// Annotation). img is not modified.
func Annotate(img image.Image, dets []Detection, flags []Flag) image.Image {
	return photo.Annotate(img, Annotation(dets, flags))
}
