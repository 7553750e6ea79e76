package golden

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// ReproEnv pins libtorch's CPU code paths so that float results are the same on every
// x86-64 machine: ATen's portable kernels, MKL's conditional numerical reproducibility
// in its SSE2 mode, oneDNN capped at SSE4.1. Without it the committed goldens hold
// only on CPUs like the one that made them: MKL's GEMM takes other paths on AMD than
// on Intel (the tiny model's pipeline scores differ in the 7th digit between an
// AVX-512 Xeon and an AVX-512 EPYC, for Go and Python alike). The generators set the
// same (testdata/gen/repro.py): keep the two lists equal.
var ReproEnv = map[string]string{
	"ATEN_CPU_CAPABILITY": "default",
	"MKL_CBWR":            "COMPATIBLE",
	"ONEDNN_MAX_CPU_ISA":  "AVX512_CORE",
}

// reproSet lists the variables SetRepro set (those it found unset).
var reproSet []string

// nativeEnv, set by WithoutRepro in a child's environment, tells the child's own
// SetRepro (its TestMain) to leave libtorch's CPU paths native: without it a test binary
// re-executed as a child pinned them again, and the full-size parity test compared a
// pinned Go run with goldens made on the native paths.
const nativeEnv = "ZEROSHOT_NATIVE_CPU"

// SetRepro sets each ReproEnv variable that is not already set, unless the process is
// a child that WithoutRepro asked to stay native. It must run before libtorch's first
// op (libtorch and MKL read them once): call it from TestMain.
func SetRepro() {
	if os.Getenv(nativeEnv) == "1" {
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

// WithoutRepro returns env without the variables SetRepro set, and marked so that a
// child test binary's own SetRepro sets none, for a child process that must take
// libtorch's native paths (the full-size parity test: its goldens are made on the same
// machine, unpinned). Variables the caller's environment already had stay.
func WithoutRepro(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		drop := strings.HasPrefix(kv, nativeEnv+"=")
		for _, k := range reproSet {
			if strings.HasPrefix(kv, k+"=") {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return append(out, nativeEnv+"=1")
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
