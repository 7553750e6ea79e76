package golden

import (
	"fmt"
	"math"
)

// Report summarises how computed values differ from golden ones.
type Report struct {
	N      int     // values compared
	Equal  int     // values with identical bits
	MaxAbs float64 // max |got - want| (+Inf if exactly one side is NaN)
	MaxRel float64 // max |got - want| / |want| over values with want != 0
	Worst  int     // index of the value with the largest |Δ| (-1 if none differs)
	// ScaleULPs is MaxAbs in ulps of the output's scale: the spacing of float32 at the
	// largest |want|. A normwise measure: a GEMM's rounding error scales with its
	// operands, so a value near zero moves by ulps of its neighbours, not of itself.
	ScaleULPs float64
}

// Compare compares got with want element by element.
func Compare(got, want []float32) (Report, error) {
	r := Report{N: len(want), Worst: -1}
	if len(got) != len(want) {
		return r, fmt.Errorf("golden: %d values, want %d", len(got), len(want))
	}
	var scale float32
	for _, w := range want {
		scale = max(scale, float32(math.Abs(float64(w))))
	}
	for i, w := range want {
		g := got[i]
		if math.Float32bits(g) == math.Float32bits(w) {
			r.Equal++
			continue
		}
		d := math.Abs(float64(g) - float64(w))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > r.MaxAbs || r.Worst < 0 {
			r.MaxAbs, r.Worst = d, i
		}
		if w != 0 {
			r.MaxRel = math.Max(r.MaxRel, d/math.Abs(float64(w)))
		}
	}
	if r.MaxAbs > 0 {
		r.ScaleULPs = r.MaxAbs / ulp32(scale)
	}
	return r, nil
}

// Identical reports whether every value has the golden value's exact bits.
func (r Report) Identical() bool { return r.Equal == r.N }

// String is a one-line summary: "max|Δ| 1.2e-07 maxrel 3.4e-06 equal 190/192".
func (r Report) String() string {
	s := fmt.Sprintf("max|Δ| %.3g maxrel %.3g equal %d/%d", r.MaxAbs, r.MaxRel, r.Equal, r.N)
	if r.Identical() {
		s += " (bit-identical)"
	}
	return s
}

// ArgmaxRows returns the index of the first maximum of each row of a row-major
// matrix with cols columns, as torch.argmax(dim=1) does.
func ArgmaxRows(x []float32, cols int) []int {
	if cols <= 0 {
		return nil
	}
	out := make([]int, 0, len(x)/cols)
	for r := 0; r+cols <= len(x); r += cols {
		best := 0
		for c := 1; c < cols; c++ {
			if x[r+c] > x[r+best] {
				best = c
			}
		}
		out = append(out, best)
	}
	return out
}
