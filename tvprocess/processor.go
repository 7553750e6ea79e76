// Package tvprocess is transformers 5's default CLIPImageProcessor, its torchvision
// backend (image_processing_backends.TorchvisionBackend), bit for bit on the same
// libtorch: where package preprocess reproduces the PIL path (transformers 4, or 5 with
// backend="pil"), this reproduces what transformers 5 does when torchvision is installed.
//
// The steps, in transformers 5's order and dtypes:
//
//	decode as the PIL path (package preprocess, Options.AlphaOnWhite: v5's convert_to_rgb)
//	→ uint8 CHW → resize: torchvision's resize of a CPU uint8 image, libtorch's
//	  _upsample_bicubic2d_aa (bicubic, antialias, align_corners=False) run natively on
//	  uint8 (int16 weights, its own rounding: not Pillow's), skipped at the same size
//	→ centre crop: zero padding split (d//2, (d+1)//2) where the crop is larger, then
//	  offsets int((size - crop) / 2.0)
//	→ rescale + normalize fused: (float32(v) − mean·(1/rescale)) / (std·(1/rescale)), the
//	  fused constants float32 products, the arithmetic in float32.
//
// Only the resize needs libtorch. It runs on one locked OS thread per process (a
// torch.Worker started on first use: libtorch keeps its last error per thread, and one
// thread bounds libtorch's own intra-op threads, see SetThreads), one image at a time,
// while decoding, cropping and normalizing run in the callers' goroutines. A Processor
// is immutable and safe for concurrent use; it holds no resources.
package tvprocess

import (
	"fmt"
	"sync"

	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// Processor applies a preprocess.Config as the torchvision backend does.
type Processor struct {
	geom *preprocess.Processor // the output-size rules, shared with the PIL path
	cfg  preprocess.Config
	lut  [3][256]float32 // uint8 sample → pixel value, per channel
}

// New validates cfg.
func New(cfg preprocess.Config) (*Processor, error) {
	geom, err := preprocess.New(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.DoResize && cfg.Resample != preprocess.ResampleBicubic {
		return nil, fmt.Errorf("tvprocess: resample %d is not supported (only bicubic, %d)", cfg.Resample, preprocess.ResampleBicubic)
	}
	return &Processor{geom: geom, cfg: cfg, lut: lut(cfg)}, nil
}

// The resize thread, shared by every Processor of the process.
var resizer struct {
	once sync.Once
	w    *torch.Worker
	err  error
}

func resizeWorker() (*torch.Worker, error) {
	resizer.once.Do(func() { resizer.w, resizer.err = torch.NewWorker() })
	return resizer.w, resizer.err
}

// SetThreads sets libtorch's intra-op thread count for the resizes (n >= 1; the
// uint8 kernel is parallel over rows). By default libtorch uses one thread per core.
func SetThreads(n int) error {
	w, err := resizeWorker()
	if err != nil {
		return err
	}
	return w.Do(func() error { return torch.SetThreads(n) })
}

// lut is rescale_and_normalize for each uint8 value, per channel, as
// TorchvisionBackend computes it. With both steps on, they are fused
// (_fuse_mean_std_and_rescale_factor): mean and std become float32 tensors multiplied
// by the Python float 1/rescale_factor (cast to float32), and the image, cast to
// float32, goes through normalize: (x − mean) / std. Rescale alone is
// image * rescale_factor on the uint8 image: float32(x) · float32(factor).
func lut(cfg preprocess.Config) (t [3][256]float32) {
	inv := float32(1.0 / cfg.RescaleFactor)
	for c := 0; c < 3; c++ {
		mean, std := float32(cfg.ImageMean[c]), float32(cfg.ImageStd[c])
		if cfg.DoRescale && cfg.DoNormalize {
			mean, std = float32(mean*inv), float32(std*inv)
		}
		for v := 0; v < 256; v++ {
			x := float32(v)
			switch {
			case cfg.DoNormalize:
				x = float32(x-mean) / std
			case cfg.DoRescale:
				x = float32(x * float32(cfg.RescaleFactor))
			}
			t[c][v] = x
		}
	}
	return t
}

// Config returns the processor's configuration.
func (p *Processor) Config() preprocess.Config { return p.cfg }

// ResizedSize is the (w, h) the resize produces for a w×h input (the same rule as the
// PIL path: get_resize_output_image_size).
func (p *Processor) ResizedSize(w, h int) (int, int) { return p.geom.ResizedSize(w, h) }

// OutputSize is the (w, h) of the pixel values for a w×h input.
func (p *Processor) OutputSize(w, h int) (int, int) { return p.geom.OutputSize(w, h) }

// cropOffsets maps the output of center_crop back to the resized image: output pixel
// (x, y) is resized pixel (x + offX, y + offY), or zero padding outside it.
// TorchvisionBackend.center_crop pads by ((crop−size)//2, (crop−size+1)//2) on an axis
// where the crop is larger, then crops at int((size' − crop) / 2.0).
func cropOffsets(rw, rh, cw, ch int) (offX, offY int) {
	w, h, padL, padT := rw, rh, 0, 0
	if cw > rw {
		padL, w = (cw-rw)/2, cw
	}
	if ch > rh {
		padT, h = (ch-rh)/2, ch
	}
	return (w-cw)/2 - padL, (h-ch)/2 - padT
}

// Crop runs resize and centre crop and returns the uint8 image that rescale and
// normalize then read, HWC (as preprocess.Processor.Crop; for comparisons).
func (p *Processor) Crop(img preprocess.RGB) (preprocess.RGB, error) {
	chw, ow, oh, err := p.cropCHW(img)
	if err != nil {
		return preprocess.RGB{}, err
	}
	out := preprocess.NewRGB(ow, oh)
	n := ow * oh
	for i := 0; i < n; i++ {
		out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = chw[i], chw[n+i], chw[2*n+i]
	}
	return out, nil
}

// Preprocess returns the pixel_values of one image, float32 [3, H, W], (W, H) =
// OutputSize.
func (p *Processor) Preprocess(img preprocess.RGB) ([]float32, error) {
	chw, ow, oh, err := p.cropCHW(img)
	if err != nil {
		return nil, err
	}
	return p.normalize(chw, ow*oh, nil), nil
}

// normalize maps a uint8 CHW crop of n pixels per channel to float32 into dst.
func (p *Processor) normalize(chw []uint8, n int, dst []float32) []float32 {
	if cap(dst) < 3*n {
		dst = make([]float32, 3*n)
	}
	dst = dst[:3*n]
	for c := 0; c < 3; c++ {
		t := &p.lut[c]
		src, out := chw[c*n:(c+1)*n], dst[c*n:(c+1)*n]
		for i, v := range src {
			out[i] = t[v]
		}
	}
	return dst
}

// cropCHW is resize + centre crop as uint8 CHW [3, oh, ow].
func (p *Processor) cropCHW(img preprocess.RGB) ([]uint8, int, int, error) {
	if err := img.Valid(); err != nil {
		return nil, 0, 0, err
	}
	rw, rh := img.W, img.H
	if p.cfg.DoResize {
		rw, rh = p.ResizedSize(img.W, img.H)
		if rw <= 0 || rh <= 0 {
			return nil, 0, 0, fmt.Errorf("tvprocess: %dx%d image resizes to %dx%d", img.W, img.H, rw, rh)
		}
	}
	ow, oh := rw, rh
	offX, offY := 0, 0
	if p.cfg.DoCenterCrop {
		ow, oh = p.cfg.CropWidth, p.cfg.CropHeight
		offX, offY = cropOffsets(rw, rh, ow, oh)
	}
	if int64(ow)*int64(oh) > 1<<28 {
		return nil, 0, 0, fmt.Errorf("tvprocess: output %dx%d too large", ow, oh)
	}
	// The window of the resized image that lands in the output.
	x0, x1 := max(offX, 0), min(offX+ow, rw)
	y0, y1 := max(offY, 0), min(offY+oh, rh)
	out := make([]uint8, 3*ow*oh) // zero: torchvision's pad fill
	if x1 <= x0 || y1 <= y0 {
		return out, ow, oh, nil
	}
	var win []uint8                 // the window, CHW [3, y1-y0, x1-x0]
	if rw == img.W && rh == img.H { // resize_image returns the image unchanged
		win = windowCHW(img, x0, y0, x1, y1)
	} else {
		var err error
		if win, err = p.resizeWindow(img, rw, rh, x0, y0, x1, y1); err != nil {
			return nil, 0, 0, err
		}
	}
	ww, wh := x1-x0, y1-y0
	for c := 0; c < 3; c++ {
		for y := 0; y < wh; y++ {
			d := c*ow*oh + (y+y0-offY)*ow + (x0 - offX)
			copy(out[d:d+ww], win[(c*wh+y)*ww:(c*wh+y+1)*ww])
		}
	}
	return out, ow, oh, nil
}

// windowCHW copies [x0, x1) × [y0, y1) of an HWC image as CHW.
func windowCHW(img preprocess.RGB, x0, y0, x1, y1 int) []uint8 {
	ww, wh := x1-x0, y1-y0
	out := make([]uint8, 3*ww*wh)
	for y := 0; y < wh; y++ {
		row := img.Pix[((y+y0)*img.W+x0)*3:]
		for x := 0; x < ww; x++ {
			for c := 0; c < 3; c++ {
				out[(c*wh+y)*ww+x] = row[3*x+c]
			}
		}
	}
	return out
}

// resizeWindow resizes img to rw×rh with libtorch's uint8 antialiased bicubic, as
// torchvision does for the [1, 3, H, W] contiguous tensor TorchvisionBackend builds
// (process_image: from_numpy(HWC).permute(2, 0, 1).contiguous(), then stacked), and
// returns the window [x0, x1) × [y0, y1) of the result, CHW.
func (p *Processor) resizeWindow(img preprocess.RGB, rw, rh, x0, y0, x1, y1 int) ([]uint8, error) {
	w, err := resizeWorker()
	if err != nil {
		return nil, err
	}
	var out []uint8
	err = w.Do(func() error {
		var s torch.Scope
		defer s.Free()
		in, err := torch.ImageCHW(img.Pix, img.H, img.W)
		if err != nil {
			return err
		}
		s.Add(in)
		r, err := torch.UpsampleBicubicAA(in, int64(rh), int64(rw))
		if err != nil {
			return err
		}
		s.Add(r)
		win, err := narrow2(&s, r, x0, y0, x1, y1)
		if err != nil {
			return err
		}
		out, _, err = torch.Uint8s(win, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tvprocess: resize %dx%d to %dx%d: %w", img.W, img.H, rw, rh, err)
	}
	return out, nil
}

// narrow2 is t[..., y0:y1, x0:x1] (a view, in s).
func narrow2(s *torch.Scope, t *ts.Tensor, x0, y0, x1, y1 int) (*ts.Tensor, error) {
	v, err := t.Narrow(2, int64(y0), int64(y1-y0), false)
	if err != nil {
		return nil, err
	}
	s.Add(v)
	v2, err := v.Narrow(3, int64(x0), int64(x1-x0), false)
	if err != nil {
		return nil, err
	}
	return s.Add(v2), nil
}

// PreprocessData decodes an image file held in memory (preprocess.Decode with opts)
// and preprocesses it.
func (p *Processor) PreprocessData(data []byte, opts preprocess.Options) ([]float32, error) {
	img, err := preprocess.Decode(data, opts)
	if err != nil {
		return nil, err
	}
	return p.Preprocess(img)
}

// PreprocessFiles loads (with opts) and preprocesses files in parallel, returning
// float32 [N, 3, H, W]; the first error (an *preprocess.ImageError naming the file)
// aborts the batch.
func (p *Processor) PreprocessFiles(paths []string, opts preprocess.Options) ([]float32, error) {
	return p.batch(len(paths), func(i int) ([]float32, error) {
		img, err := preprocess.Load(paths[i], opts)
		if err != nil {
			return nil, err
		}
		pv, err := p.Preprocess(img)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", paths[i], err)
		}
		return pv, nil
	})
}

// PreprocessBatch preprocesses images in parallel (decode-side work in GOMAXPROCS
// goroutines, the resizes one at a time on the resize thread) and returns
// float32 [N, 3, H, W]. All outputs must have the same size (always true with
// do_center_crop).
func (p *Processor) PreprocessBatch(imgs []preprocess.RGB) ([]float32, error) {
	return p.batch(len(imgs), func(i int) ([]float32, error) { return p.Preprocess(imgs[i]) })
}

// batch is preprocess.Batch with this package's name on its errors.
func (p *Processor) batch(n int, one func(int) ([]float32, error)) ([]float32, error) {
	out, err := preprocess.Batch(n, one)
	if err != nil {
		return nil, fmt.Errorf("tvprocess: %w", err)
	}
	return out, nil
}
