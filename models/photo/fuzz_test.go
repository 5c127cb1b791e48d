package photo_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo"
)

// FuzzPhotoHeader feeds arbitrary bytes to the header checks an upload runs before
// any pixel is decoded: they must never panic, must refuse what is not a photo with an
// application error, and must report the declared size of what they accept.
func FuzzPhotoHeader(f *testing.F) {
	var pngPhoto bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&pngPhoto, img); err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		pngPhoto.Bytes(),
		{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0},
		[]byte("RIFF\x24\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\x2f\x75\x00\x2f\x75\x00"),
		[]byte("<!doctype html><html>"),
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, w, h, err := photo.Dimensions(bytes.NewReader(data))
		if err != nil {
			if inspect.ErrorCode(err) == inspect.EINTERNAL {
				t.Fatalf("header of %d bytes: internal error %v; want a user-facing code", len(data), err)
			}
			return
		}
		if typ != inspect.PhotoJPEG && typ != inspect.PhotoPNG && typ != inspect.PhotoWebP {
			t.Fatalf("accepted type %q", typ)
		}
		if sniffed, err := photo.Sniff(data); err != nil || sniffed != typ {
			t.Fatalf("Dimensions says %s but Sniff says %s, %v", typ, sniffed, err)
		}
		_ = inspect.CheckDimensions(w, h, inspect.DefaultPhotoLimits())
	})
}
