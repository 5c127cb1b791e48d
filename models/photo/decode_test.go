package photo_test

import (
	"image"
	"image/color"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

// jpegWithOrientation encodes img as JPEG with an EXIF APP1 segment carrying orientation.
func jpegWithOrientation(t *testing.T, img image.Image, orientation uint16) []byte {
	return phototest.WithOrientation(phototest.Encode(t, img, 95), orientation)
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
		d, err := photo.Decode(jpegWithOrientation(t, src, tt.orientation), 0)
		if err != nil {
			t.Fatal(err)
		}
		img := imaging.Clone(d.Image) // d.Image is reused after Close
		d.Close()
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
