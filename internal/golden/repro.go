package golden

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// ReproEnv pins libtorch's CPU code paths where a pin can: ATen's portable kernels
// (layer norm, softmax, activations), MKL's conditional numerical reproducibility in its
// SSE2 branch (every GEMM), oneDNN capped at AVX2, the lowest level the project supports
// (the patch convolution and erf GELU run oneDNN's JIT kernels, which differ by ISA:
// scripts/cpu-ops.py). Measured, they do not make libtorch 2.11.0 CPU-independent: an
// Intel Xeon with AMX differs from an AMD EPYC by up to 3 ulps of an output's scale, so
// committed goldens are compared within CrossCPU and bit-identity is checked against
// goldens made on the machine itself (Local, make parity). The generators set the same
// (testdata/gen/repro.py): keep the two lists equal.
var ReproEnv = map[string]string{
	"ATEN_CPU_CAPABILITY": "default",
	"MKL_CBWR":            "COMPATIBLE",
	"ONEDNN_MAX_CPU_ISA":  "AVX2",
}

// reproSet lists the variables SetRepro set (those it found unset).
var reproSet []string

// noRepro, set to 1 in a process's environment, keeps SetRepro from pinning anything
// (WithoutRepro sets it for child processes, which run TestMain again).
const noRepro = "ZEROSHOT_NO_REPRO"

// SetRepro sets each ReproEnv variable that is not already set. It must run before
// libtorch's first op (libtorch and MKL read them once): call it from TestMain.
func SetRepro() {
	if os.Getenv(noRepro) == "1" {
		return
	}
	for _, k := range sortedKeys() {
		if _, ok := os.LookupEnv(k); !ok {
			os.Setenv(k, ReproEnv[k])
			reproSet = append(reproSet, k)
		}
	}
}

// Main is the TestMain of a package whose tests compare libtorch's results with the
// committed goldens: SetRepro, then the tests.
func Main(m *testing.M) {
	SetRepro()
	os.Exit(m.Run())
}

// WithoutRepro returns env without the variables SetRepro set (and with the marker that
// keeps the child's own TestMain from setting them), for a child process that must take
// libtorch's native paths (the full-size parity test: its goldens are made on the same
// machine, unpinned).
func WithoutRepro(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		drop := strings.HasPrefix(kv, noRepro+"=")
		for _, k := range reproSet {
			if strings.HasPrefix(kv, k+"=") {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return append(out, noRepro+"=1")
}

// Unpinned runs the calling top-level test again in a child process of the test binary
// with libtorch's native CPU paths (WithoutRepro), for tests of a property users get on
// their machine rather than of the goldens: MKL's SSE2 reproducible mode computes a
// GEMM's rows in an order that depends on the number of rows, which the native paths do
// not (zeroshot's chunked label pass relies on that). In the parent it waits for the
// child, fails the test with its output if it failed, and returns false; in the child
// (or when nothing was pinned) it returns true and the caller runs the test's body.
func Unpinned(t *testing.T) bool {
	t.Helper()
	if os.Getenv(noRepro) == "1" || len(reproSet) == 0 {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1")
	cmd.Env = WithoutRepro(os.Environ())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s with libtorch's native CPU paths (child process): %v\n%s", t.Name(), err, out)
	}
	return false
}

func sortedKeys() []string {
	ks := make([]string, 0, len(ReproEnv))
	for k := range ReproEnv {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Suffix is the name suffix of the goldens computed on libtorch torchVersion: the
// original set ("golden/", "<model>.json") was made on 2.1.0; others carry
// "-torch<version>" (testdata/gen/gen_goldens.py).
func Suffix(torchVersion string) string {
	if torchVersion == "2.1.0" {
		return ""
	}
	return "-torch" + torchVersion
}

// ModelDir is the goldens of the fixture model in modelDir for libtorch torchVersion.
func ModelDir(modelDir, torchVersion string) string {
	return modelDir + string(os.PathSeparator) + "golden" + Suffix(torchVersion)
}

// PipelineFile is the name of testdata/pipeline's goldens of model for libtorch torchVersion.
func PipelineFile(model, torchVersion string) string { return model + Suffix(torchVersion) + ".json" }

// V5Suffix is the suffix of the goldens of transformers 5 with its defaults (SDPA
// attention, the torchvision image processor) on libtorch torchVersion: the "5" parity
// profile. They exist where transformers 5 runs (torch >= 2.2; here 2.11.0).
func V5Suffix(torchVersion string) string { return Suffix(torchVersion) + "-v5" }

// DefaultSuffix is the suffix of the goldens that the default parity profile reproduces
// on libtorch torchVersion (zeroshot.DefaultParity): transformers 4.54's on 2.1.0,
// transformers 5's defaults on newer ones.
func DefaultSuffix(torchVersion string) string {
	if torchVersion == "2.1.0" {
		return ""
	}
	return V5Suffix(torchVersion)
}

// DefaultModelDir is ModelDir for the default parity profile.
func DefaultModelDir(modelDir, torchVersion string) string {
	return modelDir + string(os.PathSeparator) + "golden" + DefaultSuffix(torchVersion)
}

// DefaultPipelineFile is PipelineFile for the default parity profile.
func DefaultPipelineFile(model, torchVersion string) string {
	return model + DefaultSuffix(torchVersion) + ".json"
}
