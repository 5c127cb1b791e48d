// The libjpeg-turbo side of the photo package (see jpeg.h).
#include <string.h>
#include "jpeg.h"

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

// sg_decode reads the JPEG in buf. With out == NULL it reads the header only and
// reports the size the decode at 1/denom would have; otherwise it decodes at
// 1/denom into out (out_width×out_height RGB or RGBA pixels, stride bytes a row).
// max_memory bounds libjpeg's own buffers (a progressive JPEG keeps every
// coefficient of the full-size image): past it the decode fails instead of
// allocating. It returns 0 or -1 with info->msg set.
int sg_decode(const unsigned char *buf, unsigned long len, int denom, int rgba,
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
int sg_encode(const unsigned char *pix, int w, int h, long stride, int quality,
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

// The encoder's destination is our own rather than jpeg_mem_dest, whose buffer
// cannot be found again to free it when the encoding stops half-way.
static void sg_dest_init(j_compress_ptr c) {
	sg_recode *r = (sg_recode *)c->client_data;
	r->dest.next_output_byte = r->out;
	r->dest.free_in_buffer = r->cap;
}

static boolean sg_dest_empty(j_compress_ptr c) {
	sg_recode *r = (sg_recode *)c->client_data;
	unsigned char *grown = realloc(r->out, r->cap * 2);
	if (grown == NULL) ERREXIT1(c, JERR_OUT_OF_MEMORY, 10);
	r->out = grown;
	r->dest.next_output_byte = r->out + r->cap;
	r->dest.free_in_buffer = r->cap;
	r->cap *= 2;
	return TRUE;
}

static void sg_dest_term(j_compress_ptr c) {
	sg_recode *r = (sg_recode *)c->client_data;
	r->outlen = r->cap - r->dest.free_in_buffer;
}

sg_recode *sg_recode_new(void) { return calloc(1, sizeof(sg_recode)); }

void sg_recode_free(sg_recode *r) {
	if (r->d_created) jpeg_destroy_decompress(&r->d);
	if (r->c_created) jpeg_destroy_compress(&r->c);
	free(r->out);
	free(r);
}

// Every entry sets its own way back: a jmp_buf is only valid in the call that set it.
#define SG_TRY(r) if (setjmp((r)->err.jump)) { (r)->code = (r)->err.code; memcpy((r)->msg, (r)->err.msg, sizeof (r)->msg); return -1; }

// sg_recode_start reads the header of the JPEG in buf (which must stay put until
// sg_recode_free), starts decoding it at full size as RGBA and encoding the same
// size at quality into memory.
int sg_recode_start(sg_recode *r, const unsigned char *buf, unsigned long len, int quality, long max_memory) {
	r->d.err = jpeg_std_error(&r->err.mgr);
	r->err.mgr.error_exit = sg_error_exit;
	r->err.mgr.emit_message = sg_emit;
	r->c.err = &r->err.mgr;
	SG_TRY(r)
	jpeg_create_decompress(&r->d);
	r->d_created = 1;
	r->d.mem->max_memory_to_use = max_memory;
	jpeg_mem_src(&r->d, buf, len);
	jpeg_read_header(&r->d, TRUE);
	r->d.out_color_space = JCS_EXT_RGBA;
	r->d.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&r->d);
	r->width = r->d.output_width;
	r->height = r->d.output_height;
	jpeg_create_compress(&r->c);
	r->c_created = 1;
	r->cap = 1 << 20;
	r->out = malloc(r->cap);
	if (r->out == NULL) ERREXIT1(&r->c, JERR_OUT_OF_MEMORY, 10);
	r->c.client_data = r;
	r->dest.init_destination = sg_dest_init;
	r->dest.empty_output_buffer = sg_dest_empty;
	r->dest.term_destination = sg_dest_term;
	r->c.dest = &r->dest;
	r->c.image_width = r->width;
	r->c.image_height = r->height;
	r->c.input_components = 4;
	r->c.in_color_space = JCS_EXT_RGBA;
	jpeg_set_defaults(&r->c);
	jpeg_set_quality(&r->c, quality, TRUE);
	jpeg_start_compress(&r->c, TRUE);
	return 0;
}

// sg_recode_rows reads the next n rows into pix (write == 0) or encodes n rows
// from pix (write != 0).
int sg_recode_rows(sg_recode *r, unsigned char *pix, long stride, int n, int write) {
	SG_TRY(r)
	for (int i = 0; i < n; i++) {
		JSAMPROW row = pix + (long)i * stride;
		if (write) {
			jpeg_write_scanlines(&r->c, &row, 1);
		} else if (jpeg_read_scanlines(&r->d, &row, 1) != 1) {
			ERREXIT(&r->d, JERR_INPUT_EMPTY);
		}
	}
	return 0;
}

int sg_recode_finish(sg_recode *r) {
	SG_TRY(r)
	jpeg_finish_compress(&r->c);
	jpeg_finish_decompress(&r->d);
	return 0;
}
