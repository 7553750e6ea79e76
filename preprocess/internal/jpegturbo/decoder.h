// C side of package jpegturbo: a libjpeg decompressor over a memory buffer with a
// longjmp error manager (libjpeg's default error_exit calls exit()).
#ifndef ZS_JPEGTURBO_DECODER_H
#define ZS_JPEGTURBO_DECODER_H

#include <stddef.h>
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>

typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
} zs_err;

typedef struct {
	struct jpeg_source_mgr pub;
	int *eof_stage;
	int *stage;
} zs_src;

typedef struct {
	struct jpeg_decompress_struct cinfo;
	zs_err err;
	zs_src src;
	int created;
	int stage;     /* 0 header, 1 start, 2 scanlines, 3 finish */
	int eof_stage; /* stage at which the data first ran out, -1 if never */
	int width, height, components, jpeg_color_space, progressive;
	int out_width, out_height, out_components;
	char msg[JMSG_LENGTH_MAX];
} zs_handle;

zs_handle *zs_new(const unsigned char *data, size_t len);
int zs_read_header(zs_handle *h);
int zs_start(zs_handle *h, int channels);
int zs_crop(zs_handle *h, int *x, int *w);
int zs_read(zs_handle *h, unsigned char *out, size_t stride);
void zs_free(zs_handle *h);
const char *zs_version(void);

#endif
