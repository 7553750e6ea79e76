package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every file the commands write gets 0666 less the umask, as any tool's output (on a
// cluster's shared filesystem colleagues must read the merged result). Real processes
// under a shell's umask: the umask is process-wide, so not changed in this one.
func TestOutputsHonourUmask(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the CLI under several umasks; make test runs it")
	}
	bin := buildZeroshot(t)
	model, err := filepath.Abs(tinyModel)
	require.NoError(t, err)
	dir, _ := imageDir(t)
	for _, c := range []struct {
		umask string
		want  os.FileMode
	}{{"022", 0o644}, {"027", 0o640}, {"002", 0o664}} {
		out := t.TempDir()
		script := `set -e
z() { "$ZS" "$@" --model "$MODEL" --threads 1 --progress off || test $? -eq 3; }
z classify "$IMAGES" --labels cat,dog --output "$OUT/c.jsonl"
z classify "$IMAGES" --labels cat,dog --format json --output "$OUT/c.json"
z classify "$IMAGES" --labels cat,dog --shard 0/2 --output "$OUT/s0.jsonl"
z classify "$IMAGES" --labels cat,dog --shard 1/2 --output "$OUT/s1.jsonl"
"$ZS" merge --images "$IMAGES" "$OUT/s*.jsonl" --output "$OUT/all.jsonl"
z embed --images "$IMAGES" --output "$OUT/e.npy"
z embed --images "$IMAGES" --output "$OUT/e.jsonl"
z embed --texts cat,dog --output "$OUT/t.npy" >/dev/null
"$ZS" convert "$MODEL" "$OUT/model.safetensors" --dtype fp32
"$ZS" preprocess --model "$MODEL" --dump-uint8 --out "$OUT" "$CHELSEA" >/dev/null
`
		cmd := exec.Command("sh", "-c", "umask "+c.umask+"; "+script)
		cmd.Env = append(os.Environ(), "ZS="+bin, "MODEL="+model, "IMAGES="+dir, "OUT="+out, "CHELSEA="+chelsea)
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", b)
		entries, err := os.ReadDir(out)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(entries), 18) // the outputs and their .run.json
		for _, e := range entries {
			st, err := e.Info()
			require.NoError(t, err)
			assert.Equal(t, c.want, st.Mode().Perm(), "umask %s: %s", c.umask, e.Name())
		}
	}
}
