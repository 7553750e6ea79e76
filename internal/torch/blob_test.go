package torch

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
)

func TestFromBlobViewsMemoryWithoutCopy(t *testing.T) {
	mem, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	defer syscall.Munmap(mem)
	f := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), 6)
	copy(f, []float32{1, 2, 3, 4, 5, 6})

	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		x, err := FromBlob(unsafe.Pointer(&mem[0]), []int64{2, 3}, nil, gotch.Float)
		require.NoError(t, err)
		defer x.Drop()
		f[0] = 10 // a view: the tensor sees the change
		got, shape, err := Float32s(x)
		require.NoError(t, err)
		assert.Equal(t, []int64{2, 3}, shape)
		assert.Equal(t, []float32{10, 2, 3, 4, 5, 6}, got)

		tr, err := FromBlob(unsafe.Pointer(&mem[0]), []int64{3, 2}, []int64{1, 3}, gotch.Float)
		require.NoError(t, err)
		defer tr.Drop()
		got, _, err = Float32s(tr)
		require.NoError(t, err)
		assert.Equal(t, []float32{10, 4, 2, 5, 3, 6}, got)

		s, err := FromBlob(unsafe.Pointer(&mem[0]), []int64{}, nil, gotch.Float)
		require.NoError(t, err)
		defer s.Drop()
		got, shape, err = Float32s(s)
		require.NoError(t, err)
		assert.Equal(t, []int64{}, shape)
		assert.Equal(t, []float32{10}, got)

		_, err = FromBlob(unsafe.Pointer(&mem[0]), []int64{2}, []int64{1, 1}, gotch.Float)
		assert.Error(t, err)
		_, err = FromBlob(nil, []int64{2}, nil, gotch.Float)
		assert.Error(t, err)
		return nil
	}))
	assert.Equal(t, []int64{6, 3, 1}, ContiguousStrides([]int64{4, 2, 3}))
}
