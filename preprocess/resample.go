package preprocess

import (
	"encoding/binary"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/zeroshot-clip/zeroshot/preprocess/internal/hsimd"
)

// Pillow's Image.resize(..., BICUBIC) on 8-bit images (libImaging/Resample.c),
// reproduced bit for bit: float64 coefficients, normalised, quantised to 22-bit
// fixed point; int32 accumulation; a horizontal then a vertical pass (or the
// reverse: horizontalFirst) with a rounded/clamped uint8 image in between; each
// pass skipped when its size is unchanged. Only a window of output pixels may be
// computed (the centre crop): every output pixel depends only on its own
// coefficients, so the window equals the same window of the full resize.

const precisionBits = 32 - 8 - 2

// bicubic is Pillow's bicubic_filter (a = -0.5). The explicit float64()
// conversions forbid fused multiply-adds, which would change the rounding.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return float64(float64(float64(float64((a+2.0)*x)-(a+3.0))*x)*x) + 1
	}
	if x < 2 {
		return float64(float64(float64(float64(float64(x-5)*x)+8)*x)-4) * a
	}
	return 0
}

// kernel holds the fixed-point coefficients for output indices
// [start, start+len(xmin)) of a resize from in to out samples.
type kernel struct {
	xmin  []int32 // first input index
	n     []int32 // number of taps
	k     []int32 // ksize coefficients per output index
	ksize int
	simd  *hsimd.Kernel // the same, split for the AVX2 passes
	// c0, c1: the input indices [c0, c1) the taps read. rel is the same kernel
	// with xmin relative to c0, for a pass over just those input columns.
	c0, c1 int
	rel    *kernel
}

// newKernel is Pillow's precompute_coeffs + normalize_coeffs_8bpc with box
// (0, in), restricted to output indices [start, start+count).
func newKernel(in, out, start, count int) *kernel {
	in0, in1 := 0.0, float64(float32(in))
	scale := (in1 - in0) / float64(out)
	filterscale := scale
	if filterscale < 1.0 {
		filterscale = 1.0
	}
	support := 2.0 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	kn := &kernel{
		xmin:  make([]int32, count),
		n:     make([]int32, count),
		k:     make([]int32, count*ksize),
		ksize: ksize,
	}
	w := make([]float64, ksize)
	for i := 0; i < count; i++ {
		xx := start + i
		center := in0 + float64((float64(xx)+0.5)*scale)
		ss := 1.0 / filterscale
		xmin := int(center - support + 0.5) // C (int) truncates toward zero
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > in {
			xmax = in
		}
		xmax -= xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			v := bicubic(float64(float64(x+xmin)-center+0.5) * ss)
			w[x] = v
			ww += v
		}
		k := kn.k[i*ksize : (i+1)*ksize]
		for x := 0; x < xmax; x++ {
			v := w[x]
			if ww != 0.0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				k[x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		kn.xmin[i], kn.n[i] = int32(xmin), int32(xmax)
	}
	if hsimd.Available && count > 0 {
		kn.simd = &hsimd.Kernel{Xmin: kn.xmin, N: kn.n, K: kn.k, Ksize: ksize}
		kn.simd.Split()
	}
	kn.rel = kn
	if count > 0 {
		kn.c0, kn.c1 = int(kn.xmin[0]), int(kn.xmin[0]+kn.n[0])
		for i := range count {
			kn.c0, kn.c1 = min(kn.c0, int(kn.xmin[i])), max(kn.c1, int(kn.xmin[i]+kn.n[i]))
		}
	}
	if kn.c0 != 0 {
		r := *kn
		r.xmin = make([]int32, count)
		for i, x := range kn.xmin {
			r.xmin[i] = x - int32(kn.c0)
		}
		r.c0, r.c1 = 0, kn.c1-kn.c0
		if kn.simd != nil {
			s := *kn.simd
			s.Xmin = r.xmin
			r.simd = &s
		}
		r.rel = &r
		kn.rel = &r
	}
	return kn
}

// kernelCache memoises kernels per (in, out, start, count); bounded so that a
// stream of odd sizes cannot grow it without limit.
type kernelCache struct {
	m sync.Map
	n atomic.Int64
}

const kernelCacheMax = 512

type kernelKey struct{ in, out, start, count int }

func (c *kernelCache) get(in, out, start, count int) *kernel {
	key := kernelKey{in, out, start, count}
	if c != nil {
		if v, ok := c.m.Load(key); ok {
			return v.(*kernel)
		}
	}
	k := newKernel(in, out, start, count)
	if c != nil && c.n.Load() < kernelCacheMax {
		if _, loaded := c.m.LoadOrStore(key, k); !loaded {
			c.n.Add(1)
		}
	}
	return k
}

func clip8(acc int32) uint8 {
	v := acc >> precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// plane is an interleaved 8-bit image with ch channels (1..4).
type plane struct {
	w, h, ch int
	pix      []uint8
}

// resizeWindow returns the window [x0, x0+cw) × [y0, y0+chh) of Pillow's
// resize of src to outW×outH (BICUBIC). The window must lie inside the output.
func resizeWindow(src plane, outW, outH, x0, y0, cw, chh int, cache *kernelCache) plane {
	needH := outW != src.w
	needV := outH != src.h
	c := src.ch
	if !needH && !needV {
		return cropPlane(src, x0, y0, cw, chh)
	}
	if needH && needV && !horizontalFirst(src.w, src.h, outW, outH) {
		// Vertical pass first, over the source columns the horizontal taps of
		// the window read; then the horizontal pass on that strip.
		kv := cache.get(src.h, outH, y0, chh)
		kh := cache.get(src.w, outW, x0, cw)
		tmp := plane{w: kh.c1 - kh.c0, h: chh, ch: c}
		tmp.pix = make([]uint8, tmp.w*tmp.h*c)
		vertical(tmp, src, kh.c0, 0, kv)
		out := plane{w: cw, h: chh, ch: c, pix: make([]uint8, cw*chh*c)}
		horizontal(out, tmp, 0, kh.rel)
		return out
	}
	var kv *kernel
	rowFirst, rowLast := y0, y0+chh // source rows feeding the vertical pass
	if needV {
		kv = cache.get(src.h, outH, y0, chh)
		rowFirst, rowLast = kv.c0, kv.c1
	}
	tmp := src
	tmpOff := 0 // source row of tmp row 0
	if needH {
		kh := cache.get(src.w, outW, x0, cw)
		tmp = plane{w: cw, h: rowLast - rowFirst, ch: c, pix: make([]uint8, cw*(rowLast-rowFirst)*c)}
		horizontal(tmp, src, rowFirst, kh)
		tmpOff = rowFirst
	} else {
		// No horizontal resampling: keep only the window's columns.
		tmp = cropPlane(src, x0, rowFirst, cw, rowLast-rowFirst)
		tmpOff = rowFirst
	}
	if !needV {
		return cropPlane(tmp, 0, y0-tmpOff, cw, chh)
	}
	out := plane{w: cw, h: chh, ch: c, pix: make([]uint8, cw*chh*c)}
	vertical(out, tmp, 0, tmpOff, kv)
	return out
}

// horizontalFirst is Pillow's choice of pass order (Resample.c,
// ImagingResampleInner, new in Pillow 13.0.0; 12.3.0 always ran horizontal
// first): the vertical pass runs first when the height shrinks by more than twice
// as many pixels as the width, so that the horizontal pass has fewer rows to do.
// The order changes the result: the intermediate image is rounded and clamped to
// 8 bits between the passes.
func horizontalFirst(inW, inH, outW, outH int) bool {
	dh := inH - outH
	return !(dh > 0 && dh > (inW-outW)*2)
}

func cropPlane(p plane, x0, y0, w, h int) plane {
	out := plane{w: w, h: h, ch: p.ch, pix: make([]uint8, w*h*p.ch)}
	rowBytes := w * p.ch
	for y := 0; y < h; y++ {
		s := ((y0+y)*p.w + x0) * p.ch
		copy(out.pix[y*rowBytes:(y+1)*rowBytes], p.pix[s:s+rowBytes])
	}
	return out
}

const half = int32(1) << (precisionBits - 1)

// useSIMD selects the AVX2 passes (horizontal for RGB, vertical for any channel
// count) where the CPU has them (package internal/hsimd, bit-identical to the Go
// loops; tests compare the two).
var useSIMD = true

// horizontal: out row y = resampled src row (y + rowOff). Rows are split
// across goroutines when the pass is large and GOMAXPROCS > 1.
func horizontal(out, src plane, rowOff int, k *kernel) {
	work := int64(out.h) * int64(out.w) * int64(k.ksize) * int64(src.ch)
	parallelRows(out.h, work, func(y0, y1 int) {
		if src.ch == 3 && useSIMD && k.simd != nil && y1 > y0 {
			rowIn, rowOut := src.w*3, out.w*3
			if hsimd.RGB(out.pix[y0*rowOut:], rowOut, src.pix[(y0+rowOff)*rowIn:], rowIn, y1-y0, k.simd) {
				return
			}
		}
		if src.ch == 3 {
			horizontalRGB(out, src, rowOff, k, y0, y1)
			return
		}
		horizontalAny(out, src, rowOff, k, y0, y1)
	})
}

func horizontalAny(out, src plane, rowOff int, k *kernel, y0, y1 int) {
	ks, ch := k.ksize, src.ch
	var acc [4]int32
	for y := y0; y < y1; y++ {
		in := src.pix[(y+rowOff)*src.w*ch : (y+rowOff+1)*src.w*ch]
		o := out.pix[y*out.w*ch : (y+1)*out.w*ch]
		for xx := 0; xx < out.w; xx++ {
			xmin, n := int(k.xmin[xx]), int(k.n[xx])
			kk := k.k[xx*ks : xx*ks+n]
			for c := 0; c < ch; c++ {
				acc[c] = half
			}
			for i, cf := range kk {
				for c := 0; c < ch; c++ {
					acc[c] += int32(in[(xmin+i)*ch+c]) * cf
				}
			}
			for c := 0; c < ch; c++ {
				o[xx*ch+c] = clip8(acc[c])
			}
		}
	}
}

// horizontalRGB resamples rows [y0, y1) of an RGB image two rows at a time.
// The same sample of both rows shares one int64 (row0 + row1<<32): with
// wrap-around 64-bit arithmetic both int32 sums are recovered exactly (each
// lies in int32 range, as in Pillow's C), so the result is bit-identical to
// Pillow's per-row int32 accumulators with half the multiplies and coefficient
// loads. The inner loops index with unsafe.Add inside slices whose bounds were
// checked just before (kernel taps always lie inside the input row).
func horizontalRGB(out, src plane, rowOff int, k *kernel, y0, y1 int) {
	rowIn, rowOut := src.w*3, out.w*3
	row := func(p []uint8, y, n int) []uint8 { return p[y*n : (y+1)*n] }
	if out.w == 0 {
		return
	}
	// Only the input columns [c0, c1) feed the output window: pack just those.
	c0, c1 := k.c0, k.c1
	y := y0
	if y1-y0 >= 2 {
		buf := make([]int64, 3*(c1-c0))
		for ; y+1 < y1; y += 2 {
			r0 := row(src.pix, y+rowOff, rowIn)[3*c0 : 3*c1]
			r1 := row(src.pix, y+rowOff+1, rowIn)[3*c0 : 3*c1]
			r0, r1 = r0[:len(buf)], r1[:len(buf)]
			for x := range buf {
				buf[x] = int64(r0[x]) | int64(r1[x])<<32
			}
			rgbPairRow(row(out.pix, y, rowOut), row(out.pix, y+1, rowOut), buf, c0, out.w, k)
		}
	}
	for ; y < y1; y++ {
		rgbRow(row(out.pix, y, rowOut), row(src.pix, y+rowOff, rowIn), out.w, k)
	}
}

// rgbPairRow: two output rows from buf, which packs the samples of input
// columns [c0, ...) of two rows.
func rgbPairRow(o0, o1 []uint8, buf []int64, c0, outW int, k *kernel) {
	ks := k.ksize
	o0, o1 = o0[:3*outW], o1[:3*outW]
	for xx := 0; xx < outW; xx++ {
		xmin, n := int(k.xmin[xx])-c0, int(k.n[xx])
		kk := k.k[xx*ks : xx*ks+n]
		p := buf[xmin*3 : xmin*3+3*n]
		a0, a1, a2 := pairTaps(unsafe.Pointer(unsafe.SliceData(p)), unsafe.Pointer(unsafe.SliceData(kk)), n)
		l0, l1, l2 := int32(a0), int32(a1), int32(a2)
		d0, d1 := o0[xx*3:xx*3+3:xx*3+3], o1[xx*3:xx*3+3:xx*3+3]
		d0[0], d0[1], d0[2] = clip8(l0), clip8(l1), clip8(l2)
		d1[0] = clip8(int32((a0 - int64(l0)) >> 32))
		d1[1] = clip8(int32((a1 - int64(l1)) >> 32))
		d1[2] = clip8(int32((a2 - int64(l2)) >> 32))
	}
}

// pairTaps is rgbPairRow's tap loop: n taps of the packed R, G and B
// accumulators, from the rounding constant. It is a separate, small function
// so that its accumulators and counters stay in registers (inlined into the
// caller's loop, the compiler spills them to the stack, which chains every
// iteration through a store and a load).
//
//go:noinline
func pairTaps(pp, kp unsafe.Pointer, n int) (a0, a1, a2 int64) {
	const h2 = int64(half) | int64(half)<<32
	a0, a1, a2 = h2, h2, h2
	for i := 0; i < n; i++ {
		c := int64(*(*int32)(unsafe.Add(kp, 4*i)))
		q := (*[3]int64)(unsafe.Add(pp, 24*i))
		a0 += q[0] * c
		a1 += q[1] * c
		a2 += q[2] * c
	}
	return
}

func rgbRow(o, in []uint8, outW int, k *kernel) {
	ks := k.ksize
	o = o[:3*outW]
	for xx := 0; xx < outW; xx++ {
		xmin, n := int(k.xmin[xx]), int(k.n[xx])
		kk := k.k[xx*ks : xx*ks+n]
		s := in[xmin*3 : xmin*3+3*n]
		sp, kp := unsafe.Pointer(unsafe.SliceData(s)), unsafe.Pointer(unsafe.SliceData(kk))
		s0, s1, s2 := half, half, half
		for i := 0; i < n; i++ {
			c := *(*int32)(unsafe.Add(kp, 4*i))
			q := (*[3]uint8)(unsafe.Add(sp, 3*i))
			s0 += int32(q[0]) * c
			s1 += int32(q[1]) * c
			s2 += int32(q[2]) * c
		}
		d := o[xx*3 : xx*3+3 : xx*3+3]
		d[0], d[1], d[2] = clip8(s0), clip8(s1), clip8(s2)
	}
}

// parallelRows runs f over [0, n) in chunks on up to GOMAXPROCS goroutines
// when work (multiply-adds) is large enough to pay for them.
func parallelRows(n int, work int64, f func(y0, y1 int)) {
	const minWork = 4 << 20
	p := runtime.GOMAXPROCS(0)
	if p > 1 && work > 2*minWork {
		p = int(min(int64(p), work/minWork, int64(n/2)))
	} else {
		p = 1
	}
	if p <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + p - 1) / p
	chunk += chunk & 1 // even, so row pairs stay together
	for y0 := 0; y0 < n; y0 += chunk {
		y1 := min(y0+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(y0, y1)
		}()
	}
	wg.Wait()
}

// vertical: out row yy = the taps of k over rows (xmin - rowOff ...) of in,
// columns [col0, col0+out.w) (in may be wider than out). Eight samples of a row
// at a time: one 8-byte load gives four packed pairs (samples j and j+4 in one
// int64, as in horizontalRGB), so four multiplies do eight multiply-adds, with
// the accumulators in registers. Rows are split across goroutines when the pass
// is large (vertical first: it reads a whole strip of the source) and
// GOMAXPROCS > 1.
func vertical(out, in plane, col0, rowOff int, k *kernel) {
	rowBytes, stride := out.w*out.ch, in.w*in.ch
	src := in.pix[col0*in.ch:]
	work := int64(out.h) * int64(rowBytes) * int64(k.ksize)
	parallelRows(out.h, work, func(y0, y1 int) {
		if useSIMD && k.simd != nil && y1 > y0 {
			s := k.simd
			sub := &hsimd.Kernel{Xmin: s.Xmin[y0:y1], N: s.N[y0:y1], K: s.K[y0*s.Ksize : y1*s.Ksize], Ksize: s.Ksize,
				Lo: s.Lo[y0*s.Kp : y1*s.Kp], Hi: s.Hi[y0*s.Kp : y1*s.Kp], Kp: s.Kp}
			if hsimd.Vertical(out.pix[y0*rowBytes:y1*rowBytes], rowBytes, src, stride, rowOff, sub) {
				return
			}
		}
		verticalRows(out, src, stride, rowOff, k, y0, y1)
	})
}

// verticalRows is vertical's Go loop over output rows [y0, y1).
func verticalRows(out plane, src []uint8, stride, rowOff int, k *kernel, y0, y1 int) {
	ks := k.ksize
	rowBytes := out.w * out.ch
	for yy := y0; yy < y1; yy++ {
		ymin, n := int(k.xmin[yy])-rowOff, int(k.n[yy])
		o := out.pix[yy*rowBytes : (yy+1)*rowBytes]
		if n == 0 {
			for j := range o {
				o[j] = clip8(half)
			}
			continue
		}
		kk := k.k[yy*ks : yy*ks+n]
		rows := src[ymin*stride : (ymin+n-1)*stride+rowBytes]
		ip, kp := unsafe.Pointer(unsafe.SliceData(rows)), unsafe.Pointer(unsafe.SliceData(kk))
		j := 0
		for ; j+8 <= rowBytes; j += 8 {
			a0, a1, a2, a3 := columnTaps8(unsafe.Add(ip, j), kp, n, stride)
			d := o[j : j+8 : j+8]
			l0, l1, l2, l3 := int32(a0), int32(a1), int32(a2), int32(a3)
			d[0], d[1], d[2], d[3] = clip8(l0), clip8(l1), clip8(l2), clip8(l3)
			d[4] = clip8(int32((a0 - int64(l0)) >> 32))
			d[5] = clip8(int32((a1 - int64(l1)) >> 32))
			d[6] = clip8(int32((a2 - int64(l2)) >> 32))
			d[7] = clip8(int32((a3 - int64(l3)) >> 32))
		}
		for ; j < rowBytes; j++ {
			acc := half
			for i, c := range kk {
				acc += int32(rows[i*stride+j]) * c
			}
			o[j] = clip8(acc)
		}
	}
}

// columnTaps8 sums n rows (stride bytes apart) of eight samples from p, each
// times its coefficient, from the rounding constant: a0 packs samples 0 and 4,
// a1 samples 1 and 5, a2 samples 2 and 6, a3 samples 3 and 7. The caller
// guarantees the n×8 bytes are inside one slice.
//
//go:noinline
func columnTaps8(p, kp unsafe.Pointer, n, stride int) (a0, a1, a2, a3 int64) {
	const h2 = int64(half) | int64(half)<<32
	const m = 0x000000ff000000ff
	a0, a1, a2, a3 = h2, h2, h2, h2
	for i := 0; i < n; i++ {
		c := int64(*(*int32)(unsafe.Add(kp, 4*i)))
		w := binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(p, i*stride)), 8))
		a0 += int64(w&m) * c
		a1 += int64(w>>8&m) * c
		a2 += int64(w>>16&m) * c
		a3 += int64(w>>24&m) * c
	}
	return
}
