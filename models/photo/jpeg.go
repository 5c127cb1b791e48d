package photo

/*
#cgo LDFLAGS: -ljpeg
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// sg_err is libjpeg's error manager with a way back (longjmp) and the first fatal
// message or corrupt-data warning.
typedef struct {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	int failed;      // a fatal error or a warning about corrupt data
	int code;        // libjpeg's message code
	char msg[JMSG_LENGTH_MAX];
} sg_err;

static void sg_error_exit(j_common_ptr c) {
	sg_err *e = (sg_err *)c->err;
	e->failed = 1;
	e->code = e->mgr.msg_code;
	(*c->err->format_message)(c, e->msg);
	longjmp(e->jump, 1);
}

// sg_emit turns warnings about corrupt or missing data into errors: a truncated
// JPEG is refused, not padded with grey the way libjpeg does by default.
static void sg_emit(j_common_ptr c, int level) {
	sg_err *e = (sg_err *)c->err;
	if (level >= 0) return; // trace messages
	switch (e->mgr.msg_code) {
	case JWRN_EXTRANEOUS_DATA: case JWRN_ADOBE_XFORM: case JWRN_JFIF_MAJOR: case JWRN_BOGUS_ICC:
		return; // harmless
	}
	sg_error_exit(c);
}

typedef struct {
	int width, height;         // the frame, from the header
	int out_width, out_height; // after scaling
	int progressive;
	int components;            // of the JPEG
	int code;
	char msg[JMSG_LENGTH_MAX];
} sg_info;

// sg_decode reads the JPEG in buf. With out == NULL it reads the header only and
// reports the size the decode at 1/denom would have; otherwise it decodes at
// 1/denom into out (out_width×out_height RGB or RGBA pixels, stride bytes a row).
// max_memory bounds libjpeg's own buffers (a progressive JPEG keeps every
// coefficient of the full-size image): past it the decode fails instead of
// allocating. It returns 0 or -1 with info->msg set.
static int sg_decode(const unsigned char *buf, unsigned long len, int denom, int rgba,
		unsigned char *out, long stride, long max_memory, sg_info *info) {
	struct jpeg_decompress_struct cinfo;
	sg_err err;
	memset(&err, 0, sizeof err);
	cinfo.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = sg_error_exit;
	err.mgr.emit_message = sg_emit;
	if (setjmp(err.jump)) {
		info->code = err.code;
		memcpy(info->msg, err.msg, sizeof info->msg);
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	jpeg_create_decompress(&cinfo);
	cinfo.mem->max_memory_to_use = max_memory;
	jpeg_mem_src(&cinfo, buf, len);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.scale_num = 1;
	cinfo.scale_denom = denom;
	cinfo.out_color_space = rgba ? JCS_EXT_RGBA : JCS_RGB;
	cinfo.dct_method = JDCT_ISLOW;
	jpeg_calc_output_dimensions(&cinfo);
	info->width = cinfo.image_width;
	info->height = cinfo.image_height;
	info->out_width = cinfo.output_width;
	info->out_height = cinfo.output_height;
	info->progressive = cinfo.progressive_mode;
	info->components = cinfo.num_components;
	if (out == NULL) {
		jpeg_destroy_decompress(&cinfo);
		return 0;
	}
	jpeg_start_decompress(&cinfo);
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = out + (long)cinfo.output_scanline * stride;
		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

// sg_encode encodes w×h RGBA pixels as a baseline JPEG at quality into a buffer
// libjpeg mallocs (*out, *outlen; the caller frees it).
static int sg_encode(const unsigned char *pix, int w, int h, long stride, int quality,
		unsigned char **out, unsigned long *outlen, sg_info *info) {
	struct jpeg_compress_struct cinfo;
	sg_err err;
	memset(&err, 0, sizeof err);
	cinfo.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = sg_error_exit;
	if (setjmp(err.jump)) {
		info->code = err.code;
		memcpy(info->msg, err.msg, sizeof info->msg);
		jpeg_destroy_compress(&cinfo);
		return -1;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, out, outlen);
	cinfo.image_width = w;
	cinfo.image_height = h;
	cinfo.input_components = 4;
	cinfo.in_color_space = JCS_EXT_RGBA;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, quality, TRUE);
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		JSAMPROW row = (JSAMPROW)(pix + (long)cinfo.next_scanline * stride);
		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
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
