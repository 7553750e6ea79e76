// Package hsimd is the horizontal (RGB) and vertical passes of Pillow's 8-bit BICUBIC resize
// (libImaging/Resample.c, ImagingResampleHorizontal_8bpc and ..Vertical_8bpc) with AVX2, bit for
// bit.
//
// Pillow accumulates sample × coefficient in int32, with 22-bit fixed-point
// coefficients. AVX2's pmaddwd multiplies int16 pairs and adds each pair into an
// int32: it needs 16-bit operands. Each coefficient c is therefore split into
// c = hi·2¹¹ + lo with lo = c & 2047 (0..2047) and hi = c >> 11 (arithmetic;
// |hi| ≤ 2048), both int16; the two sums Σ sample·lo and Σ sample·hi are exact in
// int32 and sum·2¹¹ + sum is Pillow's accumulator exactly (integer addition is
// associative, and Pillow's own sums never overflow int32, so neither do these).
// Rounding (the 2²¹ start value), the shift by 22 and the clamp are Pillow's.
//
// Two rows share each coefficient load (one per 128-bit lane); each 16-byte load
// covers one tap pair of one row: R0 G0 B0 R1 G1 B1 shuffled to (R0,R1) (G0,G1)
// (B0,B1). Loads may read up to 10 bytes past the last tap; pixels whose loads
// would leave the source slice are computed by the scalar loop instead.
package hsimd

/*
#cgo CFLAGS: -O2
#include "hsimd.h"
*/
import "C"

import "unsafe"

// Available reports whether the CPU has AVX2 (checked once).
var Available = C.zs_hsimd_available() != 0

// Kernel is the per-output-pixel description of the pass, as the caller's
// precomputed Pillow coefficients.
type Kernel struct {
	Xmin, N []int32 // first input pixel and tap count of each output pixel
	K       []int32 // Ksize fixed-point coefficients per output pixel
	Ksize   int
	Lo, Hi  []int32 // Kp packed int16 pairs per output pixel (Split)
	Kp      int
}

// Split fills k.Lo, k.Hi and k.Kp from k.K.
func (k *Kernel) Split() {
	outW := len(k.Xmin)
	k.Kp = (k.Ksize + 1) / 2
	k.Lo = make([]int32, outW*k.Kp)
	k.Hi = make([]int32, outW*k.Kp)
	for x := 0; x < outW; x++ {
		taps := k.K[x*k.Ksize : x*k.Ksize+int(k.N[x])]
		for i, c := range taps {
			lo, hi := uint32(c&2047), uint32(uint16(int16(c>>11)))
			sh := 16 * uint(i&1)
			k.Lo[x*k.Kp+i/2] |= int32(lo << sh)
			k.Hi[x*k.Kp+i/2] |= int32(hi << sh)
		}
	}
}

// RGB resamples rows rows of src (srcStride bytes apart) into out (outStride bytes
// apart, len(k.Xmin) pixels per row) and reports true, or does nothing and reports
// false where the CPU lacks AVX2 or the buffers are too small for the rows. Every
// tap must lie inside its row (as Pillow's coefficients always do).
func RGB(out []byte, outStride int, src []byte, srcStride, rows int, k *Kernel) bool {
	outW := len(k.Xmin)
	if !Available || len(k.Lo) != outW*k.Kp || len(k.N) != outW || len(k.K) < outW*k.Ksize {
		return false
	}
	if rows <= 0 || outW == 0 {
		return true
	}
	if len(out) < (rows-1)*outStride+3*outW || len(src) < (rows-1)*srcStride+3*int(k.Xmin[outW-1]+k.N[outW-1]) {
		return false
	}
	C.zs_hsimd_rgb((*C.uint8_t)(unsafe.Pointer(&out[0])), C.ptrdiff_t(outStride),
		(*C.uint8_t)(unsafe.Pointer(&src[0])), C.ptrdiff_t(srcStride), C.size_t(len(src)),
		C.int(rows), C.int(outW),
		(*C.int32_t)(unsafe.Pointer(&k.Xmin[0])), (*C.int32_t)(unsafe.Pointer(&k.N[0])),
		(*C.int32_t)(unsafe.Pointer(&k.K[0])), C.int(k.Ksize),
		(*C.int32_t)(unsafe.Pointer(&k.Lo[0])), (*C.int32_t)(unsafe.Pointer(&k.Hi[0])), C.int(k.Kp))
	return true
}

// Vertical is Pillow's vertical pass (ImagingResampleVertical_8bpc) for any channel
// count: output row y (rowBytes bytes of out) sums k's taps over the rows of src
// (stride bytes apart; rowBytes of each are read) starting at Xmin[y]-rowOff. It
// reports false, doing nothing, where the CPU lacks AVX2 or a tap would fall
// outside src.
func Vertical(out []byte, rowBytes int, src []byte, stride, rowOff int, k *Kernel) bool {
	rows := len(k.Xmin)
	if !Available || len(k.Lo) != rows*k.Kp || len(k.N) != rows || len(k.K) < rows*k.Ksize {
		return false
	}
	if rows == 0 || rowBytes == 0 {
		return true
	}
	if len(out) < rows*rowBytes || stride < rowBytes {
		return false
	}
	for y := 0; y < rows; y++ {
		first, n := int(k.Xmin[y])-rowOff, int(k.N[y])
		if first < 0 || n > 0 && (first+n-1)*stride+rowBytes > len(src) {
			return false
		}
	}
	C.zs_vsimd((*C.uint8_t)(unsafe.Pointer(&out[0])), (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(src))),
		C.ptrdiff_t(rowBytes), C.ptrdiff_t(stride), C.int(rows), C.int(rowOff),
		(*C.int32_t)(unsafe.Pointer(&k.Xmin[0])), (*C.int32_t)(unsafe.Pointer(&k.N[0])),
		(*C.int32_t)(unsafe.Pointer(&k.K[0])), C.int(k.Ksize),
		(*C.int32_t)(unsafe.Pointer(&k.Lo[0])), (*C.int32_t)(unsafe.Pointer(&k.Hi[0])), C.int(k.Kp))
	return true
}
