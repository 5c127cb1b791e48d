// The libjpeg-turbo side of the photo package: scaled decode, encode, and a
// decode-draw-encode pass band by band. jpeg.go calls it through cgo.
#ifndef SAFEGRID_PHOTO_JPEG_H
#define SAFEGRID_PHOTO_JPEG_H

#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
	int width, height;         // the frame, from the header
	int out_width, out_height; // after scaling
	int progressive;
	int components;            // of the JPEG
	int code;
	char msg[JMSG_LENGTH_MAX];
} sg_info;

// sg_err is libjpeg's error manager with a way back (longjmp) and the first fatal
// message or corrupt-data warning.
typedef struct {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	int failed;      // a fatal error or a warning about corrupt data
	int code;        // libjpeg's message code
	char msg[JMSG_LENGTH_MAX];
} sg_err;

// sg_recode decodes a JPEG and encodes it again band by band (sg_recode_rows), so
// that a caller can draw on each band in between without the whole image in memory.
typedef struct sg_recode {
	struct jpeg_decompress_struct d;
	struct jpeg_compress_struct c;
	struct jpeg_destination_mgr dest;
	sg_err err;
	int d_created, c_created;
	unsigned char *out;   // the encoded copy, grown by sg_dest_empty; ours to free
	unsigned long cap;
	unsigned long outlen;
	int width, height;
	int code;
	char msg[JMSG_LENGTH_MAX];
} sg_recode;

int sg_decode(const unsigned char *buf, unsigned long len, int denom, int rgba,
		unsigned char *out, long stride, long max_memory, sg_info *info);
int sg_encode(const unsigned char *pix, int w, int h, long stride, int quality,
		unsigned char **out, unsigned long *outlen, sg_info *info);
sg_recode *sg_recode_new(void);
void sg_recode_free(sg_recode *r);
int sg_recode_start(sg_recode *r, const unsigned char *buf, unsigned long len, int quality, long max_memory);
int sg_recode_rows(sg_recode *r, unsigned char *pix, long stride, int n, int write);
int sg_recode_finish(sg_recode *r);

#endif
