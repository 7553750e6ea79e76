package torch

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Element is a Go element type Upload takes, with its libtorch dtype.
type Element interface{ float32 | int64 | bool }

func dtypeOf[T Element]() gotch.DType {
	var z T
	switch any(z).(type) {
	case float32:
		return gotch.Float
	case int64:
		return gotch.Int64
	}
	return gotch.Bool // a Go bool is one byte, 0 or 1, as a torch.bool element
}

// Upload copies data into a new tensor of the given shape on dev, in dtype dt, with one
// copy: libtorch reads the Go slice in place (pinned for the call) and writes the result,
// as torch.from_numpy(a).to(device, dtype) does in Python. FromFloat32 and its kin
// (gotch's OfDataSize) zero-fill a tensor first and copy into it, a second pass over the
// data, and a CUDA upload then copied again from that tensor.
func Upload[T Element](data []T, shape []int64, dev gotch.Device, dt gotch.DType) (*ts.Tensor, error) {
	if n := numel(shape); n != len(data) {
		return nil, fmt.Errorf("torch: %d values do not fill shape %v (%d)", len(data), shape, n)
	}
	if len(data) == 0 { // from_blob needs memory; an empty tensor has none to read
		t, err := ts.Zeros(shape, dt, dev)
		if err != nil {
			return nil, fmt.Errorf("torch: upload: %w", err)
		}
		return t, nil
	}
	var pin runtime.Pinner
	pin.Pin(&data[0]) // libtorch keeps the pointer in the view until it is dropped below
	defer pin.Unpin()
	view, err := FromBlob(unsafe.Pointer(&data[0]), shape, nil, dtypeOf[T]())
	if err != nil {
		return nil, err
	}
	defer view.Drop()
	t, err := view.ToDevice(dev, dt, false, true, false) // copy=true: never a view of Go memory
	if err != nil {
		return nil, fmt.Errorf("torch: upload to %v: %w", dev, err)
	}
	return t, nil
}

// CopyFrom copies data into dst in place (dst.copy_(data) with dst's shape, on dst's
// device, in dst's dtype) with one copy_, reading the slice in place: what Upload does,
// into a tensor that already exists (a CUDA graph's static input).
func CopyFrom[T Element](dst *ts.Tensor, data []T) error {
	shape, err := dst.Size()
	if err != nil {
		return fmt.Errorf("torch: copy into: %w", err)
	}
	if n := numel(shape); n != len(data) {
		return fmt.Errorf("torch: %d values do not fill shape %v (%d)", len(data), shape, n)
	}
	if len(data) == 0 {
		return nil
	}
	var pin runtime.Pinner
	pin.Pin(&data[0])
	defer pin.Unpin()
	view, err := FromBlob(unsafe.Pointer(&data[0]), shape, nil, dtypeOf[T]())
	if err != nil {
		return err
	}
	defer view.Drop()
	return CopyInto(dst, view)
}
