package models

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/disintegration/imaging"
)

func TestFillTensorLetterboxTopLeft(t *testing.T) {
	m := embedded(t, "yolox_nano")
	m.Input.Size = 32
	// 8×4 in one colour → r = min(32/8, 32/4) = 4 → 32×16 at the top, padding below.
	img := imaging.New(8, 4, color.NRGBA{R: 10, G: 20, B: 30, A: 255})
	p, err := prepare(&m, img)
	if err != nil {
		t.Fatal(err)
	}
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
	m := embedded(t, "fastestdet")
	m.Input.Size = 16
	img := imaging.New(40, 10, color.NRGBA{R: 51, G: 102, B: 255, A: 255})
	p, err := prepare(&m, img)
	if err != nil {
		t.Fatal(err)
	}
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

// jpegWithOrientation encodes img as JPEG with an EXIF APP1 segment carrying orientation.
func jpegWithOrientation(t *testing.T, img image.Image, orientation uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// TIFF, big-endian: header, one IFD with one SHORT entry (0x0112 Orientation).
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))
	binary.Write(&tiff, binary.BigEndian, uint16(1))
	binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3})
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, []uint16{orientation, 0})
	binary.Write(&tiff, binary.BigEndian, uint32(0))
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	seg = append(seg, app1...)
	data := buf.Bytes()
	return append(append(append([]byte{}, data[:2]...), seg...), data[2:]...)
}

func TestDecodeAppliesEXIFOrientation(t *testing.T) {
	// 40×20: red left half, blue right half.
	src := imaging.New(40, 20, color.NRGBA{B: 255, A: 255})
	src = imaging.Paste(src, imaging.New(20, 20, color.NRGBA{R: 255, A: 255}), image.Pt(0, 0))
	tests := []struct {
		orientation uint16
		w, h        int
		redAt       image.Point // a pixel that must be red after orientation
	}{
		{1, 40, 20, image.Pt(5, 10)},
		{6, 20, 40, image.Pt(10, 5)},  // rotate 90° clockwise: the left half goes to the top
		{8, 20, 40, image.Pt(10, 35)}, // rotate 90° counter-clockwise: the left half goes to the bottom
		{3, 40, 20, image.Pt(35, 10)}, // rotate 180°
	}
	for _, tt := range tests {
		img, err := DecodeImageBytes(jpegWithOrientation(t, src, tt.orientation))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("orientation %d: %d×%d, want %d×%d", tt.orientation, b.Dx(), b.Dy(), tt.w, tt.h)
			continue
		}
		r, _, bl, _ := img.At(b.Min.X+tt.redAt.X, b.Min.Y+tt.redAt.Y).RGBA()
		if r>>8 < 200 || bl>>8 > 60 {
			t.Errorf("orientation %d: pixel %v is not red (r=%d b=%d)", tt.orientation, tt.redAt, r>>8, bl>>8)
		}
	}
}

func TestDecodeRejectsNonImages(t *testing.T) {
	if _, err := DecodeImageBytes([]byte("%PDF-1.7 not a photo")); err == nil {
		t.Error("a PDF decoded as a photo")
	}
}

func FuzzDecodeImage(f *testing.F) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, imaging.New(4, 4, color.White), nil)
	f.Add(buf.Bytes())
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImageBytes(data)
		if err != nil {
			return
		}
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
