package torch

// #include <stdlib.h>
// #include <string.h>
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// ImageCHW makes the contiguous uint8 [1, 3, h, w] tensor of an HWC RGB image as
// torchvision's TorchvisionBackend builds it: torch.from_numpy(HWC).permute(2, 0, 1)
// .contiguous(). The permuted view is made over a C copy of pix (from_blob with the
// permuted strides) and ATen's own contiguous copy turns it into CHW, so the Go side
// does one memcpy and no per-pixel loop. Call it on the thread that reads the error (a
// Worker's).
func ImageCHW(pix []uint8, h, w int) (*ts.Tensor, error) {
	n := 3 * h * w
	if h <= 0 || w <= 0 || len(pix) != n {
		return nil, fmt.Errorf("torch: image %dx%d with %d values", w, h, len(pix))
	}
	if h*w == 1 { // the permuted view would count as contiguous and share buf: copy
		return FromUint8(pix, []int64{1, 3, 1, 1})
	}
	buf := C.malloc(C.size_t(n))
	if buf == nil {
		return nil, fmt.Errorf("torch: image %dx%d: out of memory", w, h)
	}
	defer C.free(buf)
	C.memcpy(buf, unsafe.Pointer(&pix[0]), C.size_t(n))
	hw, h3 := int64(h)*int64(w), int64(w)*3
	view, err := FromBlob(buf, []int64{1, 3, int64(h), int64(w)}, []int64{3 * hw, 1, h3, 3}, gotch.Uint8)
	if err != nil {
		return nil, err
	}
	chw, err := view.Contiguous(false)
	if derr := view.Drop(); err == nil && derr != nil {
		chw.Drop()
		return nil, derr
	}
	return chw, err
}
