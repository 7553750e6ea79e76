package torch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Upload copies: the tensor keeps its values after the Go slice changes, in the dtype
// asked for, for each element type, and an empty shape gives an empty tensor.
func TestUpload(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		data := []float32{1.5, -2, 3.25, 4, 5, 6}
		x, err := Upload(data, []int64{2, 3}, gotch.CPU, gotch.Float)
		require.NoError(t, err)
		defer x.Drop()
		data[0] = 99 // the tensor is a copy, not a view of the slice
		got, shape, err := Float32s(x)
		require.NoError(t, err)
		assert.Equal(t, []int64{2, 3}, shape)
		assert.Equal(t, []float32{1.5, -2, 3.25, 4, 5, 6}, got)

		b, err := Upload([]float32{1.5, 1.0 / 3}, []int64{2}, gotch.CPU, gotch.BFloat16)
		require.NoError(t, err)
		defer b.Drop()
		assert.Equal(t, gotch.BFloat16, b.DType())
		got, _, err = Float32s(b)
		require.NoError(t, err)
		assert.Equal(t, []float32{1.5, 0.333984375}, got, "rounded to bfloat16 as torch rounds")

		ids, err := Upload([]int64{49406, 7, 49407}, []int64{1, 3}, gotch.CPU, gotch.Int64)
		require.NoError(t, err)
		defer ids.Drop()
		assert.Equal(t, []int64{49406, 7, 49407}, ids.Int64Values(false))

		m, err := Upload([]bool{true, false, true}, []int64{3}, gotch.CPU, gotch.Bool)
		require.NoError(t, err)
		defer m.Drop()
		assert.Equal(t, gotch.Bool, m.DType())

		e, err := Upload([]float32{}, []int64{0, 4}, gotch.CPU, gotch.Float)
		require.NoError(t, err)
		defer e.Drop()
		size, err := e.Size()
		require.NoError(t, err)
		assert.Equal(t, []int64{0, 4}, size)

		_, err = Upload([]float32{1, 2}, []int64{3}, gotch.CPU, gotch.Float)
		assert.Error(t, err)
		return nil
	}))
}

// CopyFrom writes Go values into an existing tensor, converting to its dtype as
// Upload does, and refuses a slice of the wrong length.
func TestCopyFrom(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		src := []float32{0.1, -2.5, 3.25e-8, 65519, 1e30, -0.0}
		for _, dt := range []gotch.DType{gotch.Float, gotch.BFloat16, gotch.Half} {
			want, err := Upload(src, []int64{2, 3}, gotch.CPU, dt)
			require.NoError(t, err)
			dst, err := ts.Zeros([]int64{2, 3}, dt, gotch.CPU)
			require.NoError(t, err)
			require.NoError(t, CopyFrom(dst, src))
			eq, err := dst.Equal(want, false)
			require.NoError(t, err)
			assert.True(t, eq, "%v", dt)
			assert.ErrorContains(t, CopyFrom(dst, src[:5]), "do not fill")
			_ = want.Drop()
			_ = dst.Drop()
		}
		ids, err := ts.Zeros([]int64{3}, gotch.Int64, gotch.CPU)
		require.NoError(t, err)
		defer ids.Drop()
		require.NoError(t, CopyFrom(ids, []int64{49406, 7, 49407}))
		got := make([]int64, 3)
		require.NoError(t, ids.CopyData(got, 3))
		assert.Equal(t, []int64{49406, 7, 49407}, got)
		return nil
	}))
}
