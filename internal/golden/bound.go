package golden

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"
)

// CrossCPU bounds how far libtorch's outputs (embeddings, features, logits,
// probabilities, pipeline scores) computed on one CPU may lie from goldens made on
// another, in ulps of the output's scale (Report.ScaleULPs: the largest |Δ| over the
// spacing of float32 at the output's largest magnitude). It holds the measurements with a
// margin of 1.45 over the largest:
//
//   - under the pins (ReproEnv), another CPU: an Intel Xeon with AVX-512 and AMX against
//     an AMD EPYC with AVX-512, 3.0 ulps (../shared/cpu-goldens/intel-xeon-amx); an EPYC
//     without AVX-512 against one with it, 6.5 ulps on libtorch 2.11.0 and 12 on 2.1.0
//     (before oneDNN's cap came down to AVX2);
//   - on one CPU, each pin replaced by another level its control allows (make test-cpus,
//     scripts/cpu-ops.py; 2.11.0, then 2.1.0): MKL's other branches (SSE4_2, AVX, AVX2,
//     AUTO) 44 and 37 ulps, ATen's AVX2 kernels 35 and 16, oneDNN below AVX2 23 and 19,
//     libtorch's native paths 32 and 26.
//
// Bit-identity is the promise on the user's own machine, checked against goldens made
// there (make parity: Local, Bound 0), not against goldens made on another CPU.
const CrossCPU = 64

// EnvReport names a file to which Check appends one JSON line per comparison (make
// test-cpus and make parity build their tables from it).
const EnvReport = "ZEROSHOT_GOLDEN_REPORT"

// Bound is how many ulps of its scale an output compared with the golden at path may
// differ by: 0 for a golden made on this machine (Local), CrossCPU for a committed one.
func Bound(path string) float64 {
	if Local(path) {
		return 0
	}
	return CrossCPU
}

// ScoreSlack is the largest |Δ| Bound(path) allows a probability (an output whose
// scale is at most 1): for checks of scores printed rounded.
func ScoreSlack(path string) float64 { return Bound(path) * ulp32(1) }

// Check compares got with want, one output of libtorch (a tensor, or one case's scores or
// logits) read from the golden at path, and fails t unless every value lies within
// Bound(path) ulps of the output's scale: bit for bit against local goldens. It logs the
// report (how many values are bit-identical) and appends it to $ZEROSHOT_GOLDEN_REPORT.
func Check(t testing.TB, path, what string, got, want []float32) Report {
	t.Helper()
	return CheckWithin(t, path, what, got, want, Bound(path))
}

// CheckWithin is Check with the bound given, for outputs computed otherwise than the
// goldens in a way a CPU difference covers (libtorch's default thread count, where the
// goldens were made with one thread: MKL's reproducible mode holds for a fixed count).
func CheckWithin(t testing.TB, path, what string, got, want []float32, bound float64) Report {
	t.Helper()
	r, err := Compare(got, want)
	if err != nil {
		t.Errorf("%s (%s): %v", what, path, err)
		return r
	}
	src := "committed"
	if Local(path) {
		src = "local"
		if err := localEnv(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s: %s; %.1f ulps of its scale (bound %g, %s golden)", what, r, r.ScaleULPs, bound, src)
	if !r.Within(bound) {
		t.Errorf("%s: %s, %.1f ulps of its scale: beyond the bound of %g ulps against the %s golden %s",
			what, r, r.ScaleULPs, bound, src, path)
	}
	appendReport(t, path, what, src, bound, r)
	return r
}

// Within reports whether every value lies within ulps of the output's scale (0: bit
// for bit).
func (r Report) Within(ulps float64) bool {
	if ulps == 0 {
		return r.Identical()
	}
	return r.ScaleULPs <= ulps
}

// F32 converts scores printed as float64 (JSON) back to the float32 values they hold.
func F32(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}

// ulp32 is the spacing of float32 at |x|.
func ulp32(x float32) float64 {
	a := float32(math.Abs(float64(x)))
	return float64(math.Nextafter32(a, float32(math.Inf(1))) - a)
}

func appendReport(t testing.TB, path, what, src string, bound float64, r Report) {
	file := os.Getenv(EnvReport)
	if file == "" {
		return
	}
	env := map[string]string{}
	for k := range ReproEnv {
		env[k] = os.Getenv(k)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	line, _ := json.Marshal(map[string]any{
		"test": t.Name(), "what": what, "golden": path, "source": src, "bound": bound,
		"n": r.N, "equal": r.Equal, "max_abs": r.MaxAbs, "scale_ulps": r.ScaleULPs, "env": env,
	})
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Errorf("%s: %v", EnvReport, err)
		return
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil { // one write: lines of parallel test processes do not interleave
		t.Errorf("%s: %v", EnvReport, err)
	}
}
