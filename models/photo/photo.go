// Package photo is SafeGrid's imaging library: it recognises a photo by its bytes,
// reads its pixel size from the headers of every frame the decoder will honour and
// its EXIF data, decodes it (it registers every format it accepts itself: JPEG, PNG
// and WebP), turns it upright, makes thumbnails and draws annotated copies.
//
// It knows nothing of inspections or hazards; the domain's photo type, limits and
// errors come from inspect.
package photo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"regexp"
	"strings"

	"github.com/safegrid/safegrid/inspect"
)

// SniffLen is how many leading bytes Sniff needs at most.
const SniffLen = 512

// lookalike is a format we refuse, recognised so that the error can say what was
// sent instead of a photo.
type lookalike struct {
	match func(head []byte) bool
	what  string
}

var htmlStart = regexp.MustCompile(`(?i)^\s*(<!doctype html|<html|<head|<body|<\?xml|<svg)`)

// ftypBrand returns the ISO base media brand ("heic", "isom", ...) of head, or "".
func ftypBrand(head []byte) string {
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		return string(head[8:12])
	}
	return ""
}

var lookalikes = []lookalike{
	{func(h []byte) bool {
		switch ftypBrand(h) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return true
		}
		return false
	}, "looks like a HEIC photo (the iPhone default), which we cannot read; set the camera to \"Most Compatible\" or send JPEG"},
	{func(h []byte) bool { b := ftypBrand(h); return b == "avif" || b == "avis" }, "looks like an AVIF image, which we cannot read"},
	{func(h []byte) bool { return ftypBrand(h) != "" }, "looks like a video, not a photo"},
	{func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("GIF87a")) || bytes.HasPrefix(h, []byte("GIF89a"))
	}, "looks like a GIF image"},
	{func(h []byte) bool { return bytes.HasPrefix(h, []byte("BM")) && len(h) >= 14 }, "looks like a BMP image"},
	{func(h []byte) bool {
		return bytes.HasPrefix(h, []byte("II*\x00")) || bytes.HasPrefix(h, []byte("MM\x00*"))
	}, "looks like a TIFF or camera raw image"},
	{func(h []byte) bool { return bytes.HasPrefix(h, []byte("%PDF-")) }, "looks like a PDF document, not a photo"},
	{func(h []byte) bool { return bytes.HasPrefix(h, []byte("PK\x03\x04")) }, "looks like a ZIP archive or office document, not a photo"},
	{func(h []byte) bool { return htmlStart.Match(h) }, "looks like HTML or XML, not a photo"},
	{func(h []byte) bool {
		t := bytes.TrimSpace(h)
		return len(t) > 0 && (t[0] == '{' || t[0] == '[')
	}, "looks like JSON, not a photo"},
	{func(h []byte) bool { return bytes.HasPrefix(h, []byte("RIFF")) }, "looks like a RIFF file (audio or video), not a photo"},
}

// Sniff decides the type of a photo from its first bytes (up to SniffLen):
// JPEG, PNG or WebP. Anything else is an inspect.EUNSUPPORTED *Error saying what it looks
// like, such as a HEIC photo from an iPhone or an HTML error page a proxy put in its
// place; an empty upload is inspect.EINVALID.
func Sniff(head []byte) (inspect.PhotoType, error) {
	switch {
	case len(head) == 0:
		return "", inspect.Errorf(inspect.EINVALID, "the photo is empty")
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return inspect.PhotoJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return inspect.PhotoPNG, nil
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return inspect.PhotoWebP, nil
	}
	for _, l := range lookalikes {
		if l.match(head) {
			return "", inspect.Errorf(inspect.EUNSUPPORTED, "unsupported photo format: it %s; send JPEG, PNG or WebP", l.what)
		}
	}
	return "", inspect.Errorf(inspect.EUNSUPPORTED, "unrecognised photo format; send JPEG, PNG or WebP")
}

// Dimensions reads the type and pixel size of the photo from r's headers
// only, without decoding pixels, so that inspect.CheckDimensions can refuse a
// decompression bomb before anything allocates its pixels.
func Dimensions(r io.Reader) (typ inspect.PhotoType, width, height int, err error) {
	br := bufio.NewReaderSize(r, SniffLen)
	head, _ := br.Peek(SniffLen) // a short photo is judged by what there is
	typ, err = Sniff(head)
	if err != nil {
		return "", 0, 0, err
	}
	var cfg image.Config
	switch typ {
	case inspect.PhotoJPEG:
		cfg, err = jpeg.DecodeConfig(br)
	case inspect.PhotoPNG:
		cfg, err = png.DecodeConfig(br)
	case inspect.PhotoWebP:
		cfg, err = webpConfig(br)
	}
	if err != nil {
		return typ, 0, 0, DecodeError(err)
	}
	return typ, cfg.Width, cfg.Height, nil
}

// webpConfig reads a WebP's size the way the decoder will meet it: the canvas of a
// VP8X (extended) chunk, then the frame of the first VP8 (lossy) or VP8L
// (lossless) chunk, which is what the decoder decodes and allocates. A frame of
// another size than its canvas is refused: otherwise a 100×100 canvas could carry a
// 16383×16383 frame past the pixel limit. A file that ends after its canvas gives
// the canvas (the decode then finds it truncated). It is our own because the
// golang.org/x/image in go.mod refuses VP8X files that carry EXIF, which phones
// write, and reports only the canvas.
func webpConfig(r io.Reader) (image.Config, error) {
	var riff [12]byte // RIFF size WEBP
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return image.Config{}, err
	}
	var canvas image.Config
	for first := true; ; first = false {
		var hdr [8]byte // FourCC and size
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF && canvas.Width > 0 {
				return canvas, nil
			}
			return image.Config{}, err
		}
		fourcc, size := string(hdr[:4]), int64(binary.LittleEndian.Uint32(hdr[4:]))
		if first && fourcc != "VP8X" && fourcc != "VP8 " && fourcc != "VP8L" {
			return image.Config{}, fmt.Errorf("webp: unexpected first chunk %q", fourcc)
		}
		switch fourcc {
		case "VP8X", "VP8 ", "VP8L":
		default:
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return canvas, nil // cut short before the frame: see above
			}
			continue
		}
		if fourcc == "VP8X" && !first {
			return image.Config{}, errors.New("webp: second VP8X chunk")
		}
		data := make([]byte, map[string]int{"VP8X": 10, "VP8 ": 10, "VP8L": 5}[fourcc])
		if _, err := io.ReadFull(r, data); err != nil {
			if canvas.Width > 0 {
				return canvas, nil
			}
			return image.Config{}, err
		}
		if fourcc == "VP8X" {
			canvas = image.Config{Width: uint24(data[4:7]) + 1, Height: uint24(data[7:10]) + 1}
			if _, err := io.CopyN(io.Discard, r, size-10+size%2); err != nil {
				return canvas, nil
			}
			continue
		}
		frame, err := webpFrame(fourcc, data)
		if err != nil {
			return image.Config{}, err
		}
		if canvas.Width > 0 && (frame.Width != canvas.Width || frame.Height != canvas.Height) {
			return image.Config{}, inspect.Errorf(inspect.EINVALID, "the WebP photo's image is %d×%d pixels but its canvas %d×%d; it is corrupt",
				frame.Width, frame.Height, canvas.Width, canvas.Height)
		}
		return frame, nil
	}
}

// webpFrame reads the size of a VP8 or VP8L frame from the start of its chunk.
func webpFrame(fourcc string, data []byte) (image.Config, error) {
	le := binary.LittleEndian
	if fourcc == "VP8 " {
		if data[0]&1 != 0 || !bytes.Equal(data[3:6], []byte{0x9d, 0x01, 0x2a}) {
			return image.Config{}, errors.New("webp: VP8 frame is not a key frame")
		}
		return image.Config{Width: int(le.Uint16(data[6:8]) & 0x3fff), Height: int(le.Uint16(data[8:10]) & 0x3fff)}, nil
	}
	if data[0] != 0x2f {
		return image.Config{}, errors.New("webp: bad VP8L signature")
	}
	bits := le.Uint32(data[1:5])
	return image.Config{Width: int(bits&0x3fff) + 1, Height: int(bits>>14&0x3fff) + 1}, nil
}

// uint24 reads a little-endian 24-bit number.
func uint24(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// DecodeError maps an error from reading or decoding a photo's bytes (a
// config read here, or the full decode that makes the thumbnail) to a user-safe
// *Error that keeps the cause for the log: a feature the decoder does not support
// is inspect.EUNSUPPORTED, anything else (cut short, corrupt) is inspect.EINVALID "the photo is
// truncated or corrupt". Pass only errors from decoding bytes already received in
// full (a temporary file); a dropped connection is not a corrupt photo.
func DecodeError(err error) error {
	if err == nil {
		return nil
	}
	var appErr *inspect.Error
	if errors.As(err, &appErr) {
		return err
	}
	var jpegUnsupported jpeg.UnsupportedError
	var pngUnsupported png.UnsupportedError
	if errors.As(err, &jpegUnsupported) || errors.As(err, &pngUnsupported) ||
		strings.Contains(err.Error(), "not implemented") {
		return &inspect.Error{Code: inspect.EUNSUPPORTED, Message: "the photo uses a feature of its format we cannot read; send it as a standard JPEG", Err: err}
	}
	return &inspect.Error{Code: inspect.EINVALID, Message: "the photo is truncated or corrupt; take or send it again", Err: err}
}
