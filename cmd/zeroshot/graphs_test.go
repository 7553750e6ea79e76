package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// --cuda-graphs: a usage error (exit 2) naming the flag off CUDA or when negative, for
// every command that loads the model, before anything is loaded. (On a CUDA machine the
// clip package's tests check the graphs' bits against the uncaptured forward.)
func TestCUDAGraphsFlag(t *testing.T) {
	for _, cmd := range []string{"classify", "embed"} {
		for _, c := range []struct{ n, want string }{
			{"4", "--cuda-graphs 4 needs --device cuda"},
			{"-1", "--cuda-graphs -1: want 0 (off)"},
		} {
			code, _, stderr := zsRun(t, cmd, "--model", tinyModel, "--labels", "cat,dog", "--cuda-graphs", c.n, chelsea)
			if cmd == "embed" {
				code, _, stderr = zsRun(t, cmd, "--model", tinyModel, "--output", filepath.Join(t.TempDir(), "e.jsonl"), "--cuda-graphs", c.n, chelsea)
			}
			assert.Equal(t, 2, code, "%s --cuda-graphs %s: %s", cmd, c.n, stderr)
			assert.Contains(t, stderr, c.want, cmd)
		}
	}
}
