package models

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Colours of the annotation: red for boxes behind a flag, amber for "needs review",
// green for the other detections.
var (
	colourFlag   = color.NRGBA{R: 230, G: 30, B: 30, A: 255}
	colourReview = color.NRGBA{R: 245, G: 165, B: 0, A: 255}
	colourPlain  = color.NRGBA{R: 40, G: 190, B: 70, A: 255}
	colourText   = color.NRGBA{R: 255, G: 255, B: 255, A: 255}
)

// Annotate returns a copy of img with every detection's box and label drawn, boxes
// behind a flag in red (amber for "needs review"), and a banner listing the flags at the
// top-left. img is not modified.
func Annotate(img image.Image, dets []Detection, flags []Flag) image.Image {
	out := imaging.Clone(img) // *image.NRGBA at (0,0)
	w, h := out.Rect.Dx(), out.Rect.Dy()
	scale := max(1, min(w, h)/400)
	thick := max(2, min(w, h)/250)

	status := map[Rect]string{}
	for _, f := range flags {
		for _, b := range f.Boxes {
			if status[b] != StatusFlag {
				status[b] = f.Status
			}
		}
	}
	// Draw weaker boxes first so flagged ones end up on top.
	order := [][]Detection{nil, nil, nil}
	for _, d := range dets {
		switch status[d.Box] {
		case StatusFlag:
			order[2] = append(order[2], d)
		case StatusNeedsReview:
			order[1] = append(order[1], d)
		default:
			order[0] = append(order[0], d)
		}
	}
	// Boxes first, then labels, so that no box is drawn over a label.
	type label struct {
		at   image.Point
		text string
		c    color.NRGBA
	}
	var labels []label
	for i, group := range order {
		c := []color.NRGBA{colourPlain, colourReview, colourFlag}[i]
		for _, d := range group {
			r := image.Rect(int(d.Box.X1), int(d.Box.Y1), int(d.Box.X2), int(d.Box.Y2))
			strokeRect(out, r, thick, c)
			y := r.Min.Y - 15*scale
			if y < 0 {
				y = r.Min.Y
			}
			labels = append(labels, label{image.Pt(r.Min.X, y), fmt.Sprintf("%s %.2f", d.Class, d.Score), c})
		}
	}
	for _, l := range labels {
		drawLabel(out, l.at, l.text, scale, l.c)
	}
	y := 0
	for _, f := range flags {
		c := colourFlag
		if f.Status == StatusNeedsReview {
			c = colourReview
		}
		text := fmt.Sprintf("%s %s %.2f", f.Status, f.Code, f.Score)
		drawLabel(out, image.Pt(0, y), text, scale, c)
		y += 15 * scale
	}
	return out
}

// strokeRect draws the outline of r, thick pixels wide, inside the image bounds.
func strokeRect(dst *image.NRGBA, r image.Rectangle, thick int, c color.NRGBA) {
	u := image.NewUniform(c)
	edges := []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+thick),
		image.Rect(r.Min.X, r.Max.Y-thick, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+thick, r.Max.Y),
		image.Rect(r.Max.X-thick, r.Min.Y, r.Max.X, r.Max.Y),
	}
	for _, e := range edges {
		draw.Draw(dst, e.Intersect(dst.Rect), u, image.Point{}, draw.Src)
	}
}

// drawLabel writes text in white on a box of colour bg at pt, the 7×13 bitmap font
// enlarged scale times so it stays legible on large photos.
func drawLabel(dst *image.NRGBA, pt image.Point, text string, scale int, bg color.NRGBA) {
	face := basicfont.Face7x13
	tw := font.MeasureString(face, text).Ceil() + 4
	th := 15
	tag := image.NewNRGBA(image.Rect(0, 0, tw, th))
	draw.Draw(tag, tag.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	dr := font.Drawer{Dst: tag, Src: image.NewUniform(colourText), Face: face, Dot: fixed.P(2, 11)}
	dr.DrawString(text)
	var src image.Image = tag
	if scale > 1 {
		src = imaging.Resize(tag, tw*scale, th*scale, imaging.NearestNeighbor)
	}
	r := src.Bounds().Add(pt)
	draw.Draw(dst, r, src, src.Bounds().Min, draw.Src) // Draw clips to dst
}
