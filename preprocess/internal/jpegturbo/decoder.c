#include <stdlib.h>
#include <string.h>
#include "decoder.h"

static const JOCTET zs_eoi[2] = {0xFF, JPEG_EOI};

static void zs_init_source(j_decompress_ptr c) { (void)c; }
static void zs_term_source(j_decompress_ptr c) { (void)c; }

/* Called only when every byte has been consumed: the data ran out. Record where,
   then feed a fake EOI marker (as libjpeg's own memory source does) so libjpeg
   finishes instead of suspending. */
static boolean zs_fill_input_buffer(j_decompress_ptr c) {
	zs_src *s = (zs_src *)c->src;
	if (*s->eof_stage < 0) *s->eof_stage = *s->stage;
	s->pub.next_input_byte = zs_eoi;
	s->pub.bytes_in_buffer = 2;
	return TRUE;
}

static void zs_skip_input_data(j_decompress_ptr c, long n) {
	zs_src *s = (zs_src *)c->src;
	if (n <= 0) return;
	if ((size_t)n > s->pub.bytes_in_buffer) {
		s->pub.bytes_in_buffer = 0;
		zs_fill_input_buffer(c);
		return;
	}
	s->pub.next_input_byte += n;
	s->pub.bytes_in_buffer -= (size_t)n;
}

static void zs_error_exit(j_common_ptr c) {
	zs_err *e = (zs_err *)c->err;
	longjmp(e->jb, 1);
}

/* Warnings are ignored, as in Pillow (its output_message does nothing). */
static void zs_output_message(j_common_ptr c) { (void)c; }

zs_handle *zs_new(const unsigned char *data, size_t len) {
	zs_handle *h = (zs_handle *)calloc(1, sizeof(zs_handle));
	if (!h) return NULL;
	h->eof_stage = -1;
	h->cinfo.err = jpeg_std_error(&h->err.pub);
	h->err.pub.error_exit = zs_error_exit;
	h->err.pub.output_message = zs_output_message;
	if (setjmp(h->err.jb)) {
		free(h);
		return NULL;
	}
	jpeg_create_decompress(&h->cinfo);
	h->created = 1;
	h->src.pub.init_source = zs_init_source;
	h->src.pub.fill_input_buffer = zs_fill_input_buffer;
	h->src.pub.skip_input_data = zs_skip_input_data;
	h->src.pub.resync_to_restart = jpeg_resync_to_restart;
	h->src.pub.term_source = zs_term_source;
	h->src.pub.next_input_byte = data;
	h->src.pub.bytes_in_buffer = len;
	h->src.eof_stage = &h->eof_stage;
	h->src.stage = &h->stage;
	h->cinfo.src = &h->src.pub;
	return h;
}

static void zs_fail(zs_handle *h) {
	(*h->cinfo.err->format_message)((j_common_ptr)&h->cinfo, h->msg);
}

int zs_read_header(zs_handle *h) {
	int rc;
	h->stage = 0;
	if (setjmp(h->err.jb)) {
		zs_fail(h);
		return 1;
	}
	rc = jpeg_read_header(&h->cinfo, TRUE);
	if (rc != JPEG_HEADER_OK) {
		strcpy(h->msg, "no image in JPEG datastream");
		return 1;
	}
	h->width = (int)h->cinfo.image_width;
	h->height = (int)h->cinfo.image_height;
	h->components = h->cinfo.num_components;
	h->jpeg_color_space = (int)h->cinfo.jpeg_color_space;
	h->progressive = h->cinfo.progressive_mode ? 1 : 0;
	return 0;
}

int zs_start(zs_handle *h, int channels) {
	h->stage = 1;
	if (setjmp(h->err.jb)) {
		zs_fail(h);
		return 1;
	}
	switch (channels) {
	case 1: h->cinfo.out_color_space = JCS_GRAYSCALE; break;
	case 3: h->cinfo.out_color_space = JCS_RGB; break;
	default: h->cinfo.out_color_space = JCS_CMYK; break;
	}
	jpeg_start_decompress(&h->cinfo);
	h->out_width = (int)h->cinfo.output_width;
	h->out_height = (int)h->cinfo.output_height;
	h->out_components = h->cinfo.output_components;
	return 0;
}

/* jpeg_crop_scanline: decode only columns [*x, *x + *w), widened by libjpeg-turbo
   to iMCU boundaries (the widened range is returned). Entropy decoding still reads
   every block, so errors and warnings are those of a full decode. */
int zs_crop(zs_handle *h, int *x, int *w) {
	JDIMENSION xo = (JDIMENSION)*x, wo = (JDIMENSION)*w;
	h->stage = 2;
	if (setjmp(h->err.jb)) {
		zs_fail(h);
		return 1;
	}
	jpeg_crop_scanline(&h->cinfo, &xo, &wo);
	*x = (int)xo;
	*w = (int)wo;
	h->out_width = (int)h->cinfo.output_width;
	return 0;
}

int zs_read(zs_handle *h, unsigned char *out, size_t stride) {
	JSAMPROW row;
	h->stage = 2;
	if (setjmp(h->err.jb)) {
		zs_fail(h);
		return 1;
	}
	while (h->cinfo.output_scanline < h->cinfo.output_height) {
		row = out + (size_t)h->cinfo.output_scanline * stride;
		if (jpeg_read_scanlines(&h->cinfo, &row, 1) != 1) {
			strcpy(h->msg, "no scanline produced");
			return 1;
		}
	}
	h->stage = 3;
	jpeg_finish_decompress(&h->cinfo);
	return 0;
}

void zs_free(zs_handle *h) {
	if (!h) return;
	if (h->created) {
		if (setjmp(h->err.jb) == 0) jpeg_destroy_decompress(&h->cinfo);
	}
	free(h);
}

#define ZS_STR2(x) #x
#define ZS_STR(x) ZS_STR2(x)
const char *zs_version(void) {
#ifdef LIBJPEG_TURBO_VERSION
	return ZS_STR(LIBJPEG_TURBO_VERSION);
#else
	return "unknown";
#endif
}
