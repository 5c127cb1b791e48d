package inspect

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
	"time"

	"github.com/google/uuid"
)

// PhotoType is the media type of an accepted photo, decided by its bytes, never by
// the name or the Content-Type header the client sent.
type PhotoType string

// The accepted photo types.
const (
	PhotoJPEG PhotoType = "image/jpeg"
	PhotoPNG  PhotoType = "image/png"
	PhotoWebP PhotoType = "image/webp"
)

// SniffLen is how many leading bytes SniffPhoto needs at most.
const SniffLen = 512

// Photo is one stored photo: evidence for a checklist item, proof of a
// rectification or a re-inspection picture. The original is stored under its
// SHA-256; the client's UUID makes a retried upload a no-op.
type Photo struct {
	ID           uuid.UUID `json:"id"` // chosen by the client
	InspectionID int64     `json:"inspection_id,omitempty"`
	ItemCode     string    `json:"item_code,omitempty"`
	HazardID     int64     `json:"hazard_id,omitempty"`
	SHA256       string    `json:"sha256"` // lowercase hex
	Type         PhotoType `json:"type"`
	Size         int64     `json:"size"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	EXIF         EXIF      `json:"exif"`
	UploadedBy   int64     `json:"uploaded_by"`
	UploadedAt   time.Time `json:"uploaded_at"`
}

// ParsePhotoID parses the client's photo UUID from the URL. The nil UUID is refused:
// a client that sends it has not generated one, and every retry would collide.
func ParsePhotoID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, FieldErrorf("uuid", "must be a UUID such as 0b5c7d4e-8f1a-4c2b-9d3e-5f6a7b8c9d0e")
	}
	if id == uuid.Nil {
		return uuid.Nil, FieldErrorf("uuid", "must not be the nil UUID; generate one per photo")
	}
	return id, nil
}

// PhotoLimits are the upload limits.
type PhotoLimits struct {
	MaxBytes  int64 // size of the upload
	MaxSide   int   // width or height, in pixels
	MaxPixels int64 // width × height
}

// DefaultPhotoLimits returns 20 MiB, 20 000 pixels a side and 50 megapixels: above
// any phone camera's normal output, far below what it takes to exhaust memory
// (50 MP decode to 200 MB of RGBA).
func DefaultPhotoLimits() PhotoLimits {
	return PhotoLimits{MaxBytes: 20 << 20, MaxSide: 20000, MaxPixels: 50_000_000}
}

// PhotoTooLarge returns the ETOOLARGE error for an upload over maxBytes.
func PhotoTooLarge(maxBytes int64) error {
	return Errorf(ETOOLARGE, "the photo is larger than %s; send a smaller one", formatBytes(maxBytes))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

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

// SniffPhoto decides the type of a photo from its first bytes (up to SniffLen):
// JPEG, PNG or WebP. Anything else is an EUNSUPPORTED *Error saying what it looks
// like, such as a HEIC photo from an iPhone or an HTML error page a proxy put in its
// place; an empty upload is EINVALID.
func SniffPhoto(head []byte) (PhotoType, error) {
	switch {
	case len(head) == 0:
		return "", Errorf(EINVALID, "the photo is empty")
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return PhotoJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PhotoPNG, nil
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return PhotoWebP, nil
	}
	for _, l := range lookalikes {
		if l.match(head) {
			return "", Errorf(EUNSUPPORTED, "unsupported photo format: it %s; send JPEG, PNG or WebP", l.what)
		}
	}
	return "", Errorf(EUNSUPPORTED, "unrecognised photo format; send JPEG, PNG or WebP")
}

// PhotoDimensions reads the type and pixel size of the photo from r's headers
// only, without decoding pixels, so that CheckDimensions can refuse a
// decompression bomb before anything allocates its pixels.
func PhotoDimensions(r io.Reader) (typ PhotoType, width, height int, err error) {
	br := bufio.NewReaderSize(r, SniffLen)
	head, _ := br.Peek(SniffLen) // a short photo is judged by what there is
	typ, err = SniffPhoto(head)
	if err != nil {
		return "", 0, 0, err
	}
	var cfg image.Config
	switch typ {
	case PhotoJPEG:
		cfg, err = jpeg.DecodeConfig(br)
	case PhotoPNG:
		cfg, err = png.DecodeConfig(br)
	case PhotoWebP:
		cfg, err = webpConfig(br)
	}
	if err != nil {
		return typ, 0, 0, PhotoDecodeError(err)
	}
	return typ, cfg.Width, cfg.Height, nil
}

// webpConfig reads a WebP's size from its first chunk: VP8X (extended: the canvas),
// VP8 (lossy) or VP8L (lossless). It is our own because the golang.org/x/image in
// go.mod refuses VP8X files that carry EXIF, which phones write.
func webpConfig(r io.Reader) (image.Config, error) {
	var hdr [20]byte // RIFF size WEBP, then the first chunk's FourCC and size
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return image.Config{}, err
	}
	fourcc := string(hdr[12:16])
	need := map[string]int{"VP8X": 10, "VP8 ": 10, "VP8L": 5}[fourcc]
	if need == 0 {
		return image.Config{}, fmt.Errorf("webp: unexpected first chunk %q", fourcc)
	}
	data := make([]byte, need)
	if _, err := io.ReadFull(r, data); err != nil {
		return image.Config{}, err
	}
	le := binary.LittleEndian
	switch fourcc {
	case "VP8X":
		return image.Config{Width: uint24(data[4:7]) + 1, Height: uint24(data[7:10]) + 1}, nil
	case "VP8 ":
		if data[0]&1 != 0 || !bytes.Equal(data[3:6], []byte{0x9d, 0x01, 0x2a}) {
			return image.Config{}, errors.New("webp: VP8 frame is not a key frame")
		}
		return image.Config{Width: int(le.Uint16(data[6:8]) & 0x3fff), Height: int(le.Uint16(data[8:10]) & 0x3fff)}, nil
	default: // VP8L
		if data[0] != 0x2f {
			return image.Config{}, errors.New("webp: bad VP8L signature")
		}
		bits := le.Uint32(data[1:5])
		return image.Config{Width: int(bits&0x3fff) + 1, Height: int(bits>>14&0x3fff) + 1}, nil
	}
}

// uint24 reads a little-endian 24-bit number.
func uint24(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// CheckDimensions checks the pixel size read by PhotoDimensions against the
// limits: a side or an area over the limit is an ETOOLARGE *Error naming the
// dimensions; a zero or negative side is EINVALID.
func CheckDimensions(width, height int, l PhotoLimits) error {
	if width <= 0 || height <= 0 {
		return Errorf(EINVALID, "the photo declares %d×%d pixels; it is corrupt", width, height)
	}
	if width > l.MaxSide || height > l.MaxSide || int64(width)*int64(height) > l.MaxPixels {
		return Errorf(ETOOLARGE, "the photo is %d×%d pixels; the limit is %d pixels a side and %s pixels in all",
			width, height, l.MaxSide, megapixels(l.MaxPixels))
	}
	return nil
}

func megapixels(n int64) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%d million", n/1_000_000)
	}
	return fmt.Sprintf("%d", n)
}

// PhotoDecodeError maps an error from reading or decoding a photo's bytes (a
// config read here, or the full decode that makes the thumbnail) to a user-safe
// *Error that keeps the cause for the log: a feature the decoder does not support
// is EUNSUPPORTED, anything else (cut short, corrupt) is EINVALID "the photo is
// truncated or corrupt". Pass only errors from decoding bytes already received in
// full (a temporary file); a dropped connection is not a corrupt photo.
func PhotoDecodeError(err error) error {
	if err == nil {
		return nil
	}
	var appErr *Error
	if errors.As(err, &appErr) {
		return err
	}
	var jpegUnsupported jpeg.UnsupportedError
	var pngUnsupported png.UnsupportedError
	if errors.As(err, &jpegUnsupported) || errors.As(err, &pngUnsupported) ||
		strings.Contains(err.Error(), "not implemented") {
		return &Error{Code: EUNSUPPORTED, Message: "the photo uses a feature of its format we cannot read; send it as a standard JPEG", Err: err}
	}
	return &Error{Code: EINVALID, Message: "the photo is truncated or corrupt; take or send it again", Err: err}
}
