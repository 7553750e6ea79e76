#include "hsimd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define PRECISION_BITS 22
#define HALF (1 << (PRECISION_BITS - 1))

int zs_hsimd_available(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

static inline uint8_t clip8(int32_t acc) {
	int32_t v = acc >> PRECISION_BITS;
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* One output pixel of one row, scalar: Pillow's loop (int32 accumulators). */
static inline void pixel_scalar(uint8_t *o, const uint8_t *in, int n, const int32_t *k) {
	int32_t s0 = HALF, s1 = HALF, s2 = HALF;
	for (int i = 0; i < n; i++) {
		s0 += (int32_t)in[3 * i] * k[i];
		s1 += (int32_t)in[3 * i + 1] * k[i];
		s2 += (int32_t)in[3 * i + 2] * k[i];
	}
	o[0] = clip8(s0);
	o[1] = clip8(s1);
	o[2] = clip8(s2);
}

/* Whether the last 16-byte load of an output pixel (pairs tap pairs from byte off of
   row) would read past the end of src: such pixels take pixel_scalar. */
static inline int overruns(const uint8_t *row, const uint8_t *src, size_t srcLen, ptrdiff_t off, int pairs) {
	return (size_t)((row - src) + off + 6 * (ptrdiff_t)(pairs - 1) + 16) > srcLen;
}

/* lanes [R, G, B, 0] (int32) -> three clipped bytes, from the lo and hi sums. */
static inline void store3(uint8_t *o, __m128i slo, __m128i shi) {
	__m128i acc = _mm_add_epi32(_mm_slli_epi32(shi, 11), slo);
	acc = _mm_add_epi32(acc, _mm_set1_epi32(HALF));
	int32_t v[4];
	_mm_storeu_si128((__m128i *)v, acc);
	o[0] = clip8(v[0]);
	o[1] = clip8(v[1]);
	o[2] = clip8(v[2]);
}

__attribute__((target("avx2"))) void zs_hsimd_rgb(uint8_t *out, ptrdiff_t outStride, const uint8_t *src,
                                                  ptrdiff_t srcStride, size_t srcLen, int rows, int outW,
                                                  const int32_t *xmin, const int32_t *n, const int32_t *k,
                                                  int ksize, const int32_t *lo, const int32_t *hi, int kp) {
	/* Six bytes R0 G0 B0 R1 G1 B1 -> int16 pairs (R0,R1) (G0,G1) (B0,B1) (0,0), in
	   each 128-bit lane: pmaddwd with a (c0, c1) pair then gives R0*c0 + R1*c1 etc. */
	const __m256i shuf = _mm256_setr_epi8(0, -128, 3, -128, 1, -128, 4, -128, 2, -128, 5, -128, -128, -128,
	                                      -128, -128, 0, -128, 3, -128, 1, -128, 4, -128, 2, -128, 5, -128,
	                                      -128, -128, -128, -128);
	const __m128i shuf1 = _mm256_castsi256_si128(shuf);
	int y = 0;
	for (; y + 1 < rows; y += 2) {
		const uint8_t *r0 = src + (ptrdiff_t)y * srcStride, *r1 = r0 + srcStride;
		uint8_t *o0 = out + (ptrdiff_t)y * outStride, *o1 = o0 + outStride;
		for (int x = 0; x < outW; x++) {
			const int nn = n[x], pairs = (nn + 1) / 2;
			const ptrdiff_t off = 3 * (ptrdiff_t)xmin[x];
			if (overruns(r1, src, srcLen, off, pairs)) { /* row 1 ends later than row 0 */
				pixel_scalar(o0 + 3 * x, r0 + off, nn, k + (ptrdiff_t)x * ksize);
				pixel_scalar(o1 + 3 * x, r1 + off, nn, k + (ptrdiff_t)x * ksize);
				continue;
			}
			const int32_t *pl = lo + (ptrdiff_t)x * kp, *ph = hi + (ptrdiff_t)x * kp;
			const uint8_t *p0 = r0 + off, *p1 = r1 + off;
			__m256i alo = _mm256_setzero_si256(), ahi = _mm256_setzero_si256();
			for (int j = 0; j < pairs; j++) {
				__m256i v = _mm256_inserti128_si256(
				    _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(p0 + 6 * j))),
				    _mm_loadu_si128((const __m128i *)(p1 + 6 * j)), 1);
				v = _mm256_shuffle_epi8(v, shuf);
				alo = _mm256_add_epi32(alo, _mm256_madd_epi16(v, _mm256_set1_epi32(pl[j])));
				ahi = _mm256_add_epi32(ahi, _mm256_madd_epi16(v, _mm256_set1_epi32(ph[j])));
			}
			store3(o0 + 3 * x, _mm256_castsi256_si128(alo), _mm256_castsi256_si128(ahi));
			store3(o1 + 3 * x, _mm256_extracti128_si256(alo, 1), _mm256_extracti128_si256(ahi, 1));
		}
	}
	for (; y < rows; y++) {
		const uint8_t *r0 = src + (ptrdiff_t)y * srcStride;
		uint8_t *o0 = out + (ptrdiff_t)y * outStride;
		for (int x = 0; x < outW; x++) {
			const int nn = n[x], pairs = (nn + 1) / 2;
			const ptrdiff_t off = 3 * (ptrdiff_t)xmin[x];
			if (overruns(r0, src, srcLen, off, pairs)) {
				pixel_scalar(o0 + 3 * x, r0 + off, nn, k + (ptrdiff_t)x * ksize);
				continue;
			}
			const int32_t *pl = lo + (ptrdiff_t)x * kp, *ph = hi + (ptrdiff_t)x * kp;
			const uint8_t *p0 = r0 + off;
			__m128i alo = _mm_setzero_si128(), ahi = _mm_setzero_si128();
			for (int j = 0; j < pairs; j++) {
				__m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p0 + 6 * j)), shuf1);
				alo = _mm_add_epi32(alo, _mm_madd_epi16(v, _mm_set1_epi32(pl[j])));
				ahi = _mm_add_epi32(ahi, _mm_madd_epi16(v, _mm_set1_epi32(ph[j])));
			}
			store3(o0 + 3 * x, alo, ahi);
		}
	}
}

__attribute__((target("avx2"))) void zs_vsimd(uint8_t *out, const uint8_t *tmp, ptrdiff_t rowBytes,
                                              ptrdiff_t stride, int rows, int rowOff, const int32_t *ymin, const int32_t *n,
                                              const int32_t *k, int ksize, const int32_t *lo,
                                              const int32_t *hi, int kp) {
	const __m256i half = _mm256_set1_epi32(HALF);
	for (int y = 0; y < rows; y++) {
		const int nn = n[y], pairs = (nn + 1) / 2;
		const uint8_t *base = tmp + (ptrdiff_t)(ymin[y] - rowOff) * stride;
		const int32_t *pl = lo + (ptrdiff_t)y * kp, *ph = hi + (ptrdiff_t)y * kp;
		uint8_t *o = out + (ptrdiff_t)y * rowBytes;
		ptrdiff_t j = 0;
		for (; j + 16 <= rowBytes; j += 16) {
			/* Samples j..j+15 of rows 2p and 2p+1 as int16 pairs: pmaddwd with the
			   taps' (c0, c1) pair gives row0*c0 + row1*c1 for eight samples per
			   register (a: samples 0-3 and 8-11, b: 4-7 and 12-15, lane order). */
			__m256i loA = _mm256_setzero_si256(), loB = _mm256_setzero_si256();
			__m256i hiA = _mm256_setzero_si256(), hiB = _mm256_setzero_si256();
			for (int p = 0; p < pairs; p++) {
				const uint8_t *r0 = base + (ptrdiff_t)(2 * p) * stride + j;
				const uint8_t *r1 = 2 * p + 1 < nn ? r0 + stride : r0; /* odd n: a zero coefficient */
				__m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)r0));
				__m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)r1));
				__m256i u = _mm256_unpacklo_epi16(a, b), v = _mm256_unpackhi_epi16(a, b);
				__m256i cl = _mm256_set1_epi32(pl[p]), ch = _mm256_set1_epi32(ph[p]);
				loA = _mm256_add_epi32(loA, _mm256_madd_epi16(u, cl));
				loB = _mm256_add_epi32(loB, _mm256_madd_epi16(v, cl));
				hiA = _mm256_add_epi32(hiA, _mm256_madd_epi16(u, ch));
				hiB = _mm256_add_epi32(hiB, _mm256_madd_epi16(v, ch));
			}
			__m256i sa = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(hiA, 11), loA), half), PRECISION_BITS);
			__m256i sb = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(hiB, 11), loB), half), PRECISION_BITS);
			/* Saturating packs clamp to 0..255 as Pillow's clip8 does, and undo the
			   unpack's lane order. */
			__m256i w = _mm256_packs_epi32(sa, sb);
			__m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
			_mm_storeu_si128((__m128i *)(o + j), bytes);
		}
		for (; j < rowBytes; j++) {
			int32_t acc = HALF;
			for (int i = 0; i < nn; i++) acc += (int32_t)base[(ptrdiff_t)i * stride + j] * k[(ptrdiff_t)y * ksize + i];
			o[j] = clip8(acc);
		}
	}
}

#else
int zs_hsimd_available(void) { return 0; }
void zs_vsimd(uint8_t *out, const uint8_t *tmp, ptrdiff_t rowBytes, ptrdiff_t stride, int rows, int rowOff,
              const int32_t *ymin, const int32_t *n, const int32_t *k, int ksize, const int32_t *lo, const int32_t *hi,
              int kp) {
	(void)out; (void)tmp; (void)rowBytes; (void)stride; (void)rows; (void)rowOff; (void)ymin; (void)n; (void)k;
	(void)ksize; (void)lo; (void)hi; (void)kp;
}
void zs_hsimd_rgb(uint8_t *out, ptrdiff_t outStride, const uint8_t *src, ptrdiff_t srcStride, size_t srcLen,
                  int rows, int outW, const int32_t *xmin, const int32_t *n, const int32_t *k, int ksize,
                  const int32_t *lo, const int32_t *hi, int kp) {
	(void)out; (void)outStride; (void)src; (void)srcStride; (void)srcLen; (void)rows; (void)outW;
	(void)xmin; (void)n; (void)k; (void)ksize; (void)lo; (void)hi; (void)kp;
}
#endif
