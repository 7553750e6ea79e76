package torch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// 0007: the Kineto profiler records the ops its thread runs, with their input shapes,
// dtypes and strides, in torch.profiler's Chrome trace format.
func TestPatch0007Profile(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	path := filepath.Join(t.TempDir(), "trace.json")
	require.NoError(t, w.Do(func() error { return StartProfile(false) }))
	require.NoError(t, w.Do(func() error {
		x, err := FromFloat32([]float32{1, 2, 3, 4, 5, 6}, []int64{2, 3})
		if err != nil {
			return err
		}
		defer x.Drop()
		y, err := x.T(false)
		if err != nil {
			return err
		}
		defer y.Drop()
		z, err := y.Contiguous(false)
		if err != nil {
			return err
		}
		return z.Drop()
	}))
	require.NoError(t, w.Do(func() error { return StopProfile(path) }))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var trace struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Cat  string         `json:"cat"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	require.NoError(t, json.Unmarshal(b, &trace))
	ops := map[string]map[string]any{}
	for _, e := range trace.TraceEvents {
		if e.Cat == "cpu_op" {
			ops[e.Name] = e.Args
		}
	}
	require.Contains(t, ops, "aten::t")
	require.Contains(t, ops, "aten::contiguous")
	assert.Equal(t, []any{[]any{3.0, 2.0}, []any{}}, ops["aten::contiguous"]["Input Dims"])
	if Version() == "2.1.0" {
		// libtorch 2.1.0's Kineto records no strides ("Input Strides" came later)
		assert.NotContains(t, ops["aten::contiguous"], "Input Strides")
	} else {
		assert.Equal(t, []any{[]any{1.0, 3.0}, []any{}}, ops["aten::contiguous"]["Input Strides"])
	}
	assert.Equal(t, "float", ops["aten::contiguous"]["Input type"].([]any)[0])

	// Stopping without a profiler running is an error, not a crash.
	assert.Error(t, w.Do(func() error { return StopProfile(filepath.Join(t.TempDir(), "none.json")) }))
}
