package phototest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/disintegration/imaging"
)

// Reshoot imitates taking the photo again: the frame shifted and zoomed in (a crop
// of cropPct % of each side, more on the left and at the bottom, scaled back to the
// full size), brighter and with more contrast, then a JPEG at quality 70 decoded again.
func Reshoot(tb testing.TB, img image.Image, cropPct int) image.Image {
	tb.Helper()
	b := img.Bounds()
	c := imaging.Crop(img, image.Rect(b.Min.X+b.Dx()*cropPct*2/3/100, b.Min.Y+b.Dy()*cropPct/3/100,
		b.Max.X-b.Dx()*cropPct/3/100, b.Max.Y-b.Dy()*cropPct*2/3/100))
	c = imaging.AdjustContrast(imaging.AdjustBrightness(c, 12), 10)
	out, err := jpeg.Decode(bytes.NewReader(Encode(tb, imaging.Resize(c, b.Dx(), b.Dy(), imaging.Linear), 70)))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// PaintOut removes what is inside r (pixels) the way a photo without it might look:
// each row of r is filled by blending the pixels just left and right of it.
func PaintOut(img image.Image, r image.Rectangle) *image.NRGBA {
	out := imaging.Clone(img) // anchored at (0,0)
	r = r.Sub(img.Bounds().Min).Intersect(out.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		left := out.NRGBAAt(max(r.Min.X-1, 0), y)
		right := out.NRGBAAt(min(r.Max.X, out.Bounds().Max.X-1), y)
		for x := r.Min.X; x < r.Max.X; x++ {
			f := float64(x-r.Min.X) / float64(max(r.Dx(), 1))
			mix := func(a, b uint8) uint8 { return uint8(float64(a)*(1-f) + float64(b)*f) }
			out.SetNRGBA(x, y, color.NRGBA{mix(left.R, right.R), mix(left.G, right.G), mix(left.B, right.B), 255})
		}
	}
	return out
}
