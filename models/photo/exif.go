package photo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/safegrid/safegrid/inspect"
)

// maxEXIFBytes bounds the EXIF block we read. A JPEG APP1 segment holds at most
// 64 KiB; PNG and WebP chunks could claim gigabytes.
const maxEXIFBytes = 1 << 20

// ReadEXIF reads the EXIF data of a JPEG (APP1 segment), PNG (eXIf chunk) or WebP
// (EXIF chunk) photo from r. It reads only as far as it must: for a JPEG it stops
// at the start of the image data.
//
// A photo without EXIF gives a zero EXIF and nil. Malformed EXIF gives what could be
// read and an inspect.EINVALID *Error; a photo with malformed metadata is still a photo, so
// the upload path should keep it and log the error. A format other than JPEG, PNG
// or WebP is Sniff's error. ReadEXIF never panics on any input.
func ReadEXIF(r io.Reader) (inspect.EXIF, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(SniffLen)
	typ, err := Sniff(head)
	if err != nil {
		return inspect.EXIF{}, err
	}
	var tiff []byte
	switch typ {
	case inspect.PhotoJPEG:
		tiff, err = jpegEXIF(br)
	case inspect.PhotoPNG:
		tiff, err = pngEXIF(br)
	case inspect.PhotoWebP:
		tiff, err = webpEXIF(br)
	}
	if err == nil && tiff == nil {
		return inspect.EXIF{}, nil
	}
	var x inspect.EXIF
	if err == nil {
		x, err = parseTIFF(tiff)
	}
	if err != nil {
		return x, &inspect.Error{Code: inspect.EINVALID, Message: "the photo's EXIF data is malformed", Err: err}
	}
	return x, nil
}

// exifHeader opens the EXIF payload of a JPEG APP1 segment (and of some WebP
// EXIF chunks).
var exifHeader = []byte("Exif\x00\x00")

// jpegEXIF returns the TIFF block of the first EXIF APP1 segment, or nil when the
// JPEG has none before its image data.
func jpegEXIF(r *bufio.Reader) ([]byte, error) {
	if _, err := r.Discard(2); err != nil { // SOI
		return nil, err
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			return nil, noEXIFAtEOF(err)
		}
		if b != 0xFF {
			return nil, fmt.Errorf("jpeg: expected a marker, found 0x%02x", b)
		}
		marker, err := r.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = r.ReadByte()
		}
		if err != nil {
			return nil, noEXIFAtEOF(err)
		}
		switch {
		case marker == 0xD9 || marker == 0xDA: // EOI, SOS: no metadata after this
			return nil, nil
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD8: // no length
			continue
		}
		var lenBuf [2]byte
		if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
			return nil, noEXIFAtEOF(err)
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:])) - 2
		if n < 0 {
			return nil, fmt.Errorf("jpeg: segment 0x%02x has length %d", marker, n+2)
		}
		if marker == 0xE1 {
			seg := make([]byte, n)
			if _, err := io.ReadFull(r, seg); err != nil {
				return nil, fmt.Errorf("jpeg: APP1 cut short: %w", err)
			}
			if bytes.HasPrefix(seg, exifHeader) {
				return seg[len(exifHeader):], nil
			}
			continue // XMP or another APP1
		}
		if _, err := r.Discard(n); err != nil {
			return nil, noEXIFAtEOF(err)
		}
	}
}

// noEXIFAtEOF treats a file that ends before any EXIF as having none: whether it
// is truncated is the decoder's question, not the metadata reader's.
func noEXIFAtEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// pngEXIF returns the contents of the eXIf chunk, or nil when there is none.
func pngEXIF(r *bufio.Reader) ([]byte, error) {
	if _, err := r.Discard(8); err != nil { // signature
		return nil, err
	}
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, noEXIFAtEOF(err)
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n > math.MaxInt32 {
			return nil, fmt.Errorf("png: chunk length %d", n)
		}
		switch string(hdr[4:8]) {
		case "IEND":
			return nil, nil
		case "eXIf":
			return readChunk(r, int64(n), "png eXIf")
		}
		if _, err := r.Discard(int(n) + 4); err != nil { // data and CRC
			return nil, noEXIFAtEOF(err)
		}
	}
}

// webpEXIF returns the contents of the EXIF chunk, or nil when there is none.
func webpEXIF(r *bufio.Reader) ([]byte, error) {
	if _, err := r.Discard(12); err != nil { // RIFF size WEBP
		return nil, err
	}
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, noEXIFAtEOF(err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[4:8]))
		if string(hdr[:4]) == "EXIF" {
			b, err := readChunk(r, n, "webp EXIF")
			// Some writers keep the JPEG "Exif\0\0" header in the chunk.
			return bytes.TrimPrefix(b, exifHeader), err
		}
		if _, err := r.Discard(int(n + n&1)); err != nil { // chunks are padded to even
			return nil, noEXIFAtEOF(err)
		}
	}
}

// readChunk reads an n-byte metadata chunk, refusing one over maxEXIFBytes.
func readChunk(r io.Reader, n int64, what string) ([]byte, error) {
	if n > maxEXIFBytes {
		return nil, fmt.Errorf("%s chunk of %d bytes is over the %d-byte limit", what, n, maxEXIFBytes)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("%s chunk cut short: %w", what, err)
	}
	return b, nil
}

// TIFF tags and types SafeGrid reads.
const (
	tagOrientation        = 0x0112
	tagExifIFD            = 0x8769
	tagGPSIFD             = 0x8825
	tagDateTimeOriginal   = 0x9003
	tagDateTimeDigitized  = 0x9004
	tagOffsetTimeOriginal = 0x9011
	tagGPSLatitudeRef     = 0x0001
	tagGPSLatitude        = 0x0002
	tagGPSLongitudeRef    = 0x0003
	tagGPSLongitude       = 0x0004

	typeASCII    = 2
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
	typeIFD      = 13

	maxIFDEntries = 1000
)

// tiffTypeSize is the size in bytes of one value of each TIFF type.
var tiffTypeSize = map[uint16]uint64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

// tiff is a TIFF block with its byte order.
type tiff struct {
	b     []byte
	order binary.ByteOrder
}

// ifdEntry is one entry of an image file directory.
type ifdEntry struct {
	typ   uint16
	count uint32
	value []byte // the entry's value bytes, resolved from its offset when not inline
}

// parseTIFF reads orientation, time and GPS from a TIFF block. It returns what it
// read before any error.
func parseTIFF(b []byte) (inspect.EXIF, error) {
	var x inspect.EXIF
	if len(b) < 8 {
		return x, errors.New("tiff: header cut short")
	}
	t := tiff{b: b}
	switch string(b[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return x, errors.New("tiff: bad byte order mark")
	}
	if t.order.Uint16(b[2:4]) != 42 {
		return x, errors.New("tiff: bad magic number")
	}
	ifd0, err := t.ifd(t.order.Uint32(b[4:8]))
	if err != nil {
		return x, fmt.Errorf("tiff: IFD0: %w", err)
	}
	if e, ok := ifd0[tagOrientation]; ok {
		if v, ok := t.short(e); ok && v >= 1 && v <= 8 {
			x.Orientation = int(v)
		}
	}
	var errs []error
	if off, ok := t.pointer(ifd0[tagExifIFD]); ok {
		exif, err := t.ifd(off)
		if err != nil {
			errs = append(errs, fmt.Errorf("tiff: Exif IFD: %w", err))
		} else {
			x.TakenAt, x.TakenAtZoneKnown = exifTime(t, exif)
		}
	}
	if off, ok := t.pointer(ifd0[tagGPSIFD]); ok {
		gps, err := t.ifd(off)
		if err != nil {
			errs = append(errs, fmt.Errorf("tiff: GPS IFD: %w", err))
		} else {
			x.Lat, x.Lng, x.HasGPS = gpsPosition(t, gps)
		}
	}
	return x, errors.Join(errs...)
}

// ifd reads the directory at off: tag → entry. Only the directory itself is read,
// never the next-IFD link, so a malicious loop of links cannot hold us.
func (t tiff) ifd(off uint32) (map[uint16]ifdEntry, error) {
	start := uint64(off)
	if start+2 > uint64(len(t.b)) {
		return nil, fmt.Errorf("offset %d is outside the block", off)
	}
	n := uint64(t.order.Uint16(t.b[start:]))
	if n > maxIFDEntries {
		return nil, fmt.Errorf("%d entries", n)
	}
	if start+2+12*n > uint64(len(t.b)) {
		return nil, errors.New("directory cut short")
	}
	out := make(map[uint16]ifdEntry, n)
	for i := range n {
		e := t.b[start+2+12*i : start+2+12*i+12]
		tag, typ, count := t.order.Uint16(e[0:2]), t.order.Uint16(e[2:4]), t.order.Uint32(e[4:8])
		size, known := tiffTypeSize[typ]
		if !known {
			continue // unknown types are skipped, as the spec asks
		}
		total := size * uint64(count)
		var value []byte
		if total <= 4 {
			value = e[8 : 8+total]
		} else {
			voff := uint64(t.order.Uint32(e[8:12]))
			if voff+total > uint64(len(t.b)) {
				continue // a value pointing outside the block is treated as absent
			}
			value = t.b[voff : voff+total]
		}
		out[tag] = ifdEntry{typ: typ, count: count, value: value}
	}
	return out, nil
}

// short reads the first value of a SHORT entry.
func (t tiff) short(e ifdEntry) (uint16, bool) {
	if e.typ != typeShort || len(e.value) < 2 {
		return 0, false
	}
	return t.order.Uint16(e.value), true
}

// pointer reads an IFD offset from a LONG or IFD entry.
func (t tiff) pointer(e ifdEntry) (uint32, bool) {
	if (e.typ != typeLong && e.typ != typeIFD) || len(e.value) < 4 {
		return 0, false
	}
	return t.order.Uint32(e.value), true
}

// ascii reads an ASCII entry without its NUL terminator and surrounding spaces.
func (t tiff) ascii(e ifdEntry) string {
	if e.typ != typeASCII {
		return ""
	}
	s, _, _ := strings.Cut(string(e.value), "\x00")
	return strings.TrimSpace(s)
}

// rationals reads the values of a RATIONAL entry; ok is false when there are fewer
// than n or a denominator is zero.
func (t tiff) rationals(e ifdEntry, n int) ([]float64, bool) {
	if e.typ != typeRational || len(e.value) < 8*n {
		return nil, false
	}
	out := make([]float64, n)
	for i := range n {
		num, den := t.order.Uint32(e.value[8*i:]), t.order.Uint32(e.value[8*i+4:])
		if den == 0 {
			return nil, false
		}
		out[i] = float64(num) / float64(den)
	}
	return out, true
}

// exifTime reads DateTimeOriginal (or DateTimeDigitized) and OffsetTimeOriginal.
func exifTime(t tiff, exif map[uint16]ifdEntry) (time.Time, bool) {
	s := t.ascii(exif[tagDateTimeOriginal])
	if s == "" {
		s = t.ascii(exif[tagDateTimeDigitized])
	}
	if s == "" {
		return time.Time{}, false
	}
	if off := t.ascii(exif[tagOffsetTimeOriginal]); off != "" {
		if tm, err := time.Parse("2006:01:02 15:04:05-07:00", s+off); err == nil {
			return tm, true
		}
	}
	tm, err := time.Parse("2006:01:02 15:04:05", s)
	if err != nil {
		return time.Time{}, false // "    :  :     :  :  " and the like: unknown
	}
	return tm, false
}

// gpsPosition reads latitude and longitude in degrees from the GPS IFD.
func gpsPosition(t tiff, gps map[uint16]ifdEntry) (lat, lng float64, ok bool) {
	la, ok1 := t.rationals(gps[tagGPSLatitude], 3)
	lo, ok2 := t.rationals(gps[tagGPSLongitude], 3)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	lat = la[0] + la[1]/60 + la[2]/3600
	lng = lo[0] + lo[1]/60 + lo[2]/3600
	switch t.ascii(gps[tagGPSLatitudeRef]) {
	case "S":
		lat = -lat
	case "N":
	default:
		return 0, 0, false
	}
	switch t.ascii(gps[tagGPSLongitudeRef]) {
	case "W":
		lng = -lng
	case "E":
	default:
		return 0, 0, false
	}
	if lat > 90 || lat < -90 || lng > 180 || lng < -180 || (lat == 0 && lng == 0) {
		return 0, 0, false
	}
	return lat, lng, true
}
