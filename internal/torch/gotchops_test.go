package torch

// Tests for the decisions of patches/gotch/ops.tsv and patches/gotch/torch-<version>/
// (applied by scripts/gotch-ops.py apply): one per kind. Each fails on the generated
// code as gotch v0.9.1 ships it.

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// opDecisions reads the decisions in force for the linked libtorch: the common table,
// then the version's (which overrides).
func opDecisions(t *testing.T) map[string][]string {
	t.Helper()
	root := filepath.Join("..", "..", "patches", "gotch")
	out := map[string][]string{}
	for _, p := range []string{filepath.Join(root, "ops.tsv"), filepath.Join(root, "torch-"+Version(), "ops.tsv")} {
		for _, row := range readTSV(t, p) {
			out[row[0]] = row
		}
	}
	return out
}

func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	require.NoError(t, sc.Err())
	return rows
}

// Every op whose generated call is not plainly right on this libtorch (schema-diff.tsv)
// has a decision; the build refuses otherwise, this says so in the test log too.
func TestGotchOpsEveryDiffDecided(t *testing.T) {
	dec := opDecisions(t)
	diff := readTSV(t, filepath.Join("..", "..", "patches", "gotch", "torch-"+Version(), "schema-diff.tsv"))
	kinds := map[string]int{}
	for _, row := range diff {
		d, ok := dec[row[0]]
		if assert.True(t, ok, "%s (%s) has no decision", row[0], row[1]) {
			kinds[row[1]+"->"+d[1]]++
		}
	}
	t.Logf("libtorch %s: %d generated functions need a decision: %v", Version(), len(diff), kinds)
}

// adapt, on every libtorch: gotch's rrelu_with_noise call passed `training` into
// `lower` (bool -> Scalar) and trapezoid's passed `dim` into `dx`.
func TestGotchOpsAdapted(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		x, err := FromFloat32([]float32{-1, 2}, []int64{2})
		require.NoError(t, err)
		defer x.Drop()
		noise, err := FromFloat32([]float32{0, 0}, []int64{2})
		require.NoError(t, err)
		defer noise.Drop()
		// eval mode: a negative input is scaled by (lower+upper)/2 = (1/8+1/3)/2.
		y, err := x.RreluWithNoise(noise, false, false)
		require.NoError(t, err)
		defer y.Drop()
		got, _, err := Float32s(y)
		require.NoError(t, err)
		assert.InDeltaSlice(t, []float32{-(0.125 + 1.0/3) / 2, 2}, got, 1e-7, "rrelu_with_noise(training=false)")

		// trapezoid of 0, 1, 2 with dx=1 is 2 (the misbound call gave dx=dim=-1: -2).
		v, err := FromFloat32([]float32{0, 1, 2}, []int64{3})
		require.NoError(t, err)
		defer v.Drop()
		s, err := ts.Trapezoid(v, -1)
		require.NoError(t, err)
		defer s.Drop()
		got, _, err = Float32s(s)
		require.NoError(t, err)
		assert.Equal(t, []float32{2}, got, "trapezoid(dim=-1)")
		return nil
	}))
}

// adapt, on every libtorch: scaled_dot_product_attention without a mask (attn_mask=None,
// is_causal False or True) runs and computes attention; gotch's generated call passed an
// undefined tensor inside the optional, which libtorch rejected.
func TestGotchOpsSDPANoMask(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	q := []float32{0.5, -1, 2, 0.25, -0.75, 1.5} // [1, 1, 3, 2]: query = key = value
	for _, causal := range []bool{false, true} {
		var got []float32
		// No require inside Do: FailNow would end the worker's goroutine, not the test's.
		err := w.Do(func() error {
			x, err := FromFloat32(q, []int64{1, 1, 3, 2})
			if err != nil {
				return err
			}
			defer x.Drop()
			y, err := ts.ScaledDotProductAttention(x, x, x, ts.None, 0, causal, []float64{0.5})
			if err != nil {
				return err
			}
			defer y.Drop()
			got, _, err = Float32s(y)
			return err
		})
		require.NoError(t, err, "causal=%v", causal)
		assert.InDeltaSlice(t, attentionRef(q, 3, 2, 0.5, causal), got, 1e-6, "causal=%v", causal)
	}
}

// attentionRef is softmax(x·xᵀ·scale [+ causal mask])·x in float64, x of [n, d].
func attentionRef(x []float32, n, d int, scale float64, causal bool) []float32 {
	out := make([]float32, n*d)
	for i := 0; i < n; i++ {
		w := make([]float64, n)
		var max, sum float64 = math.Inf(-1), 0
		for j := 0; j < n; j++ {
			if causal && j > i {
				w[j] = math.Inf(-1)
				continue
			}
			for k := 0; k < d; k++ {
				w[j] += float64(x[i*d+k]) * float64(x[j*d+k]) * scale
			}
			max = math.Max(max, w[j])
		}
		for j := range w {
			w[j] = math.Exp(w[j] - max)
			sum += w[j]
		}
		for k := 0; k < d; k++ {
			var v float64
			for j := 0; j < n; j++ {
				v += w[j] / sum * float64(x[j*d+k])
			}
			out[i*d+k] = float32(v)
		}
	}
	return out
}

// stub: an op whose meaning changed fails with an error naming it; on libtorch 2.1.0
// (which gotch was generated for) the same call reaches libtorch.
func TestGotchOpsStubbed(t *testing.T) {
	dec := opDecisions(t)
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		a, err := FromFloat32([]float32{1, 2, 3, 4}, []int64{2, 2})
		require.NoError(t, err)
		defer a.Drop()
		var out [16]lib.Ctensor
		c := lib.Ctensor(a.Ctensor())
		lib.Atg_ScaledMm(&out[0], c, c, nil, -1, nil, nil, nil)
		err = ts.TorchErr()
		require.Error(t, err, "_scaled_mm of float32 on CPU")
		freeOuts(out[:])
		t.Logf("libtorch %s: _scaled_mm: %v", Version(), err)
		if d := dec["atg__scaled_mm"]; d != nil && d[1] == "stub" {
			assert.Contains(t, err.Error(), "gotch op aten::_scaled_mm is not available in this build")
		} else {
			assert.NotContains(t, err.Error(), "not available in this build")
		}
		return nil
	}))
}

// adapt on 2.11 for a CUDA-only op: the rewritten call reaches libtorch's dispatcher
// (which has no CPU kernel for it), it is not a stub. Its numbers are not checked here.
func TestGotchOpsAdaptedCUDAOnly(t *testing.T) {
	w, err := NewWorker()
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Do(func() error {
		a, err := FromFloat32([]float32{1, 2, 3, 4}, []int64{2, 2})
		require.NoError(t, err)
		defer a.Drop()
		var out [16]lib.Ctensor
		c := lib.Ctensor(a.Ctensor())
		lib.Atg_CsltSparseMm(&out[0], c, c, nil, 0)
		err = ts.TorchErr()
		freeOuts(out[:])
		require.Error(t, err, "_cslt_sparse_mm on CPU")
		t.Logf("libtorch %s: _cslt_sparse_mm: %v", Version(), firstLine(err.Error()))
		assert.NotContains(t, err.Error(), "not available in this build")
		return nil
	}))
}

func freeOuts(out []lib.Ctensor) {
	for _, c := range out {
		if c != nil {
			lib.AtFree(c)
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
