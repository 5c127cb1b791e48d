package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/safegrid/safegrid/inspect"
)

// FuzzReceivePhoto runs the whole upload parser — size cap, type by the bytes,
// pixel limits from the headers, EXIF, full decode and thumbnail — on arbitrary
// bodies: it must answer an application error or a photo whose facts match its
// bytes, and never panic.
func FuzzReceivePhoto(f *testing.F) {
	m := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			m.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 90, 255})
		}
	}
	var j, p bytes.Buffer
	if err := jpeg.Encode(&j, m, nil); err != nil {
		f.Fatal(err)
	}
	if err := png.Encode(&p, m); err != nil {
		f.Fatal(err)
	}
	f.Add(j.Bytes())
	f.Add(p.Bytes())
	f.Add([]byte{})
	f.Add(j.Bytes()[:len(j.Bytes())/2])
	if dir := os.Getenv("SAFEGRID_TEST_IMAGES"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		for _, name := range files[:min(len(files), 2)] {
			if b, err := os.ReadFile(name); err == nil && len(b) < 1<<20 {
				f.Add(b)
			}
		}
	}
	// Small pixel limits keep each execution fast; the checks are the same.
	limits := inspect.PhotoLimits{MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxSide: 4000}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := receivePhoto(bytes.NewReader(body), limits)
		if in != nil {
			defer in.close()
		}
		if err != nil {
			if inspect.ErrorCode(err) == inspect.EINTERNAL {
				t.Fatalf("internal error for a bad upload: %v", err)
			}
			return
		}
		sum := sha256.Sum256(body)
		if in.size != int64(len(body)) || in.sha256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("photo facts size %d sha %s do not match the body (%d bytes)", in.size, in.sha256, len(body))
		}
		if in.width <= 0 || in.height <= 0 || int64(in.width)*int64(in.height) > limits.MaxPixels || len(in.thumbnail) == 0 {
			t.Fatalf("accepted photo %dx%d with a %d-byte thumbnail", in.width, in.height, len(in.thumbnail))
		}
	})
}
