package torch

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// A small expression through gotch and libtorch, checked against values worked out by
// hand: softmax(a·bᵀ + 1) for a = [[1,2],[3,4]], b = [[1,0],[0,1],[1,1]].
func TestSmokeTensorExpression(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()

	var got []float32
	require.NoError(t, w.Do(func() error {
		var s Scope
		defer s.Free()
		a := s.Add(must(FromFloat32([]float32{1, 2, 3, 4}, []int64{2, 2})))
		b := s.Add(must(FromFloat32([]float32{1, 0, 0, 1, 1, 1}, []int64{3, 2})))
		lin := s.Add(must(ts.Linear(a, b, ts.None))) // a·bᵀ = [[1,2,3],[3,4,7]]
		plus := s.Add(must(lin.AddScalar(ts.FloatScalar(1), false)))
		sm := s.Add(must(plus.Softmax(-1, gotch.Float, false)))
		got, _, err = Float32s(sm)
		return err
	}))
	// softmax([2,3,4]) and softmax([4,5,8]), from exp by hand.
	want := []float32{0.09003057, 0.24472847, 0.66524096, 0.01714783, 0.04661262, 0.93623955}
	assert.InDeltaSlice(t, want, got, 1e-6)
}

func must(t *ts.Tensor, err error) *ts.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

// The libtorch linked is one the project supports, and the one make selected (TORCH).
func TestVersionAndThreads(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "torch-versions.sh"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^TORCH_SUPPORTED="([^"]*)"`).FindSubmatch(b)
	require.NotNil(t, m, "TORCH_SUPPORTED in scripts/torch-versions.sh")
	assert.Contains(t, strings.Fields(string(m[1])), Version())
	if want := os.Getenv("TORCH"); want != "" {
		assert.Equal(t, want, Version(), "make's TORCH")
	}
	require.NoError(t, SetThreads(1))
	n, err := Threads()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, SetThreads(2))
	n, err = Threads()
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Error(t, SetThreads(0))
}

func TestWorkerTurnsPanicsIntoErrors(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	err = w.Do(func() error { panic("boom") })
	assert.ErrorContains(t, err, "boom")
	assert.NoError(t, w.Do(func() error { return nil }))
	w.Close()
	assert.ErrorIs(t, w.Do(func() error { return nil }), ErrClosed)
}

func TestWorkerDisablesGrad(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		prev, err := ts.GradSetEnabled(false) // returns the state before the call
		assert.False(t, prev, "grad must be off on the worker thread")
		return err
	}))
}
