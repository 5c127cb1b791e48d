// Package phototest makes the photos SafeGrid's tests and benchmarks need at run
// time — phone-sized JPEGs, EXIF orientations, headers that lie — so that no large
// or hostile file is committed.
package phototest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
)

// Encode encodes img as a JPEG at quality.
func Encode(tb testing.TB, img image.Image, quality int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// WithOrientation returns jpg with an EXIF APP1 segment carrying orientation (a
// big-endian TIFF block with one IFD entry, 0x0112) after its SOI marker.
func WithOrientation(jpg []byte, orientation uint16) []byte {
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a")
	tiff = be.AppendUint32(tiff, 8)
	tiff = be.AppendUint16(tiff, 1)
	tiff = be.AppendUint16(be.AppendUint16(tiff, 0x0112), 3)
	tiff = be.AppendUint32(tiff, 1)
	tiff = be.AppendUint16(be.AppendUint16(tiff, orientation), 0)
	tiff = be.AppendUint32(tiff, 0)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := be.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(app1)+2))
	return insertAfterSOI(jpg, append(seg, app1...))
}

// WithComment returns jpg with a comment segment holding text: the same picture as
// other bytes (a repeated upload of the same bytes writes nothing).
func WithComment(jpg []byte, text string) []byte {
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xFE}, uint16(len(text)+2))
	return insertAfterSOI(jpg, append(seg, text...))
}

func insertAfterSOI(jpg, seg []byte) []byte {
	out := make([]byte, 0, len(jpg)+len(seg))
	out = append(out, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// WithFrameSize returns jpg with the size in its SOF0 or SOF2 header set to w×h.
func WithFrameSize(tb testing.TB, jpg []byte, w, h int) []byte {
	tb.Helper()
	out := bytes.Clone(jpg)
	for _, sof := range [][]byte{{0xFF, 0xC0}, {0xFF, 0xC2}} {
		if i := bytes.Index(out, sof); i >= 0 {
			binary.BigEndian.PutUint16(out[i+5:], uint16(h))
			binary.BigEndian.PutUint16(out[i+7:], uint16(w))
			return out
		}
	}
	tb.Fatal("phototest: no SOF0 or SOF2 header")
	return nil
}

// ProgressiveDeclaring returns a progressive JPEG whose frame header declares w×h
// pixels while its scans hold 16×16: to a decoder, which must set aside every
// coefficient of w×h before reading the scans, it is the bomb of issue #11.
func ProgressiveDeclaring(tb testing.TB, w, h int) []byte {
	tb.Helper()
	// A 16×16 progressive JPEG encoded by libjpeg-turbo (jpeg_simple_progression):
	// Go cannot write one.
	_, self, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(self), "../../../testdata/photos/progressive16.jpg"))
	if err != nil {
		tb.Fatal(err)
	}
	return WithFrameSize(tb, data, w, h)
}

var phone struct {
	once sync.Once
	jpg  []byte
}

// PhoneJPEG is a 4032×3024 (12 MP) JPEG at quality 90 with EXIF orientation 6 (the
// phone upright, its sensor sideways): its left half red, its right half blue, so
// that upright the red is on top. Made once per test binary.
func PhoneJPEG(tb testing.TB) []byte {
	tb.Helper()
	phone.once.Do(func() {
		img := imaging.New(4032, 3024, color.NRGBA{B: 255, A: 255})
		img = imaging.Paste(img, imaging.New(2016, 3024, color.NRGBA{R: 255, A: 255}), image.Pt(0, 0))
		phone.jpg = WithOrientation(Encode(tb, img, 90), 6)
	})
	return phone.jpg
}

// RedOnTop reports whether img shows red in its top part and blue in its bottom
// part: PhoneJPEG turned upright.
func RedOnTop(img image.Image) bool {
	b := img.Bounds()
	top := color.NRGBAModel.Convert(img.At(b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()/8)).(color.NRGBA)
	bottom := color.NRGBAModel.Convert(img.At(b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()*7/8)).(color.NRGBA)
	return top.R >= 200 && top.B <= 60 && bottom.B >= 200 && bottom.R <= 60
}

// FromSharedPhotos makes up to n 12 MP phone-like JPEGs from the JPEGs in dir (the
// shared photos): each resized up to 4032×3024, sharpened so that it holds a phone
// photo's detail, and encoded at quality 90.
func FromSharedPhotos(tb testing.TB, dir string, n int) [][]byte {
	tb.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	var out [][]byte
	for _, p := range paths[:min(n, len(paths))] {
		img, err := imaging.Open(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, Encode(tb, imaging.Sharpen(imaging.Resize(img, 4032, 3024, imaging.Linear), 1), 90))
	}
	if len(out) == 0 {
		tb.Fatalf("phototest: no JPEG in %q", dir)
	}
	return out
}
