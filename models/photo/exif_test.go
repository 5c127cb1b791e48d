package photo_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models/photo"
)

// byteOrder is a byte order that can also append.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffEntry is one IFD entry for buildTIFF; data is the raw value bytes in the
// block's byte order.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

// exifSpec describes the EXIF block buildTIFF writes; nil IFDs are left out.
type exifSpec struct {
	order     byteOrder
	ifd0      []tiffEntry
	exif, gps []tiffEntry
}

func asciiEntry(tag uint16, s string) tiffEntry {
	return tiffEntry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}
}

func shortEntry(o byteOrder, tag, v uint16) tiffEntry {
	return tiffEntry{tag, 3, 1, o.AppendUint16(nil, v)}
}

func rationalEntry(o byteOrder, tag uint16, vals ...[2]uint32) tiffEntry {
	var b []byte
	for _, v := range vals {
		b = o.AppendUint32(b, v[0])
		b = o.AppendUint32(b, v[1])
	}
	return tiffEntry{tag, 5, uint32(len(vals)), b}
}

// ifdSize is the size of an IFD with its out-of-line values.
func ifdSize(entries []tiffEntry) int {
	n := 2 + 12*len(entries) + 4
	for _, e := range entries {
		if len(e.data) > 4 {
			n += len(e.data) + len(e.data)%2
		}
	}
	return n
}

// buildTIFF lays out IFD0, then the Exif IFD, then the GPS IFD, each followed by
// its values, and links them from IFD0.
func buildTIFF(s exifSpec) []byte {
	o := s.order
	ifd0 := append([]tiffEntry(nil), s.ifd0...)
	if s.exif != nil {
		ifd0 = append(ifd0, tiffEntry{0x8769, 4, 1, make([]byte, 4)})
	}
	if s.gps != nil {
		ifd0 = append(ifd0, tiffEntry{0x8825, 4, 1, make([]byte, 4)})
	}
	exifOff := 8 + ifdSize(ifd0)
	gpsOff := exifOff + ifdSize(s.exif)
	if s.exif == nil {
		gpsOff = exifOff
	}
	for i := range ifd0 {
		switch {
		case ifd0[i].tag == 0x8769 && s.exif != nil:
			ifd0[i].data = o.AppendUint32(nil, uint32(exifOff))
		case ifd0[i].tag == 0x8825 && s.gps != nil:
			ifd0[i].data = o.AppendUint32(nil, uint32(gpsOff))
		}
	}
	var b []byte
	if o == byteOrder(binary.LittleEndian) {
		b = []byte("II")
	} else {
		b = []byte("MM")
	}
	b = o.AppendUint16(b, 42)
	b = o.AppendUint32(b, 8)
	writeIFD := func(entries []tiffEntry) {
		start := len(b)
		b = o.AppendUint16(b, uint16(len(entries)))
		extra := start + 2 + 12*len(entries) + 4
		var values []byte
		for _, e := range entries {
			b = o.AppendUint16(b, e.tag)
			b = o.AppendUint16(b, e.typ)
			b = o.AppendUint32(b, e.count)
			if len(e.data) <= 4 {
				b = append(b, e.data...)
				b = append(b, make([]byte, 4-len(e.data))...)
				continue
			}
			b = o.AppendUint32(b, uint32(extra+len(values)))
			values = append(values, e.data...)
			if len(e.data)%2 == 1 {
				values = append(values, 0)
			}
		}
		b = o.AppendUint32(b, 0) // no next IFD
		b = append(b, values...)
	}
	writeIFD(ifd0)
	if s.exif != nil {
		writeIFD(s.exif)
	}
	if s.gps != nil {
		writeIFD(s.gps)
	}
	return b
}

// chengduSpec is a phone photo taken in Chengdu: 30°38'29.4"N 104°2'36.96"E,
// 2026-03-02 17:45:10 +08:00, rotated 90° (orientation 6).
func chengduSpec(o byteOrder) exifSpec {
	return exifSpec{
		order: o,
		ifd0:  []tiffEntry{asciiEntry(0x010F, "Xiaomi"), shortEntry(o, 0x0112, 6)},
		exif: []tiffEntry{
			asciiEntry(0x9003, "2026:03:02 17:45:10"),
			asciiEntry(0x9011, "+08:00"),
		},
		gps: []tiffEntry{
			asciiEntry(0x0001, "N"),
			rationalEntry(o, 0x0002, [2]uint32{30, 1}, [2]uint32{38, 1}, [2]uint32{2940, 100}),
			asciiEntry(0x0003, "E"),
			rationalEntry(o, 0x0004, [2]uint32{104, 1}, [2]uint32{2, 1}, [2]uint32{3696, 100}),
		},
	}
}

// jpegWithAPP1 inserts APP1 segments right after the SOI of a real JPEG.
func jpegWithAPP1(jpg []byte, payloads ...[]byte) []byte {
	out := []byte{0xFF, 0xD8}
	for _, p := range payloads {
		out = append(out, 0xFF, 0xE1)
		out = binary.BigEndian.AppendUint16(out, uint16(len(p)+2))
		out = append(out, p...)
	}
	return append(out, jpg[2:]...)
}

func exifAPP1(tiff []byte) []byte { return append([]byte("Exif\x00\x00"), tiff...) }

// pngWithEXIF inserts an eXIf chunk after the IHDR of a real PNG.
func pngWithEXIF(p, tiff []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	out := append([]byte(nil), p[:ihdrEnd]...)
	out = append(out, pngChunk("eXIf", tiff)...)
	return append(out, p[ihdrEnd:]...)
}

const (
	chengduLat = 30 + 38.0/60 + 29.4/3600
	chengduLng = 104 + 2.0/60 + 36.96/3600
)

func TestReadEXIF(t *testing.T) {
	t.Parallel()
	le, be := byteOrder(binary.LittleEndian), byteOrder(binary.BigEndian)
	jpg := encodeJPEG(t, 16, 16)
	cst := time.FixedZone("", 8*3600)
	full := inspect.EXIF{
		TakenAt: time.Date(2026, 3, 2, 17, 45, 10, 0, cst), TakenAtZoneKnown: true,
		HasGPS: true, Lat: chengduLat, Lng: chengduLng, Orientation: 6,
	}
	noOffset := chengduSpec(be)
	noOffset.exif = noOffset.exif[:1]
	southWest := chengduSpec(le)
	southWest.gps[0], southWest.gps[2] = asciiEntry(1, "S"), asciiEntry(3, "W")
	zeroDen := chengduSpec(le)
	zeroDen.gps[1] = rationalEntry(le, 2, [2]uint32{30, 0}, [2]uint32{0, 1}, [2]uint32{0, 1})
	blankDate := chengduSpec(le)
	blankDate.exif = []tiffEntry{asciiEntry(0x9003, "    :  :     :  :  ")}
	badOrientation := chengduSpec(le)
	badOrientation.ifd0[1] = shortEntry(le, 0x0112, 9)
	digitizedOnly := chengduSpec(le)
	digitizedOnly.exif = []tiffEntry{asciiEntry(0x9004, "2026:03:02 08:00:00")}
	nullIsland := chengduSpec(le)
	nullIsland.gps[1] = rationalEntry(le, 2, [2]uint32{0, 1}, [2]uint32{0, 1}, [2]uint32{0, 1})
	nullIsland.gps[3] = rationalEntry(le, 4, [2]uint32{0, 1}, [2]uint32{0, 1}, [2]uint32{0, 1})
	xmp := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), []byte("<x:xmpmeta/>")...)

	// Exif IFD pointer aimed back at IFD0: a loop a naive reader follows forever.
	loop := buildTIFF(exifSpec{order: le, ifd0: []tiffEntry{shortEntry(le, 0x0112, 3), {0x8769, 4, 1, le.AppendUint32(nil, 8)}}})
	outside := buildTIFF(exifSpec{order: le, ifd0: []tiffEntry{shortEntry(le, 0x0112, 3), {0x8769, 4, 1, le.AppendUint32(nil, 1<<30)}}})

	tests := []struct {
		name     string
		data     []byte
		want     inspect.EXIF
		wantCode string
	}{
		{"jpeg, little-endian, everything", jpegWithAPP1(jpg, exifAPP1(buildTIFF(chengduSpec(le)))), full, ""},
		{"jpeg, big-endian, everything", jpegWithAPP1(jpg, exifAPP1(buildTIFF(chengduSpec(be)))), full, ""},
		{"jpeg, XMP before EXIF", jpegWithAPP1(jpg, xmp, exifAPP1(buildTIFF(chengduSpec(le)))), full, ""},
		{"png eXIf chunk", pngWithEXIF(encodePNG(t, 8, 8), buildTIFF(chengduSpec(le))), full, ""},
		{"webp EXIF chunk", riff(vp8x(16, 16, 0x08), vp8(16, 16), webpChunk("EXIF", buildTIFF(chengduSpec(be)))), full, ""},
		{"webp EXIF chunk with JPEG header", riff(vp8x(16, 16, 0x08), vp8(16, 16), webpChunk("EXIF", exifAPP1(buildTIFF(chengduSpec(le))))), full, ""},
		{"no offset recorded", jpegWithAPP1(jpg, exifAPP1(buildTIFF(noOffset))), inspect.EXIF{
			TakenAt: time.Date(2026, 3, 2, 17, 45, 10, 0, time.UTC), HasGPS: true, Lat: chengduLat, Lng: chengduLng, Orientation: 6,
		}, ""},
		{"southern and western", jpegWithAPP1(jpg, exifAPP1(buildTIFF(southWest))), inspect.EXIF{
			TakenAt: full.TakenAt, TakenAtZoneKnown: true, HasGPS: true, Lat: -chengduLat, Lng: -chengduLng, Orientation: 6,
		}, ""},
		{"digitized when original missing", jpegWithAPP1(jpg, exifAPP1(buildTIFF(digitizedOnly))), inspect.EXIF{
			TakenAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), HasGPS: true, Lat: chengduLat, Lng: chengduLng, Orientation: 6,
		}, ""},
		{"zero denominator: no GPS", jpegWithAPP1(jpg, exifAPP1(buildTIFF(zeroDen))), inspect.EXIF{TakenAt: full.TakenAt, TakenAtZoneKnown: true, Orientation: 6}, ""},
		{"0,0 is no fix", jpegWithAPP1(jpg, exifAPP1(buildTIFF(nullIsland))), inspect.EXIF{TakenAt: full.TakenAt, TakenAtZoneKnown: true, Orientation: 6}, ""},
		{"blank date: no time", jpegWithAPP1(jpg, exifAPP1(buildTIFF(blankDate))), inspect.EXIF{HasGPS: true, Lat: chengduLat, Lng: chengduLng, Orientation: 6}, ""},
		{"orientation 9 ignored", jpegWithAPP1(jpg, exifAPP1(buildTIFF(badOrientation))), inspect.EXIF{TakenAt: full.TakenAt, TakenAtZoneKnown: true, HasGPS: true, Lat: chengduLat, Lng: chengduLng}, ""},
		{"pointer loop is read once", jpegWithAPP1(jpg, exifAPP1(loop)), inspect.EXIF{Orientation: 3}, ""},
		{"plain jpeg", jpg, inspect.EXIF{}, ""},
		{"plain png", encodePNG(t, 4, 4), inspect.EXIF{}, ""},
		{"plain webp", riff(vp8l(4, 4)), inspect.EXIF{}, ""},
		{"jpeg cut before any segment", jpg[:3], inspect.EXIF{}, ""},
		{"pointer outside the block", jpegWithAPP1(jpg, exifAPP1(outside)), inspect.EXIF{Orientation: 3}, inspect.EINVALID},
		{"bad byte order", jpegWithAPP1(jpg, exifAPP1([]byte("XX\x00\x2a\x00\x00\x00\x08"))), inspect.EXIF{}, inspect.EINVALID},
		{"bad magic", jpegWithAPP1(jpg, exifAPP1([]byte("II\x2b\x00\x08\x00\x00\x00"))), inspect.EXIF{}, inspect.EINVALID},
		{"APP1 cut short", jpegWithAPP1(jpg, exifAPP1(buildTIFF(chengduSpec(le))))[:40], inspect.EXIF{}, inspect.EINVALID},
		{"webp EXIF chunk claiming 4 GiB", append(riff(vp8l(4, 4)), []byte("EXIF\xff\xff\xff\xff")...), inspect.EXIF{}, inspect.EINVALID},
		{"not a photo", []byte("<html>"), inspect.EXIF{}, inspect.EUNSUPPORTED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := photo.ReadEXIF(bytes.NewReader(tt.data))
			if tt.wantCode != "" {
				assertCode(t, err, tt.wantCode)
			} else if err != nil {
				t.Fatal(err)
			}
			if !sameEXIF(got, tt.want) {
				t.Errorf("ReadEXIF =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func sameEXIF(a, b inspect.EXIF) bool {
	return a.TakenAt.Equal(b.TakenAt) && a.TakenAtZoneKnown == b.TakenAtZoneKnown && a.HasGPS == b.HasGPS &&
		math.Abs(a.Lat-b.Lat) < 1e-9 && math.Abs(a.Lng-b.Lng) < 1e-9 && a.Orientation == b.Orientation
}

func FuzzReadEXIF(f *testing.F) {
	le, be := byteOrder(binary.LittleEndian), byteOrder(binary.BigEndian)
	jpg := encodeJPEG(f, 8, 8)
	f.Add(jpegWithAPP1(jpg, exifAPP1(buildTIFF(chengduSpec(le)))))
	f.Add(jpegWithAPP1(jpg, exifAPP1(buildTIFF(chengduSpec(be)))))
	f.Add(pngWithEXIF(encodePNG(f, 4, 4), buildTIFF(chengduSpec(le))))
	f.Add(riff(vp8x(16, 16, 0x08), vp8(16, 16), webpChunk("EXIF", buildTIFF(chengduSpec(be)))))
	f.Add(jpg)
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := photo.ReadEXIF(bytes.NewReader(data))
		if err != nil {
			if code := inspect.ErrorCode(err); code != inspect.EINVALID && code != inspect.EUNSUPPORTED {
				t.Fatalf("error code %q: %v", code, err)
			}
		}
		if x.Orientation < 0 || x.Orientation > 8 {
			t.Fatalf("orientation %d", x.Orientation)
		}
		if x.HasGPS && (math.IsNaN(x.Lat) || math.IsNaN(x.Lng) || math.Abs(x.Lat) > 90 || math.Abs(x.Lng) > 180) {
			t.Fatalf("GPS %v, %v", x.Lat, x.Lng)
		}
		if !x.HasGPS && (x.Lat != 0 || x.Lng != 0) {
			t.Fatalf("position without HasGPS: %v, %v", x.Lat, x.Lng)
		}
		// And the header reader must not panic on the same bytes.
		_, w, h, err := photo.Dimensions(bytes.NewReader(data))
		if err == nil && (w < 0 || h < 0) {
			t.Fatalf("negative size %d×%d", w, h)
		}
	})
}
