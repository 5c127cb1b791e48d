package photo_test

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

// TestAnnotatedJPEGInBandsIsTheWholeDecode: the annotated copy of a 12 MP JPEG,
// made a band of rows at a time, is byte for byte the copy made from the whole
// decoded photo, with boxes and labels across the bands' edges; a truncated photo
// is still refused as corrupt.
func TestAnnotatedJPEGInBandsIsTheWholeDecode(t *testing.T) {
	img := imaging.New(4032, 3024, color.NRGBA{R: 90, G: 140, B: 200, A: 255})
	img = imaging.Paste(img, imaging.New(1500, 900, color.NRGBA{R: 230, G: 200, B: 40, A: 255}), image.Pt(700, 1000))
	data := phototest.Encode(t, img, 90)
	red, amber := color.NRGBA{R: 220, A: 255}, color.NRGBA{R: 240, G: 160, A: 255}
	a := photo.Annotation{
		Boxes: []photo.Box{
			{Rect: image.Rect(700, 1000, 2200, 1900), Label: "motorcycle 0.91", Colour: red},
			{Rect: image.Rect(10, 60, 300, 130), Label: "chair 0.40", Colour: amber}, // across the first band's edge
			{Rect: image.Rect(3900, 2950, 4100, 3100), Label: "off the edge", Colour: red},
		},
		Banner: []photo.Label{{Text: "two_wheeler_indoor 0.91", Colour: red}, {Text: "model yolox_nano", Colour: amber}},
	}
	banded, err := photo.AnnotatedJPEG(data, a)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := photo.AnnotatedWhole(data, a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(banded, whole) {
		t.Errorf("the banded copy (%d bytes) differs from the whole decode's (%d bytes)", len(banded), len(whole))
	}
	if _, err := photo.AnnotatedJPEG(data[:len(data)*2/3], a); inspect.ErrorCode(err) != inspect.EINVALID {
		t.Errorf("truncated photo: %v, want invalid", err)
	}
	// A photo turned by its EXIF orientation is annotated upright (from a whole decode).
	turned, err := photo.AnnotatedJPEG(phototest.PhoneJPEG(t), photo.Annotation{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := photo.Decode(turned, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Width != 3024 || got.Height != 4032 || !phototest.RedOnTop(got.Image) {
		t.Errorf("annotated copy of an orientation-6 photo: %d×%d, red on top %v; want 3024×4032 upright", got.Width, got.Height, phototest.RedOnTop(got.Image))
	}
}
