package golden

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The local tree is read once per process: each case runs in a child with its own
// environment.
func TestLocalTree(t *testing.T) {
	if mode := os.Getenv("GOLDEN_LOCAL_CASE"); mode != "" {
		localCase(t, mode)
		return
	}
	for _, mode := range []string{"none", "pinned", "mismatch", "missing"} {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			env := append(os.Environ(), "GOLDEN_LOCAL_CASE="+mode, "GOLDEN_LOCAL_ROOT="+root)
			for k, v := range ReproEnv {
				env = append(env, k+"="+v)
			}
			if mode != "none" {
				env = append(env, EnvGoldens+"="+root)
			}
			cmd := exec.Command(os.Args[0], "-test.run", "^TestLocalTree$", "-test.v")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "--- PASS: TestLocalTree")
		})
	}
}

func localCase(t *testing.T, mode string) {
	root := os.Getenv("GOLDEN_LOCAL_ROOT")
	testdata := t.TempDir()
	rel := "pipeline/odd-torch2.11.0.json"
	require.NoError(t, os.MkdirAll(filepath.Join(root, "pipeline"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, rel), []byte("{}"), 0o644))
	meta := `{"repro_env": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "AVX2"}}`
	if mode == "mismatch" {
		meta = `{"repro_env": {"ATEN_CPU_CAPABILITY": null, "MKL_CBWR": null, "ONEDNN_MAX_CPU_ISA": null}}`
	}
	if mode != "missing" {
		require.NoError(t, os.WriteFile(filepath.Join(root, localMeta), []byte(meta), 0o644))
	}
	rec := &recorder{TB: t}
	switch mode {
	case "none":
		p := Path(t, testdata, rel)
		assert.Equal(t, filepath.Join(testdata, rel), p)
		assert.False(t, Local(p))
		assert.Equal(t, float64(CrossCPU), Bound(p))
	case "pinned":
		p := Path(t, testdata, rel)
		assert.Equal(t, filepath.Join(root, rel), p)
		assert.True(t, Local(p))
		assert.Zero(t, Bound(p))
		// a golden the tree does not hold: the committed one, within the bound
		other := Path(t, testdata, "pipeline/odd.json")
		assert.Equal(t, filepath.Join(testdata, "pipeline", "odd.json"), other)
		assert.False(t, Local(other))
		Check(rec, p, "one ulp off", []float32{1, 2}, []float32{1, 2.0000002})
		require.Len(t, rec.errors, 1, "local goldens are compared bit for bit")
		assert.Contains(t, rec.errors[0], "bound of 0 ulps against the local golden")
	case "mismatch":
		// the tree serves paths (plain-Go tests do not care about libtorch's pins), but a
		// check of libtorch's outputs against it refuses
		p := Path(t, testdata, rel)
		assert.True(t, Local(p))
		err := localEnv()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "was made with ATEN_CPU_CAPABILITY=(unset)")
	case "missing":
		_, err := localRoot()
		require.Error(t, err)
		assert.True(t, strings.Contains(err.Error(), "not a golden tree"), err.Error())
		assert.False(t, Local(filepath.Join(root, rel)))
	}
}
