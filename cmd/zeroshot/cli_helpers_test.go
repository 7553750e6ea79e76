package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Paths of the fixtures, from cmd/zeroshot.
var (
	repoRoot    = filepath.Join("..", "..")
	tinyModel   = filepath.Join(repoRoot, "testdata", "models", "tiny-l14")
	oddModel    = filepath.Join(repoRoot, "testdata", "models", "odd")
	pipelineDir = filepath.Join(repoRoot, "testdata", "pipeline")
	imageFiles  = filepath.Join(repoRoot, "testdata", "images", "files")
	chelsea     = filepath.Join(repoRoot, "examples", "chelsea.png")
)

// usedFlags records, per command, the flags the tests of this package passed through
// zsRun (see TestEveryFlagExercised).
var (
	usedMu    sync.Mutex
	usedFlags = map[string]map[string]bool{}
)

func recordFlags(args []string) {
	if len(args) == 0 {
		return
	}
	usedMu.Lock()
	defer usedMu.Unlock()
	m := usedFlags[args[0]]
	if m == nil {
		m = map[string]bool{}
		usedFlags[args[0]] = m
	}
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			m[name] = true
		}
	}
}

// zsRun runs `zeroshot args...` in this process and returns its exit status and output.
func zsRun(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	recordFlags(args)
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// zsOK runs a command that must succeed and returns its stdout.
func zsOK(t testing.TB, args ...string) string {
	t.Helper()
	code, out, errOut := zsRun(t, args...)
	require.Equal(t, 0, code, "zeroshot %s: %s", strings.Join(args, " "), errOut)
	return out
}

// buildZeroshot builds the command into a temporary directory (with the environment's
// GOFLAGS, which carry the generated modfile) for the tests that need a real process.
func buildZeroshot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zeroshot")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// copyTree copies files (name → source path) into a new temporary directory.
func copyTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		dst := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, b, 0o644))
	}
	return dir
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o644))
}
