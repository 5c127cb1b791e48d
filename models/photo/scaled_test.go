package photo_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo"
	"github.com/safegrid/safegrid/models/photo/phototest"
)

func TestDecodeTwelveMegapixelsAtOneEighth(t *testing.T) {
	data := phototest.PhoneJPEG(t)
	d, err := photo.Decode(data, photo.ThumbnailSide)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Width != 3024 || d.Height != 4032 {
		t.Errorf("photo size %d×%d, want 3024×4032 upright", d.Width, d.Height)
	}
	if b := d.Image.Bounds(); b.Dx() != 378 || b.Dy() != 504 {
		t.Errorf("decoded %v, want 378×504: 1/8 of the upright photo, never the full size", b)
	}
	assertRedOnTop(t, d.Image)
}

func TestThumbnailOfTwelveMegapixelsIsUpright(t *testing.T) {
	thumb, err := photo.Thumbnail(phototest.PhoneJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(thumb))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 320 {
		t.Errorf("thumbnail %v, want 240×320 (upright, fitting 320)", b)
	}
	assertRedOnTop(t, img)
}

func assertRedOnTop(t *testing.T, img image.Image) {
	t.Helper()
	if !phototest.RedOnTop(img) {
		t.Error("want red on top and blue below: orientation 6 applied")
	}
}

func TestDecodeRefusesBrokenAndHostileJPEGs(t *testing.T) {
	data := phototest.PhoneJPEG(t)
	tests := []struct {
		name string
		data []byte
		code string
		msg  string
	}{
		{"truncated 12 MP", data[:len(data)*2/3], inspect.EINVALID, "truncated or corrupt"},
		{"cut in the header", data[:300], inspect.EINVALID, "truncated or corrupt"},
		{"progressive declaring 49 MP", phototest.ProgressiveDeclaring(t, 7000, 7000), inspect.ETOOLARGE, "progressive JPEG of 7000×7000"},
		{"progressive declaring 12 MP, 16×16 of scans", phototest.ProgressiveDeclaring(t, 4032, 3024), inspect.EINVALID, "truncated or corrupt"},
		{"empty", nil, inspect.EINVALID, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := photo.Thumbnail(tt.data)
			assertCode(t, err, tt.code, tt.msg)
		})
	}
	// A whole progressive JPEG decodes.
	if _, err := photo.Thumbnail(phototest.ProgressiveDeclaring(t, 16, 16)); err != nil {
		t.Errorf("16×16 progressive JPEG: %v", err)
	}
}
