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
			/* The last 16-byte load starts at off + 6*(pairs-1) in row 1. */
			if ((size_t)((r1 - src) + off + 6 * (ptrdiff_t)(pairs - 1) + 16) > srcLen) {
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
			if ((size_t)((r0 - src) + off + 6 * (ptrdiff_t)(pairs - 1) + 16) > srcLen) {
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

#else
int zs_hsimd_available(void) { return 0; }
void zs_hsimd_rgb(uint8_t *out, ptrdiff_t outStride, const uint8_t *src, ptrdiff_t srcStride, size_t srcLen,
                  int rows, int outW, const int32_t *xmin, const int32_t *n, const int32_t *k, int ksize,
                  const int32_t *lo, const int32_t *hi, int kp) {
	(void)out; (void)outStride; (void)src; (void)srcStride; (void)srcLen; (void)rows; (void)outW;
	(void)xmin; (void)n; (void)k; (void)ksize; (void)lo; (void)hi; (void)kp;
}
#endif
