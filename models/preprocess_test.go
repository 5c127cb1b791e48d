package models

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

// prepareAt prepares img for the embedded model name shrunk to an input of
// size×size.
func prepareAt(t *testing.T, name string, size int, img image.Image) (Manifest, prepared) {
	t.Helper()
	m := embedded(t, name)
	m.Input.Size = size
	p, err := prepare(&m, img)
	if err != nil {
		t.Fatal(err)
	}
	return m, p
}

func TestFillTensorLetterboxTopLeft(t *testing.T) {
	// 8×4 in one colour → r = min(32/8, 32/4) = 4 → 32×16 at the top, padding below.
	m, p := prepareAt(t, "yolox_nano", 32, imaging.New(8, 4, color.NRGBA{R: 10, G: 20, B: 30, A: 255}))
	if p.img.Rect.Dx() != 32 || p.img.Rect.Dy() != 16 || p.scaleX != 4 || p.scaleY != 4 {
		t.Fatalf("prepared %v at scale %g×%g, want 32×16 at 4", p.img.Rect, p.scaleX, p.scaleY)
	}
	dst := make([]float32, 3*32*32)
	for i := range dst {
		dst[i] = -1 // a reused tensor holds the previous photo
	}
	fillTensor(&m, p, dst)
	for c, want := range []float32{30, 20, 10} { // BGR, 0–255
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				w := want
				if y >= 16 {
					w = 114
				}
				if got := dst[c*32*32+y*32+x]; got != w {
					t.Fatalf("channel %d (%d,%d) = %g, want %g", c, x, y, got, w)
				}
			}
		}
	}
	if got := p.toPhoto(Rect{4, 4, 40, 20}); got != (Rect{1, 1, 8, 4}) {
		t.Errorf("toPhoto = %v, want the box scaled by 1/4 and clipped to 8×4", got)
	}
}

func TestFillTensorStretch(t *testing.T) {
	m, p := prepareAt(t, "fastestdet", 16, imaging.New(40, 10, color.NRGBA{R: 51, G: 102, B: 255, A: 255}))
	dst := make([]float32, 3*16*16)
	fillTensor(&m, p, dst)
	for c, want := range []float32{1, 0.4, 0.2} { // BGR, /255
		for i := 0; i < 16*16; i++ {
			if got := dst[c*256+i]; !near(got, want) {
				t.Fatalf("channel %d [%d] = %g, want %g", c, i, got, want)
			}
		}
	}
	if got := p.toPhoto(Rect{8, 8, 16, 16}); got != (Rect{20, 5, 40, 10}) {
		t.Errorf("toPhoto = %v, want x×2.5, y×0.625", got)
	}
}

func TestDecodeRejectsNonImages(t *testing.T) {
	if _, err := photo.Decode([]byte("%PDF-1.7 not a photo"), 0); err == nil {
		t.Error("a PDF decoded as a photo")
	}
}

func FuzzDecodeImage(f *testing.F) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, imaging.New(4, 4, color.White), nil)
	f.Add(buf.Bytes())
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ph, err := photo.Decode(data, 0)
		if err != nil {
			return
		}
		defer ph.Close()
		img := ph.Image
		b := img.Bounds()
		if b.Dx()*b.Dy() > 1<<22 {
			return // too large to prepare quickly in a fuzz loop
		}
		m, _ := EmbeddedManifest("fastestdet")
		if p, err := prepare(&m, img); err == nil {
			fillTensor(&m, p, make([]float32, 3*m.Input.Size*m.Input.Size))
		}
	})
}

func TestAnnotateDrawsBoxesAndLeavesOriginal(t *testing.T) {
	src := imaging.New(200, 100, color.NRGBA{R: 0, G: 0, B: 0, A: 255})
	dets := []Detection{det("motorcycle", 0.9, 50, 40, 150, 90), det("chair", 0.5, 5, 5, 30, 30)}
	flags := []Flag{{Code: "two_wheeler_indoor", Status: StatusFlag, Score: 0.9, Boxes: []Rect{dets[0].Box}}}
	out := Annotate(src, dets, flags)
	if out.Bounds() != src.Bounds() {
		t.Fatalf("annotated bounds %v, want %v", out.Bounds(), src.Bounds())
	}
	if c := color.NRGBAModel.Convert(out.At(100, 89)).(color.NRGBA); c != colourFlag {
		t.Errorf("bottom edge of the flagged box is %v, want red %v", c, colourFlag)
	}
	if c := color.NRGBAModel.Convert(out.At(29, 20)).(color.NRGBA); c != colourPlain {
		t.Errorf("right edge of the unflagged box is %v, want green %v", c, colourPlain)
	}
	if c := color.NRGBAModel.Convert(src.At(100, 89)).(color.NRGBA); c.R != 0 {
		t.Error("Annotate modified its input")
	}
}

// TestModelInputOfTwelveMegapixelPhotoIsUpright: a 12 MP phone JPEG with EXIF
// orientation 6 reaches the model upright, letterboxed from a 1/8 decode, and boxes
// map back to the upright full-size photo.
func TestModelInputOfTwelveMegapixelPhotoIsUpright(t *testing.T) {
	m := embedded(t, "yolox_nano")
	ph, err := photo.Decode(phototest.PhoneJPEG(t), m.Input.Size)
	if err != nil {
		t.Fatal(err)
	}
	defer ph.Close()
	if b := ph.Image.Bounds(); b.Dx() != 378 || b.Dy() != 504 {
		t.Errorf("decoded %v for the model, want 378×504 (1/8, upright)", b)
	}
	p, err := prepareScaled(&m, ph.Image, ph.Width, ph.Height)
	if err != nil {
		t.Fatal(err)
	}
	if p.img.Rect.Dx() != 312 || p.img.Rect.Dy() != 416 {
		t.Errorf("model input %v, want 312×416: the upright photo letterboxed into 416", p.img.Rect)
	}
	if !phototest.RedOnTop(p.img) {
		t.Error("model input is not upright: want red on top (orientation 6 applied)")
	}
	if got := p.toPhoto(Rect{0, 0, 312, 416}); got != (Rect{0, 0, 3024, 4032}) {
		t.Errorf("toPhoto of the whole input = %v, want the whole upright photo 3024×4032", got)
	}
}
