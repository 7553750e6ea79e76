package torch

// Tests for the patches in patches/gotch/ (applied by scripts/gen-gotch.sh). Each one
// fails on an unpatched gotch v0.9.1.

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/cheap"
)

// 0001: every op used to leak its C.malloc(0) output slot (32 B of C heap per call on
// glibc). 20,000 ops would leak >= 640 KB; patched, the C heap does not grow.
func TestPatch0001OpsDoNotLeakOutputSlots(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	const n = 20000
	var before, after int64
	require.NoError(t, w.Do(func() error {
		x, err := FromFloat32([]float32{1, 2, 3}, []int64{3})
		if err != nil {
			return err
		}
		defer x.Drop()
		// One scalar for all calls: gotch frees a Scalar's C memory only in its
		// finalizer, so fresh scalars would pile up until a GC (rare since patch 0005).
		one := ts.FloatScalar(1)
		loop := func(k int) error {
			for i := 0; i < k; i++ {
				y, err := x.AddScalar(one, false)
				if err != nil {
					return err
				}
				if err := y.Drop(); err != nil {
					return err
				}
			}
			return nil
		}
		if err := loop(2000); err != nil { // warm up allocator caches
			return err
		}
		before = cheap.InUse()
		if err := loop(n); err != nil {
			return err
		}
		after = cheap.InUse()
		return nil
	}))
	grew := after - before
	t.Logf("C heap in use: %d -> %d bytes (%+d over %d ops)", before, after, grew, n)
	assert.Less(t, grew, int64(n*8), "C heap grew by %d bytes over %d ops: output slots leak", grew, n)
}

// 0002: NoGrad used to force grad mode on afterwards, and NoGradGuard.Drop likewise.
func TestPatch0002NoGradRestoresState(t *testing.T) {
	w, err := NewWorker() // grad is off on worker threads
	require.NoError(t, err)
	defer w.Close()
	state := func() bool {
		prev, err := ts.GradSetEnabled(false)
		require.NoError(t, err)
		_, err = ts.GradSetEnabled(prev)
		require.NoError(t, err)
		return prev
	}
	require.NoError(t, w.Do(func() error {
		ts.NoGrad(func() {})
		assert.False(t, state(), "NoGrad turned grad on in an inference thread")

		ts.MustGradSetEnabled(true)
		ts.NoGrad(func() { assert.False(t, state()) })
		assert.True(t, state(), "NoGrad did not restore grad on")

		ts.MustGradSetEnabled(false)
		g := ts.NewNoGradGuard()
		g.Drop()
		assert.False(t, state(), "NoGradGuard.Drop turned grad on")
		return nil
	}))
}

// 0003: gotch v0.9.1 has no Go binding for at_set_num_threads; TestVersionAndThreads
// exercises it through SetThreads/Threads.

// 0004: gotch read 4-byte C int results as 8-byte Go ints (garbage in the high half):
// the previous grad mode came back wrong (so NoGrad's restore, above, failed too).
func TestPatch0004CIntResults(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		for _, want := range []bool{true, false, true, false} {
			if _, err := ts.GradSetEnabled(want); err != nil {
				return err
			}
			got, err := ts.GradSetEnabled(want)
			if err != nil {
				return err
			}
			assert.Equal(t, want, got, "GradSetEnabled's previous state")
		}
		x, err := FromFloat32([]float32{1}, []int64{1})
		if err != nil {
			return err
		}
		defer x.Drop()
		dev, err := x.Device() // gotch truncates to int32 here, which hid the bug
		assert.Equal(t, gotch.CPU.Name, dev.Name)
		return err
	}))
}

// 0005: gotch allocated a 100 kB GC "ballast" with every tensor handle (to make the GC,
// hence finalizers, run often); a ViT-L/14 forward makes ~500 handles, so ~50 MB of
// zeroed Go heap and GC cycles per image. Patched, an op's result costs a few hundred
// bytes of Go heap.
func TestPatch0005NoGCBallast(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	const n = 2000
	var perOp float64
	require.NoError(t, w.Do(func() error {
		x, err := FromFloat32([]float32{1, 2, 3}, []int64{3})
		if err != nil {
			return err
		}
		defer x.Drop()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for i := 0; i < n; i++ {
			y, err := x.Relu(false)
			if err != nil {
				return err
			}
			if err := y.Drop(); err != nil {
				return err
			}
		}
		runtime.ReadMemStats(&m1)
		perOp = float64(m1.TotalAlloc-m0.TotalAlloc) / n
		return nil
	}))
	assert.Less(t, perOp, 4096.0, "Go heap bytes allocated per op (unpatched: > 100,000)")
}

// 0006: the TF32 switches are bound and start at PyTorch's defaults (matmuls off,
// cuDNN convolutions on).
func TestPatch0006TF32(t *testing.T) {
	matmul, conv := TF32()
	assert.False(t, matmul, "torch.backends.cuda.matmul.allow_tf32 defaults to False")
	assert.True(t, conv, "torch.backends.cudnn.allow_tf32 defaults to True")
	SetTF32(true, false)
	matmul, conv = TF32()
	assert.True(t, matmul)
	assert.False(t, conv)
	SetTF32(false, true)
}
