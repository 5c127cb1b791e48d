package photo

/*
#cgo LDFLAGS: -ljpeg
#include "jpeg.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"unsafe"

	"github.com/safegrid/safegrid/inspect"
)

// jpegInfo is what the header of a JPEG says, and the size of a decode at a scale.
type jpegInfo struct {
	width, height       int
	outWidth, outHeight int
	progressive         bool
	components          int
}

// errJPEGMemory is the decode failing because it would take more memory than a
// decode may.
var errJPEGMemory = errors.New("jpeg: needs more memory than a decode may take")

// jpegError is a libjpeg error or corrupt-data warning.
type jpegError struct {
	code int
	msg  string
}

func (e *jpegError) Error() string { return "jpeg: " + e.msg }

func cJPEG(data []byte, denom int, rgba bool, out []byte, stride int) (jpegInfo, error) {
	if len(data) == 0 {
		return jpegInfo{}, errors.New("jpeg: empty")
	}
	var info C.sg_info
	var outp *C.uchar
	if out != nil {
		outp = (*C.uchar)(unsafe.Pointer(&out[0]))
	}
	crgba := C.int(0)
	if rgba {
		crgba = 1
	}
	rc := C.sg_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), C.int(denom), crgba,
		outp, C.long(stride), C.long(maxDecodeMemory), &info)
	ji := jpegInfo{
		width: int(info.width), height: int(info.height),
		outWidth: int(info.out_width), outHeight: int(info.out_height),
		progressive: info.progressive != 0, components: int(info.components),
	}
	if rc != 0 {
		code := int(info.code)
		if code == C.JERR_NO_BACKING_STORE || code == C.JERR_OUT_OF_MEMORY {
			return ji, errJPEGMemory
		}
		return ji, &jpegError{code: code, msg: C.GoString(&info.msg[0])}
	}
	return ji, nil
}

// jpegHeader reads the size of a JPEG and of its decode at 1/denom.
func jpegHeader(data []byte, denom int) (jpegInfo, error) {
	return cJPEG(data, denom, false, nil, 0)
}

// scaleFor returns the largest libjpeg scale 1/denom (denom 1, 2, 4 or 8) at which
// the longer side of a w×h JPEG is still at least minSide pixels.
func scaleFor(w, h, minSide int) int {
	long := max(w, h)
	for _, d := range []int{8, 4, 2} {
		if (long+d-1)/d >= minSide {
			return d
		}
	}
	return 1
}

// decodeJPEG decodes data in DCT-scaled form (with room in the budget for a turned
// copy when turn is set): the longer side of the result is the
// smallest of 1/8, 1/4, 1/2 or the full size that is at least minSide (0: full
// size). The pixels are never decoded at full size first. It waits for its share of
// the decode budget.
func decodeJPEG(data []byte, minSide int, turn bool) (*image.NRGBA, jpegInfo, func(), error) {
	hdr, err := jpegHeader(data, 1)
	if err != nil {
		return nil, hdr, nil, jpegDecodeError(err, hdr)
	}
	denom := 1
	if minSide > 0 {
		denom = scaleFor(hdr.width, hdr.height, minSide)
	}
	if denom != 1 {
		if hdr, err = jpegHeader(data, denom); err != nil {
			return nil, hdr, nil, jpegDecodeError(err, hdr)
		}
	}
	pix := int64(hdr.outWidth) * int64(hdr.outHeight) * 4
	need := pix
	if turn {
		need += pix // the turned copy
	}
	work := jpegWorkMemory(hdr)
	if err := take(need + work); err != nil {
		return nil, hdr, nil, err
	}
	// libjpeg's own buffers are freed when the decode ends; the pixels stay
	// until Close.
	defer budget.Release(work)
	release := func() { budget.Release(need) }
	buf, free := cPixels(int(pix))
	release = chain(release, free)
	img := &image.NRGBA{Pix: buf, Stride: 4 * hdr.outWidth, Rect: image.Rect(0, 0, hdr.outWidth, hdr.outHeight)}
	info, err := cJPEG(data, denom, true, img.Pix, img.Stride)
	if err == nil && (info.outWidth != hdr.outWidth || info.outHeight != hdr.outHeight) {
		err = fmt.Errorf("jpeg: decoded %d×%d, header said %d×%d", info.outWidth, info.outHeight, hdr.outWidth, hdr.outHeight)
	}
	if err != nil {
		release()
		return nil, info, nil, jpegDecodeError(err, info)
	}
	return img, info, release, nil
}

// cPixels allocates n bytes of pixels outside the Go heap, to be freed by the
// function it returns (Decoded.Close). A 12 MP decode for the annotated copy is
// 48 MB: on the Go heap it would stay resident until the collector and the
// scavenger give it back, and the heap goal doubles whatever is live, so that two
// such decodes took the server's RSS far past the decode budget; C memory of this
// size is mapped for the decode and unmapped on Close.
func cPixels(n int) ([]byte, func()) {
	p := C.malloc(C.size_t(max(n, 1)))
	if p == nil {
		panic("photo: out of memory for a decode within the budget")
	}
	return unsafe.Slice((*byte)(p), n), func() { C.free(p) }
}

// jpegWorkMemory estimates what libjpeg allocates beside the output: for a
// progressive JPEG every coefficient of the full-size image (2 bytes each, up to 3
// components), otherwise a few rows of blocks.
func jpegWorkMemory(h jpegInfo) int64 {
	if h.progressive {
		return min(int64(h.width)*int64(h.height)*2*int64(max(1, h.components)), maxDecodeMemory)
	}
	return 1 << 20
}

// jpegDecodeError maps a libjpeg failure to the user-facing error: a progressive
// JPEG too large for the memory a decode may take is ETOOLARGE, anything else is
// DecodeError's "truncated or corrupt".
func jpegDecodeError(err error, h jpegInfo) error {
	if errors.Is(err, errJPEGMemory) {
		return &inspect.Error{Code: inspect.ETOOLARGE, Err: err, Message: fmt.Sprintf(
			"the photo is a progressive JPEG of %d×%d pixels, too large to read within our memory limit; send it as a standard (baseline) JPEG or smaller",
			h.width, h.height)}
	}
	return DecodeError(err)
}

// recodeBandRows is how many rows of the photo recodeJPEG holds at once.
const recodeBandRows = 64

// recodeJPEG decodes the JPEG in data at full size and encodes it again at quality,
// recodeBandRows rows at a time, calling draw on each band (its Rect in the
// photo's coordinates) in between: an annotated copy of a 12 MP photo without its
// 48 MB of pixels in memory. The output is the same as decoding the whole photo,
// drawing on it and encoding it. It waits for its share of the decode budget.
func recodeJPEG(data []byte, quality int, draw func(band *image.NRGBA, w, h int)) ([]byte, error) {
	hdr, err := jpegHeader(data, 1)
	if err != nil {
		return nil, jpegDecodeError(err, hdr)
	}
	stride := 4 * hdr.width
	// The band, libjpeg's buffers and the encoded copy as it grows.
	release, err := acquire(int64(stride)*recodeBandRows + jpegWorkMemory(hdr) + 2*int64(len(data)))
	if err != nil {
		return nil, err
	}
	defer release()
	// libjpeg reads data during every call below: pinned, it may keep the pointer.
	var pin runtime.Pinner
	pin.Pin(&data[0])
	defer pin.Unpin()
	r := C.sg_recode_new()
	if r == nil {
		return nil, errJPEGMemory
	}
	defer C.sg_recode_free(r)
	fail := func() error {
		code := int(r.code)
		if code == C.JERR_NO_BACKING_STORE || code == C.JERR_OUT_OF_MEMORY {
			return jpegDecodeError(errJPEGMemory, hdr)
		}
		return jpegDecodeError(&jpegError{code: code, msg: C.GoString(&r.msg[0])}, hdr)
	}
	if C.sg_recode_start(r, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), C.int(quality), C.long(maxDecodeMemory)) != 0 {
		return nil, fail()
	}
	w, h := int(r.width), int(r.height)
	if w != hdr.width || h != hdr.height {
		return nil, fmt.Errorf("jpeg: decoding %d×%d, header said %d×%d", w, h, hdr.width, hdr.height)
	}
	buf, free := cPixels(stride * recodeBandRows)
	defer free()
	pix := (*C.uchar)(unsafe.Pointer(&buf[0]))
	for y := 0; y < h; y += recodeBandRows {
		n := min(recodeBandRows, h-y)
		if C.sg_recode_rows(r, pix, C.long(stride), C.int(n), 0) != 0 {
			return nil, fail()
		}
		draw(&image.NRGBA{Pix: buf[:n*stride], Stride: stride, Rect: image.Rect(0, y, w, y+n)}, w, h)
		if C.sg_recode_rows(r, pix, C.long(stride), C.int(n), 1) != 0 {
			return nil, fail()
		}
	}
	if C.sg_recode_finish(r) != 0 {
		return nil, fail()
	}
	return C.GoBytes(unsafe.Pointer(r.out), C.int(r.outlen)), nil
}

// encodeNRGBA encodes an opaque *image.NRGBA as a baseline JPEG with libjpeg-turbo
// (a 12 MP annotated copy in a fraction of the time image/jpeg takes).
func encodeNRGBA(img *image.NRGBA, quality int) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w == 0 || h == 0 {
		return nil, errors.New("jpeg: empty image")
	}
	var out *C.uchar
	var n C.ulong
	var info C.sg_info
	pix := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y):]
	rc := C.sg_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), C.long(img.Stride), C.int(quality), &out, &n, &info)
	if out != nil {
		defer C.free(unsafe.Pointer(out))
	}
	if rc != 0 {
		return nil, &jpegError{code: int(info.code), msg: C.GoString(&info.msg[0])}
	}
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}
