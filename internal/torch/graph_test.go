package torch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// 0008: a build without CUDA graphs says so; one with them captures and replays.
func TestPatch0008Graphs(t *testing.T) {
	if !GraphsBuilt() {
		_, err := NewGraph(0)
		require.ErrorIs(t, err, ErrNoGraphs)
		t.Log(err)
		return
	}
	if !CUDAAvailable() { // built in, no device: an error from libtorch, not a crash
		_, err := NewGraph(0)
		require.Error(t, err)
		t.Log(err)
		return
	}
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		x, err := FromFloat32([]float32{1, 2, 3, 4}, []int64{4})
		require.NoError(t, err)
		defer x.Drop()
		in, err := x.ToDevice(gotch.CudaBuilder(0), x.DType(), false, true, false)
		require.NoError(t, err)
		defer in.Drop()
		g, err := NewGraph(0)
		require.NoError(t, err)
		defer g.Close()
		var out *ts.Tensor
		require.NoError(t, g.Capture(func() error {
			out, err = in.Mul(in, false)
			return err
		}))
		defer out.Drop()
		y, err := FromFloat32([]float32{5, 6, 7, 8}, []int64{4})
		require.NoError(t, err)
		defer y.Drop()
		require.NoError(t, CopyInto(in, y))
		require.NoError(t, g.Replay())
		got, _, err := Float32s(out)
		require.NoError(t, err)
		assert.Equal(t, []float32{25, 36, 49, 64}, got)
		return nil
	}))
}
