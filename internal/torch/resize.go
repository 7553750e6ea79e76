package torch

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// UpsampleBicubicAA is torch._C._nn._upsample_bicubic2d_aa(x, [h, w],
// align_corners=False, scale_factors=None): the kernel torch.nn.functional.interpolate
// (mode="bicubic", antialias=True) runs, and that torchvision's resize runs natively on
// a CPU uint8 image (transforms.v2.functional.resize_image). x is [N, C, H, W]. gotch
// binds the op only as the unexported _upsample_bicubic2d_aa, so the libtch call is
// made here, on the calling thread (which must be the one that reads the error: a
// Worker's).
func UpsampleBicubicAA(x *ts.Tensor, h, w int64) (*ts.Tensor, error) {
	if x == nil {
		return nil, fmt.Errorf("torch: upsample_bicubic2d_aa: nil tensor")
	}
	if h <= 0 || w <= 0 {
		return nil, fmt.Errorf("torch: upsample_bicubic2d_aa: output size %dx%d", w, h)
	}
	var out [16]lib.Ctensor // gotch's output slot array; the op fills out[0]
	size := []int64{h, w}
	lib.Atg_UpsampleBicubic2dAa(&out[0], lib.Ctensor(x.Ctensor()), size, len(size), 0, 0, 1, 0, 1)
	if err := ts.TorchErr(); err != nil {
		for _, c := range out {
			if c != nil {
				lib.AtFree(c)
			}
		}
		return nil, fmt.Errorf("torch: upsample_bicubic2d_aa: %w", err)
	}
	return ts.New(out[0]), nil
}

// FromUint8 copies data into a new CPU uint8 tensor of the given shape.
func FromUint8(data []uint8, shape []int64) (*ts.Tensor, error) {
	if n := numel(shape); n != len(data) {
		return nil, fmt.Errorf("torch: %d values do not fill shape %v (%d)", len(data), shape, n)
	}
	return ts.OfDataSize(data, shape, gotch.Uint8)
}

// Uint8s copies a CPU uint8 tensor's values out in row-major order into dst (grown if
// short) and returns them with the shape.
func Uint8s(t *ts.Tensor, dst []uint8) ([]uint8, []int64, error) {
	if t.DType() != gotch.Uint8 {
		return nil, nil, fmt.Errorf("torch: uint8 copy of a %v tensor", t.DType())
	}
	shape, err := t.Size()
	if err != nil {
		return nil, nil, err
	}
	c, err := t.Contiguous(false)
	if err != nil {
		return nil, nil, err
	}
	defer c.Drop()
	n := numel(shape)
	if cap(dst) < n {
		dst = make([]uint8, n)
	}
	dst = dst[:n]
	if n > 0 {
		lib.AtCopyData(lib.Ctensor(c.Ctensor()), unsafe.Pointer(&dst[0]), uint(n), 1)
		if err := ts.TorchErr(); err != nil {
			return nil, nil, err
		}
	}
	return dst, shape, nil
}
