package models

import (
	"fmt"
	"image"
	"math"

	"github.com/disintegration/imaging"

	"github.com/safegrid/safegrid/inspect"
)

// prepared is a photo resized for the model's input, with the scale that maps input
// pixels back to the photo's pixels.
type prepared struct {
	img            *image.NRGBA // at most size×size, placed at (padX, padY)
	origW, origH   int          // the whole photo, whose bounds clip the boxes
	scaleX, scaleY float64      // input pixels per photo pixel
	offX, offY     float64      // where a part of the photo starts, in photo pixels
	padX, padY     int          // where img starts in the input (a centred letterbox)
	// The edges of a part of the photo that cut through it: a box touching one is
	// cut short.
	cutLeft, cutTop, cutRight, cutBottom bool
}

// prepare resizes img the way the manifest says: a letterbox keeping the aspect ratio,
// at the top-left (YOLOX) or centred (Ultralytics), or a plain stretch to size×size
// (FastestDet).
func prepare(m *Manifest, img image.Image) (prepared, error) {
	b := img.Bounds()
	return prepareScaled(m, img, b.Dx(), b.Dy())
}

// prepareScaled is prepare for img, a reduced decode of a w×h photo (a JPEG decoded
// at 1/8 of its size): the tensor is filled from img, and boxes map back to the
// photo's w×h pixels.
func prepareScaled(m *Manifest, img image.Image, w, h int) (prepared, error) {
	if w < 1 || h < 1 || img.Bounds().Empty() {
		return prepared{}, inspect.Errorf(inspect.EINVALID, "photo is empty (%d×%d pixels)", w, h)
	}
	size := m.Input.Size
	p := prepared{origW: w, origH: h}
	var nw, nh int
	switch m.Input.Letterbox {
	case LetterboxTopLeft, LetterboxCentre:
		r := math.Min(float64(size)/float64(w), float64(size)/float64(h))
		nw = max(1, min(size, int(float64(w)*r)))
		nh = max(1, min(size, int(float64(h)*r)))
		p.scaleX, p.scaleY = r, r
		if m.Input.Letterbox == LetterboxCentre {
			p.padX, p.padY = (size-nw)/2, (size-nh)/2
		}
	case LetterboxStretch:
		nw, nh = size, size
		p.scaleX, p.scaleY = float64(size)/float64(w), float64(size)/float64(h)
	default:
		return prepared{}, fmt.Errorf("letterbox kind %q not supported", m.Input.Letterbox)
	}
	if b := img.Bounds(); nw == b.Dx() && nh == b.Dy() {
		p.img = imaging.Clone(img)
	} else {
		p.img = imaging.Resize(img, nw, nh, imaging.Linear)
	}
	return p, nil
}

// preparePasses prepares the whole photo and every part of it m.Slicing names,
// from img, a decode (possibly reduced) of the upright w×h photo.
func preparePasses(m *Manifest, img *image.NRGBA, w, h int) ([]prepared, error) {
	whole, err := prepareScaled(m, img, w, h)
	if err != nil {
		return nil, err
	}
	passes := []prepared{whole}
	iw, ih := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	for _, r := range m.Slicing.Regions() {
		// The part in img's pixels, and the same part in the photo's.
		sub := image.Rect(int(math.Round(float64(r.X1)*iw)), int(math.Round(float64(r.Y1)*ih)),
			int(math.Round(float64(r.X2)*iw)), int(math.Round(float64(r.Y2)*ih))).Add(img.Rect.Min)
		if sub.Dx() < 1 || sub.Dy() < 1 {
			continue
		}
		x1, y1 := float64(r.X1)*float64(w), float64(r.Y1)*float64(h)
		x2, y2 := float64(r.X2)*float64(w), float64(r.Y2)*float64(h)
		p, err := prepareScaled(m, img.SubImage(sub), max(1, int(math.Round(x2-x1))), max(1, int(math.Round(y2-y1))))
		if err != nil {
			return nil, err
		}
		p.scaleX, p.scaleY = p.scaleX*float64(p.origW)/(x2-x1), p.scaleY*float64(p.origH)/(y2-y1)
		p.origW, p.origH, p.offX, p.offY = w, h, x1, y1
		p.cutLeft, p.cutTop, p.cutRight, p.cutBottom = r.X1 > 0, r.Y1 > 0, r.X2 < 1, r.Y2 < 1
		passes = append(passes, p)
	}
	return passes, nil
}

// fillTensor writes the prepared image into dst, a [1,3,size,size] NCHW tensor, in the
// manifest's channel order and normalisation; the area outside the image gets the pad
// value. dst is reused between photos, so every element is written.
func fillTensor(m *Manifest, p prepared, dst []float32) {
	size := m.Input.Size
	plane := size * size
	scale := float32(1)
	if m.Input.Normalisation == NormaliseDivide255 {
		scale = 1.0 / 255
	}
	pad := float32(m.Input.PadValue) * scale
	// Offsets of the R, G and B planes.
	rOff, gOff, bOff := 0, plane, 2*plane
	if m.Input.ChannelOrder == ChannelsBGR {
		rOff, bOff = 2*plane, 0
	}
	iw, ih := p.img.Rect.Dx(), p.img.Rect.Dy()
	if iw < size || ih < size {
		for i := range dst[:3*plane] {
			dst[i] = pad
		}
	}
	pix, stride := p.img.Pix, p.img.Stride
	for y := 0; y < ih; y++ {
		row := pix[y*stride : y*stride+4*iw]
		base := (y+p.padY)*size + p.padX
		for x := 0; x < iw; x++ {
			px := row[4*x : 4*x+3 : 4*x+3]
			i := base + x
			dst[rOff+i] = float32(px[0]) * scale
			dst[gOff+i] = float32(px[1]) * scale
			dst[bOff+i] = float32(px[2]) * scale
		}
	}
}

// toPhoto maps a box in input-tensor pixels back to the photo, clipped to its bounds.
func (p prepared) toPhoto(r Rect) Rect {
	clip := func(v float64, hi int) float32 {
		return float32(math.Max(0, math.Min(float64(hi), v)))
	}
	return Rect{
		X1: clip(p.offX+(float64(r.X1)-float64(p.padX))/p.scaleX, p.origW),
		Y1: clip(p.offY+(float64(r.Y1)-float64(p.padY))/p.scaleY, p.origH),
		X2: clip(p.offX+(float64(r.X2)-float64(p.padX))/p.scaleX, p.origW),
		Y2: clip(p.offY+(float64(r.Y2)-float64(p.padY))/p.scaleY, p.origH),
	}
}
