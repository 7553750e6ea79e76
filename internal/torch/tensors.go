package torch

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// FromFloat32 copies data into a new CPU float32 tensor of the given shape.
func FromFloat32(data []float32, shape []int64) (*ts.Tensor, error) {
	if n := numel(shape); n != len(data) {
		return nil, fmt.Errorf("torch: %d values do not fill shape %v (%d)", len(data), shape, n)
	}
	var b []byte
	if len(data) > 0 {
		b = unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))
	}
	return ts.OfDataSize(b, shape, gotch.Float)
}

// FromInt64 copies data into a new CPU int64 tensor of the given shape.
func FromInt64(data []int64, shape []int64) (*ts.Tensor, error) {
	if n := numel(shape); n != len(data) {
		return nil, fmt.Errorf("torch: %d values do not fill shape %v (%d)", len(data), shape, n)
	}
	var b []byte
	if len(data) > 0 {
		b = unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 8*len(data))
	}
	return ts.OfDataSize(b, shape, gotch.Int64)
}

// FromBool copies data into a new CPU bool tensor of the given shape.
func FromBool(data []bool, shape []int64) (*ts.Tensor, error) {
	if n := numel(shape); n != len(data) {
		return nil, fmt.Errorf("torch: %d values do not fill shape %v (%d)", len(data), shape, n)
	}
	var b []byte
	if len(data) > 0 { // a Go bool is one byte, 0 or 1, as a torch.bool element
		b = unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data))
	}
	return ts.OfDataSize(b, shape, gotch.Bool)
}

// Float32s copies t's values out as float32 in row-major order, converting the dtype
// and moving to the CPU as needed, and returns its shape. t itself is left alone.
func Float32s(t *ts.Tensor) ([]float32, []int64, error) {
	shape, err := t.Size()
	if err != nil {
		return nil, nil, err
	}
	var s Scope
	defer s.Free()
	c, err := t.ToDevice(gotch.CPU, gotch.Float, false, false, false)
	if err != nil {
		return nil, nil, err
	}
	s.Add(c)
	c, err = c.Contiguous(false)
	if err != nil {
		return nil, nil, err
	}
	s.Add(c)
	out := make([]float32, numel(shape))
	if err := c.CopyData(out, uint(len(out))); err != nil {
		return nil, nil, err
	}
	return out, shape, nil
}

func numel(shape []int64) int {
	n := 1
	for _, d := range shape {
		n *= int(d)
	}
	return n
}
