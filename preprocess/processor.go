package preprocess

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

// Processor applies a Config to RGB images. It is immutable after New and safe
// for concurrent use; it caches resampling coefficients per size pair.
type Processor struct {
	cfg     Config
	mean32  [3]float32
	std32   [3]float32
	kernels kernelCache
	bufs    bufPool
}

// New validates cfg and returns a Processor.
func New(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	p := &Processor{cfg: cfg}
	for i := 0; i < 3; i++ {
		p.mean32[i] = float32(cfg.ImageMean[i])
		p.std32[i] = float32(cfg.ImageStd[i])
	}
	return p, nil
}

// Config returns the processor's configuration.
func (p *Processor) Config() Config { return p.cfg }

// ResizedSize is the size (w, h) the resize step produces for a w×h input
// (transformers' get_resize_output_image_size, default_to_square=False).
func (p *Processor) ResizedSize(w, h int) (int, int) {
	c := p.cfg
	if !c.DoResize {
		return w, h
	}
	if c.ShortestEdge <= 0 {
		return c.Width, c.Height
	}
	short, long := w, h
	if w > h {
		short, long = h, w
	}
	s := c.ShortestEdge
	// Python: int(s * long / short): exact int product, correctly rounded
	// true division, truncation.
	newLong := int(float64(s*long) / float64(short))
	if w <= h {
		return s, newLong
	}
	return newLong, s
}

// OutputSize is the (w, h) of the processed image for a w×h input.
func (p *Processor) OutputSize(w, h int) (int, int) {
	if p.cfg.DoCenterCrop {
		return p.cfg.CropWidth, p.cfg.CropHeight
	}
	return p.ResizedSize(w, h)
}

// maxOutputPixels bounds the uint8 image Crop may allocate (only reachable
// with do_center_crop false and extreme aspect ratios).
const maxOutputPixels = 1 << 28

// geometry is where Crop's output comes from for a w×h input: the resize size,
// the output size, the centre-crop offsets, and the window [x0, x1) × [y0, y1) of
// the resized image that lies inside the output.
type geometry struct {
	rw, rh, ow, oh, offX, offY, x0, x1, y0, y1 int
}

func (p *Processor) geometry(w, h int) (geometry, error) {
	var g geometry
	g.rw, g.rh = p.ResizedSize(w, h)
	if g.rw <= 0 || g.rh <= 0 {
		return g, fmt.Errorf("preprocess: %dx%d image resizes to %dx%d", w, h, g.rw, g.rh)
	}
	g.ow, g.oh = p.OutputSize(w, h)
	if int64(g.ow)*int64(g.oh) > maxOutputPixels {
		return g, fmt.Errorf("preprocess: output %dx%d too large", g.ow, g.oh)
	}
	// HF center_crop: offset floor((orig-crop)/2) per axis; where the crop is
	// larger than the image it zero-pads (the window starts at that offset).
	g.offX, g.offY = floorDiv2(g.rw-g.ow), floorDiv2(g.rh-g.oh)
	g.x0, g.x1 = max(g.offX, 0), min(g.offX+g.ow, g.rw)
	g.y0, g.y1 = max(g.offY, 0), min(g.offY+g.oh, g.rh)
	return g, nil
}

// sourceColumns is the range of input columns [c0, c1) that Crop reads for a w×h
// input: the horizontal taps of the window (or the window itself without
// resampling). ok is false when there is no such range.
func (p *Processor) sourceColumns(w, h int) (c0, c1 int, ok bool) {
	g, err := p.geometry(w, h)
	if err != nil || g.x1 <= g.x0 || g.y1 <= g.y0 {
		return 0, 0, false
	}
	if !p.cfg.DoResize || g.rw == w {
		return g.x0, g.x1, true
	}
	// Both pass orders read these columns (resizeWindow).
	k := p.kernels.get(w, g.rw, g.x0, g.x1-g.x0)
	return k.c0, k.c1, true
}

// Crop runs resize and centre crop and returns the uint8 image that rescale and
// normalize then read (HF's array just before rescale, HWC). Only the cropped
// window of the resize is computed; it is identical to resizing everything.
func (p *Processor) Crop(img RGB) (RGB, error) {
	if err := img.Valid(); err != nil {
		return RGB{}, err
	}
	g, err := p.geometry(img.W, img.H)
	if err != nil {
		return RGB{}, err
	}
	ow, oh, offX, offY, x0, y0 := g.ow, g.oh, g.offX, g.offY, g.x0, g.y0
	src := plane{w: img.W, h: img.H, ch: 3, pix: img.Pix}
	var win plane
	if p.cfg.DoResize {
		win = resizeWindow(src, g.rw, g.rh, x0, y0, g.x1-x0, g.y1-y0, &p.kernels)
	} else {
		win = cropPlane(src, x0, y0, g.x1-x0, g.y1-y0)
	}
	if x0-offX == 0 && y0-offY == 0 && win.w == ow && win.h == oh {
		return RGB{W: ow, H: oh, Pix: win.pix}, nil
	}
	out := NewRGB(ow, oh)
	for y := 0; y < win.h; y++ {
		d := ((y+y0-offY)*ow + (x0 - offX)) * 3
		copy(out.Pix[d:d+win.w*3], win.pix[y*win.w*3:(y+1)*win.w*3])
	}
	return out, nil
}

func floorDiv2(v int) int {
	if v >= 0 {
		return v / 2
	}
	return -((-v + 1) / 2)
}

// Normalize converts a cropped uint8 image to channels-first float32:
// rescale x = float32(float64(v) * rescale_factor), then
// (x - float32(mean)) / float32(std) in float32, as HF's rescale and normalize.
func (p *Processor) Normalize(crop RGB, dst []float32) []float32 {
	n := crop.W * crop.H
	if cap(dst) < 3*n {
		dst = make([]float32, 3*n)
	}
	dst = dst[:3*n]
	var lut [3][256]float32
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			lut[c][v] = p.value(c, uint8(v))
		}
	}
	r, g, b := dst[:n], dst[n:2*n], dst[2*n:]
	pix := crop.Pix
	for i := 0; i < n; i++ {
		r[i] = lut[0][pix[3*i]]
		g[i] = lut[1][pix[3*i+1]]
		b[i] = lut[2][pix[3*i+2]]
	}
	return dst
}

// value is the float32 output for one uint8 sample of channel c.
func (p *Processor) value(c int, v uint8) float32 {
	x := float32(v)
	if p.cfg.DoRescale {
		x = float32(float64(v) * p.cfg.RescaleFactor)
	}
	if p.cfg.DoNormalize {
		d := x - p.mean32[c]
		x = d / p.std32[c]
	}
	return x
}

// Preprocess returns the pixel_values of one image, float32 [3, H, W]
// (channels first), where (W, H) = OutputSize.
func (p *Processor) Preprocess(img RGB) ([]float32, error) {
	crop, err := p.Crop(img)
	if err != nil {
		return nil, err
	}
	return p.Normalize(crop, nil), nil
}

// PreprocessData decodes an image file held in memory (as Decode) and
// preprocesses it. The result equals Decode followed by Preprocess; the large
// decode buffers are recycled between calls.
func (p *Processor) PreprocessData(data []byte, opts Options) ([]float32, error) {
	if sniff(data) != "jpeg" {
		img, err := Decode(data, opts)
		if err != nil {
			return nil, err
		}
		return p.Preprocess(img)
	}
	// Only the columns the resize reads are decoded (the rest of the pooled buffer
	// is stale): the crop below reads nothing else.
	img, err := decodeWith(data, opts, &p.bufs, p.sourceColumns)
	if err != nil {
		return nil, err
	}
	pv, err := p.Preprocess(img)
	p.bufs.put(img.Pix)
	return pv, err
}

// PreprocessBatch preprocesses images in parallel (GOMAXPROCS workers) and
// returns float32 [N, 3, H, W]. All outputs must have the same size (always
// true with do_center_crop).
func (p *Processor) PreprocessBatch(imgs []RGB) ([]float32, error) {
	return p.batch(len(imgs), func(i int) (RGB, error) { return imgs[i], nil })
}

// PreprocessFiles loads (with opts) and preprocesses files in parallel,
// returning float32 [N, 3, H, W]. The first error (an *ImageError naming the
// file) aborts the batch.
func (p *Processor) PreprocessFiles(paths []string, opts Options) ([]float32, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	return p.batchPV(len(paths), func(i int) ([]float32, error) {
		data, err := os.ReadFile(paths[i])
		if err != nil {
			return nil, &ImageError{File: paths[i], Kind: KindUnreadable, Reason: err.Error(), Err: err}
		}
		pv, err := p.PreprocessData(data, opts)
		return pv, withFile(err, paths[i])
	})
}

func (p *Processor) batch(n int, get func(int) (RGB, error)) ([]float32, error) {
	if n == 0 {
		return nil, nil
	}
	return p.batchPV(n, func(i int) ([]float32, error) {
		img, err := get(i)
		if err != nil {
			return nil, err
		}
		return p.Preprocess(img)
	})
}

// batchPV is Batch with this package's name on its errors.
func (p *Processor) batchPV(n int, one func(int) ([]float32, error)) ([]float32, error) {
	out, err := Batch(n, one)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w", err)
	}
	return out, nil
}

// Batch runs one(i) for i in [0, n) on GOMAXPROCS goroutines and concatenates the
// results, which must all have the same length, in order (pixel_values [N, 3, H, W]).
// The first failing item's error is returned, naming its index. For image processors
// that build on this package (tvprocess).
func Batch(n int, one func(int) ([]float32, error)) ([]float32, error) {
	if n == 0 {
		return nil, nil
	}
	outs := make([][]float32, n)
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	var next sync.Mutex
	idx := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				i := idx
				idx++
				next.Unlock()
				if i >= n {
					return
				}
				outs[i], errs[i] = one(i)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("batch item %d: %w", i, err)
		}
	}
	size := len(outs[0])
	flat := make([]float32, 0, size*n)
	for i, o := range outs {
		if len(o) != size {
			return nil, fmt.Errorf("batch item %d has %d values, item 0 has %d", i, len(o), size)
		}
		flat = append(flat, o...)
	}
	return flat, nil
}
