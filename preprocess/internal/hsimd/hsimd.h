// C side of package hsimd: Pillow's 8-bit resampling passes (horizontal for RGB rows, vertical for any),
// with AVX2 (see hsimd.go for the arithmetic and why it is exact).
#ifndef ZS_HSIMD_H
#define ZS_HSIMD_H

#include <stddef.h>
#include <stdint.h>

int zs_hsimd_available(void);

// zs_hsimd_rgb resamples rows [0, rows) of src (RGB, srcStride bytes per row, srcLen
// bytes in all) into out (outW RGB pixels per row, outStride bytes per row).
// Output pixel x reads n[x] input pixels from xmin[x]; its coefficients are split
// into 16-bit pairs: lo[x*kp + j] packs the low 11 bits of taps 2j and 2j+1,
// hi[x*kp + j] their remaining high bits (arithmetic shift by 11), as int16 pairs.
void zs_hsimd_rgb(uint8_t *out, ptrdiff_t outStride, const uint8_t *src, ptrdiff_t srcStride,
                  size_t srcLen, int rows, int outW, const int32_t *xmin, const int32_t *n,
                  const int32_t *k, int ksize, const int32_t *lo, const int32_t *hi, int kp);

// zs_vsimd is Pillow's vertical pass: out row y (rowBytes bytes) is the sum over
// taps i < n[y] of k[y*ksize+i] times the first rowBytes bytes of tmp row
// (ymin[y] - rowOff + i) (rows stride bytes apart), rounded, shifted and clamped;
// lo and hi as for zs_hsimd_rgb.
void zs_vsimd(uint8_t *out, const uint8_t *tmp, ptrdiff_t rowBytes, ptrdiff_t stride, int rows, int rowOff,
              const int32_t *ymin, const int32_t *n, const int32_t *k, int ksize, const int32_t *lo,
              const int32_t *hi, int kp);

#endif
