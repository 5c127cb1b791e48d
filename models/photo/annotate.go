package photo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/safegrid/safegrid/inspect"
)

// Box is one rectangle to draw on a photo, in the photo's pixels, with its label.
type Box struct {
	Rect   image.Rectangle
	Label  string
	Colour color.NRGBA
}

// Label is one line of text on a coloured background.
type Label struct {
	Text   string
	Colour color.NRGBA
}

// Annotation is what to draw on a photo: boxes in order (a later box is drawn over an
// earlier one), then every box's label, then the banner lines at the top-left.
type Annotation struct {
	Boxes  []Box
	Banner []Label
}

// colourText is the colour of every label's text.
var colourText = color.NRGBA{R: 255, G: 255, B: 255, A: 255}

// AnnotatedQuality is the JPEG quality of annotated copies.
const AnnotatedQuality = 85

// Annotate returns a copy of img with a drawn (see Draw). img is not modified.
func Annotate(img image.Image, a Annotation) *image.NRGBA {
	out := imaging.Clone(img) // *image.NRGBA at (0,0)
	Draw(out, a)
	return out
}

// Draw draws a on out, an image anchored at (0,0). Lines and text grow with the
// photo so that they stay legible on a 12 MP photo.
func Draw(out *image.NRGBA, a Annotation) {
	drawOn(out, a, out.Rect.Dx(), out.Rect.Dy())
}

// drawOn draws a on out, the whole of a w×h photo or a band of it (out.Rect in the
// photo's coordinates): what falls outside out is clipped.
func drawOn(out *image.NRGBA, a Annotation, w, h int) {
	scale := max(1, min(w, h)/400)
	thick := max(2, min(w, h)/250)
	// Boxes first, then labels, so that no box is drawn over a label.
	for _, b := range a.Boxes {
		strokeRect(out, b.Rect, thick, b.Colour)
	}
	for _, b := range a.Boxes {
		y := b.Rect.Min.Y - 15*scale
		if y < 0 {
			y = b.Rect.Min.Y
		}
		drawLabel(out, image.Pt(b.Rect.Min.X, y), b.Label, scale, b.Colour)
	}
	y := 0
	for _, l := range a.Banner {
		drawLabel(out, image.Pt(0, y), l.Text, scale, l.Colour)
		y += 15 * scale
	}
}

// AnnotatedJPEG decodes the photo in data at full size, upright, draws a on it and
// encodes it as a JPEG at AnnotatedQuality: the annotated copy stored beside a
// photo, as large as the photo so that its boxes are where the analysis found them.
// A JPEG that is upright as stored is decoded, drawn on and encoded a band of rows
// at a time (never its whole pixels in memory); another photo is decoded whole. The
// decode takes its share of the decode budget like every other.
func AnnotatedJPEG(data []byte, a Annotation) ([]byte, error) {
	if typ, err := Sniff(data[:min(len(data), SniffLen)]); err == nil && typ == inspect.PhotoJPEG {
		if x, _ := ReadEXIF(bytes.NewReader(data)); x.Orientation <= 1 {
			return recodeJPEG(data, AnnotatedQuality, func(band *image.NRGBA, w, h int) { drawOn(band, a, w, h) })
		}
	}
	return annotatedWhole(data, a)
}

// annotatedWhole is AnnotatedJPEG from a decode of the whole photo.
func annotatedWhole(data []byte, a Annotation) ([]byte, error) {
	d, err := Decode(data, 0)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	Draw(d.Image, a)
	b, err := encodeNRGBA(d.Image, AnnotatedQuality)
	if err != nil {
		return nil, fmt.Errorf("encode annotated copy: %w", err)
	}
	return b, nil
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
	if !image.Rect(pt.X, pt.Y, pt.X+tw*scale, pt.Y+th*scale).Overlaps(dst.Rect) {
		return // in another band of the photo
	}
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
