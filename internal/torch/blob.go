package torch

// #include <stddef.h>
// #include <stdlib.h>
// #include <stdint.h>
// typedef void *zs_tensor;
// // Defined in gotch's libtch (torch_api.cpp); gotch v0.9.1 has no Go binding for it.
// zs_tensor at_tensor_of_blob(void *data, int64_t *dims, size_t ndims, int64_t *strides,
//                             size_t nstrides, int type, int device);
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// FromBlob makes a CPU tensor that views memory it does not own, without copying
// (torch::from_blob). strides nil means C-contiguous. data must not be Go-allocated
// memory (cgo forbids C keeping Go pointers): use C or mmap'ed memory, which must stay
// valid and unchanged until the tensor and every view of it are dropped. Drop the
// result, or copy it (ToDevice with copy=true) and drop the view.
func FromBlob(data unsafe.Pointer, shape, strides []int64, dtype gotch.DType) (*ts.Tensor, error) {
	if strides == nil {
		strides = ContiguousStrides(shape)
	}
	if len(strides) != len(shape) {
		return nil, fmt.Errorf("torch: from blob: %d strides for %d dims", len(strides), len(shape))
	}
	for i, d := range shape {
		if d < 0 || strides[i] < 0 {
			return nil, fmt.Errorf("torch: from blob: bad shape %v or strides %v", shape, strides)
		}
	}
	if data == nil {
		return nil, fmt.Errorf("torch: from blob: nil data")
	}
	// C copies of shape and strides: Go memory must not be retained by C, and these
	// live only for the call.
	n := len(shape)
	buf := (*[1 << 20]C.int64_t)(C.malloc(C.size_t(8 * (2*n + 1))))
	defer C.free(unsafe.Pointer(buf))
	for i := 0; i < n; i++ {
		buf[i] = C.int64_t(shape[i])
		buf[n+i] = C.int64_t(strides[i])
	}
	ct := C.at_tensor_of_blob(data, &buf[0], C.size_t(n), &buf[n], C.size_t(n),
		C.int(dtype.CKind()), C.int(-1))
	if err := ts.TorchErr(); err != nil {
		return nil, fmt.Errorf("torch: from blob: %w", err)
	}
	if ct == nil {
		return nil, fmt.Errorf("torch: from blob: no tensor")
	}
	return ts.New(lib.Ctensor(unsafe.Pointer(ct))), nil
}

// ContiguousStrides returns the C-order strides (in elements) of shape.
func ContiguousStrides(shape []int64) []int64 {
	st := make([]int64, len(shape))
	acc := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = acc
		if shape[i] > 1 {
			acc *= shape[i]
		}
	}
	return st
}
