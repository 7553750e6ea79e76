package golden

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScaleULPs(t *testing.T) {
	one := float32(1)
	next := math.Nextafter32(one, 2)
	// 3 ulps of the largest magnitude (1.0: spacing 2^-23), on a value near zero.
	small := float32(1e-3)
	moved := small + 3*(next-one)
	r, err := Compare([]float32{one, moved}, []float32{one, small})
	require.NoError(t, err)
	assert.InDelta(t, 3, r.ScaleULPs, 1e-6)
	assert.True(t, r.Within(3))
	assert.False(t, r.Within(2.9))
	assert.False(t, r.Within(0))

	// The scale is |want|'s largest magnitude, negative values included.
	r, err = Compare([]float32{-4, 0}, []float32{-4, math.Nextafter32(0, 1)})
	require.NoError(t, err)
	assert.Less(t, r.ScaleULPs, 1e-30)

	r, err = Compare([]float32{1, 2}, []float32{1, 2})
	require.NoError(t, err)
	assert.Zero(t, r.ScaleULPs)
	assert.True(t, r.Within(0))
}

// recorder is a testing.TB that keeps what Check says instead of failing the test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	logs   []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Errorf(f string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(f, a...))
}
func (r *recorder) Logf(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }

func TestCheckCommittedBoundAndReport(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.jsonl")
	t.Setenv(EnvReport, report)
	want := []float32{0.5, 0.25, 0.25}
	ulp := ulp32(0.5)
	within := []float32{0.5, 0.25 + float32(10*ulp), 0.25}
	beyond := []float32{0.5, 0.25 + float32(100*ulp), 0.25}

	rec := &recorder{TB: t}
	Check(rec, "testdata/pipeline/x.json", "within", within, want)
	assert.Empty(t, rec.errors)
	Check(rec, "testdata/pipeline/x.json", "beyond", beyond, want)
	require.Len(t, rec.errors, 1)
	assert.Contains(t, rec.errors[0], "beyond the bound of 64 ulps against the committed golden")

	f, err := os.Open(report)
	require.NoError(t, err)
	defer f.Close()
	var lines []map[string]any
	for s := bufio.NewScanner(f); s.Scan(); {
		var m map[string]any
		require.NoError(t, json.Unmarshal(s.Bytes(), &m))
		lines = append(lines, m)
	}
	require.Len(t, lines, 2)
	assert.Equal(t, "within", lines[0]["what"])
	assert.Equal(t, "committed", lines[0]["source"])
	assert.InDelta(t, 10, lines[0]["scale_ulps"], 1e-9)
	assert.EqualValues(t, 2, lines[0]["equal"])
}

func TestF32(t *testing.T) {
	x := float32(0.34511905908584595)
	assert.Equal(t, []float32{x}, F32([]float64{float64(x)}))
}
