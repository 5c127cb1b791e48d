package photo_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo"
)

// testImage is a small picture with some structure, so encoders produce real data.
func testImage(w, h int) image.Image {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	return m
}

func encodeJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk returns one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// pngDeclaring returns a PNG header declaring w×h pixels and no pixel data: what a
// decompression bomb looks like to a config reader.
func pngDeclaring(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// riff wraps chunks in a RIFF WEBP container.
func riff(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

func webpChunk(fourcc string, data []byte) []byte {
	out := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	out = append(out, data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

func vp8l(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	return webpChunk("VP8L", append([]byte{0x2f}, binary.LittleEndian.AppendUint32(nil, bits)...))
}

func vp8(w, h int) []byte {
	data := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}
	data = binary.LittleEndian.AppendUint16(data, uint16(w))
	data = binary.LittleEndian.AppendUint16(data, uint16(h))
	return webpChunk("VP8 ", data)
}

func vp8x(w, h int, flags byte) []byte {
	data := []byte{flags, 0, 0, 0, byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16), byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
	return webpChunk("VP8X", data)
}

func TestSniffPhoto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		head     []byte
		want     inspect.PhotoType
		wantCode string
		mentions string
	}{
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, inspect.PhotoJPEG, "", ""},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), inspect.PhotoPNG, "", ""},
		{"webp", riff(vp8l(2, 2)), inspect.PhotoWebP, "", ""},
		{"empty", nil, "", inspect.EINVALID, "empty"},
		{"html error page", []byte("\n  <!DOCTYPE html><html><body>502 Bad Gateway"), "", inspect.EUNSUPPORTED, "looks like HTML"},
		{"iphone heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), "", inspect.EUNSUPPORTED, "HEIC"},
		{"mp4 video", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), "", inspect.EUNSUPPORTED, "video"},
		{"pdf", []byte("%PDF-1.7\n"), "", inspect.EUNSUPPORTED, "PDF"},
		{"gif", []byte("GIF89a\x01\x00"), "", inspect.EUNSUPPORTED, "GIF"},
		{"json", []byte(`{"error":"unauthorized"}`), "", inspect.EUNSUPPORTED, "JSON"},
		{"wav in riff", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), "", inspect.EUNSUPPORTED, "RIFF"},
		{"jpeg cut after two bytes", []byte{0xFF, 0xD8}, "", inspect.EUNSUPPORTED, "unrecognised"},
		{"random bytes", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, "", inspect.EUNSUPPORTED, "send JPEG, PNG or WebP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := photo.Sniff(tt.head)
			if tt.wantCode != "" {
				assertCode(t, err, tt.wantCode, tt.mentions)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Sniff = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPhotoDimensions(t *testing.T) {
	t.Parallel()
	limits := inspect.DefaultPhotoLimits()
	tests := []struct {
		name     string
		data     []byte
		wantType inspect.PhotoType
		w, h     int
		readErr  string // code from Dimensions
		checkErr string // code from CheckDimensions
		checkMsg string
	}{
		{"jpeg", encodeJPEG(t, 64, 48), inspect.PhotoJPEG, 64, 48, "", "", ""},
		{"png", encodePNG(t, 33, 17), inspect.PhotoPNG, 33, 17, "", "", ""},
		{"webp lossless", riff(vp8l(640, 480)), inspect.PhotoWebP, 640, 480, "", "", ""},
		{"webp lossy", riff(vp8(1920, 1080)), inspect.PhotoWebP, 1920, 1080, "", "", ""},
		{"webp extended with exif", riff(vp8x(4000, 3000, 0x08), vp8(4000, 3000)), inspect.PhotoWebP, 4000, 3000, "", "", ""},
		{"png bomb 30000×30000", pngDeclaring(30000, 30000), inspect.PhotoPNG, 30000, 30000, "", inspect.ETOOLARGE, "30000×30000"},
		{"png 10000×6000 is 60 MP", pngDeclaring(10000, 6000), inspect.PhotoPNG, 10000, 6000, "", inspect.ETOOLARGE, "10000×6000"},
		{"png 25000×10 too long a side", pngDeclaring(25000, 10), inspect.PhotoPNG, 25000, 10, "", inspect.ETOOLARGE, "20000 pixels a side"},
		{"webp bomb 16384×16384", riff(vp8x(16384, 16384, 0x10)), inspect.PhotoWebP, 16384, 16384, "", inspect.ETOOLARGE, "16384×16384"},
		{"webp extended, exif before the frame", riff(vp8x(4000, 3000, 0x08), webpChunk("EXIF", []byte("Exif\x00\x00MM")), vp8(4000, 3000)), inspect.PhotoWebP, 4000, 3000, "", "", ""},
		{"webp frame larger than its canvas", riff(vp8x(100, 100, 0), vp8(16383, 16383)), "", 0, 0, inspect.EINVALID, "", ""},
		{"webp frame behind other chunks larger than its canvas", riff(vp8x(100, 100, 0x08), webpChunk("EXIF", make([]byte, 7)), vp8l(16383, 16383)), "", 0, 0, inspect.EINVALID, "", ""},
		{"webp lossless frame smaller than its canvas", riff(vp8x(100, 100, 0), vp8l(50, 50)), "", 0, 0, inspect.EINVALID, "", ""},
		{"png with zero width", pngDeclaring(0, 10), "", 0, 0, inspect.EINVALID, "", ""},
		{"truncated jpeg header", encodeJPEG(t, 64, 48)[:20], "", 0, 0, inspect.EINVALID, "", ""},
		{"webp cut short", riff(vp8l(2, 2))[:22], "", 0, 0, inspect.EINVALID, "", ""},
		{"html", []byte("<html>"), "", 0, 0, inspect.EUNSUPPORTED, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			typ, w, h, err := photo.Dimensions(bytes.NewReader(tt.data))
			if tt.readErr != "" {
				assertCode(t, err, tt.readErr)
				return
			}
			if err != nil || typ != tt.wantType || w != tt.w || h != tt.h {
				t.Fatalf("Dimensions = %s %d×%d, %v; want %s %d×%d", typ, w, h, err, tt.wantType, tt.w, tt.h)
			}
			err = inspect.CheckDimensions(w, h, limits)
			if tt.checkErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertCode(t, err, tt.checkErr, tt.checkMsg)
		})
	}
}

func TestPhotoDecodeError(t *testing.T) {
	t.Parallel()
	full := encodeJPEG(t, 64, 48)
	_, decodeErr := jpeg.Decode(bytes.NewReader(full[:len(full)/2]))
	if decodeErr == nil {
		t.Fatal("a half JPEG decoded")
	}
	tests := []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"truncated jpeg", decodeErr, inspect.EINVALID, "truncated or corrupt"},
		{"corrupt png", png.FormatError("invalid checksum"), inspect.EINVALID, "truncated or corrupt"},
		{"unsupported jpeg", jpeg.UnsupportedError("arithmetic coding"), inspect.EUNSUPPORTED, "feature"},
		{"already an app error", inspect.Errorf(inspect.ETOOLARGE, "big"), inspect.ETOOLARGE, "big"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := photo.DecodeError(tt.err)
			assertCode(t, err, tt.code, tt.msg)
			if !errors.Is(err, tt.err) && !errors.Is(tt.err, err) {
				t.Error("the cause is lost for the log")
			}
			if strings.Contains(inspect.ErrorMessage(err), "invalid checksum") {
				t.Error("decoder internals leak into the user message")
			}
		})
	}
	if photo.DecodeError(nil) != nil {
		t.Error("DecodeError(nil) != nil")
	}
	if !errors.Is(photo.DecodeError(io.ErrUnexpectedEOF), io.ErrUnexpectedEOF) {
		t.Error("errors.Is must see the cause")
	}
}
