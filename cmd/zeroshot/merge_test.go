package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var imagesDir = filepath.Join(repoRoot, "testdata", "images")

// classifyTo runs classify over args into out and returns the file's bytes. Some
// fixture images are unreadable on purpose: exit status 3.
func classifyTo(t *testing.T, out string, args ...string) []byte {
	t.Helper()
	code, _, errOut := zsRun(t, classifyArgs(append(args, "--output", out)...)...)
	require.Contains(t, []int{0, exitFilesFailed}, code, errOut)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	return b
}

// Three shards of testdata/images (75 files, 9 unreadable), merged, are the single run's
// file byte for byte, with and without --images. With --batch-size 1 every image is its
// own forward on both sides.
func TestMergeShardsEqualsSingleRun(t *testing.T) {
	tmp := t.TempDir()
	single := classifyTo(t, filepath.Join(tmp, "single.jsonl"), "--batch-size", "1", imagesDir)
	const n = 3
	for k := 0; k < n; k++ {
		part := classifyTo(t, filepath.Join(tmp, fmt.Sprintf("shard-%d.jsonl", k)), "--batch-size", "1", "--shard", fmt.Sprintf("%d/%d", k, n), imagesDir)
		assert.Less(t, len(part), len(single))
	}
	parts := filepath.Join(tmp, "shard-*.jsonl")
	for _, withImages := range []bool{true, false} {
		out := filepath.Join(tmp, fmt.Sprintf("merged-%v.jsonl", withImages))
		args := []string{"merge", parts, "--output", out}
		if withImages {
			args = append(args, "--images", imagesDir)
		}
		code, _, errOut := zsRun(t, args...)
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, errOut, fmt.Sprintf("zeroshot merge: %d images from %d parts to %s", len(readRecords(t, string(single))), n, out))
		merged, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, string(single), string(merged), "--images %v: merged shards differ from the single run", withImages)
	}
	recs := readRecords(t, string(single))
	failed := 0
	for _, r := range recs {
		if r.Error != "" {
			failed++
		}
	}
	t.Logf("%d images (%d unreadable, kept as error records) in %d shards: merged = single run, byte for byte", len(recs), failed, n)
	require.Greater(t, failed, 0, "the fixture has unreadable images: their records must merge too")
}

// Batch sizes and shard layouts do not change a byte. On CPU every image goes through
// the tower alone (--batching per-image, the default): shards with batches of 5 merge
// into the file of a single run with batches of 8. Batched (--batching batched), the
// shards share out whole batches, so every image shares its forward with the images it
// shares it with in the single run: byte for byte too, at the same --batch-size.
func TestMergeBatchedShards(t *testing.T) {
	tmp := t.TempDir()
	merged := func(name string, flags ...string) string {
		for k := 0; k < 3; k++ {
			classifyTo(t, filepath.Join(tmp, fmt.Sprintf("%s%d.jsonl", name, k)), append(flags, "--shard", fmt.Sprintf("%d/3", k), imagesDir)...)
		}
		return zsOK(t, "merge", "--images", imagesDir, filepath.Join(tmp, name+"*.jsonl"))
	}
	single := string(classifyTo(t, filepath.Join(tmp, "single.jsonl"), imagesDir))
	assert.Equal(t, single, merged("per-image-s", "--batch-size", "5"), "per-image: batch 5 in 3 shards = batch 8 in one run")
	assert.Equal(t, single, string(classifyTo(t, filepath.Join(tmp, "b1.jsonl"), "--batch-size", "1", imagesDir)), "per-image: batch 1 = batch 8")

	batched := string(classifyTo(t, filepath.Join(tmp, "batched.jsonl"), "--batching", "batched", imagesDir))
	assert.Equal(t, batched, merged("batched-s", "--batching", "batched"), "batched: 3 shards of whole batches = one run")

	// What batching changes: the last bits of some scores (logged, not a bound: the
	// numbers are BLAS's on this CPU).
	a, b := readRecords(t, single), readRecords(t, batched)
	same, maxDiff := 0, 0.0
	for i := range a {
		d := 0.0
		for j := range a[i].Results {
			d = math.Max(d, math.Abs(a[i].Results[j].Score-b[i].Results[j].Score))
		}
		if d == 0 {
			same++
		}
		maxDiff = math.Max(maxDiff, d)
	}
	t.Logf("batched (8) vs per-image: %d/%d records identical, max |Δ| %.3g", same, len(a), maxDiff)
}

// The other formats render the merged records as a single run renders them.
func TestMergeFormats(t *testing.T) {
	tmp := t.TempDir()
	dir, _ := imageDir(t)
	for k := 0; k < 2; k++ {
		classifyTo(t, filepath.Join(tmp, fmt.Sprintf("p%d.jsonl", k)), "--batch-size", "1", "--shard", fmt.Sprintf("%d/2", k), dir)
	}
	for _, format := range []string{"json", "table"} {
		code, want, errOut := zsRun(t, classifyArgs("--batch-size", "1", "--format", format, dir)...)
		require.Equal(t, exitFilesFailed, code, errOut)
		got := zsOK(t, "merge", "--format", format, "--images", dir, filepath.Join(tmp, "p*.jsonl"))
		assert.Equal(t, want, got, format)
	}
}

// Parts that do not make the whole run are refused, each with its reason.
func TestMergeRefuses(t *testing.T) {
	tmp := t.TempDir()
	dir, _ := imageDir(t)
	p := func(name string) string { return filepath.Join(tmp, name) }
	for k := 0; k < 3; k++ {
		classifyTo(t, p(fmt.Sprintf("s%d.jsonl", k)), "--batch-size", "1", "--shard", fmt.Sprintf("%d/3", k), dir)
	}
	s0, err := os.ReadFile(p("s0.jsonl"))
	require.NoError(t, err)
	write := func(name, content string) string { // a part, with shard 0's fingerprint
		require.NoError(t, os.WriteFile(p(name), []byte(content), 0o644))
		copyFile(t, runPath(p("s0.jsonl")), runPath(p(name)))
		return p(name)
	}
	torn := write("torn.jsonl", string(s0[:len(s0)-5]))
	notRecord := write("text.jsonl", "score label\n")
	otherLabels := write("other.jsonl", strings.Replace(string(s0), `,{"score"`, `],"x":[{"score"`, 1))
	require.NoError(t, os.WriteFile(p("running.jsonl.partial"), s0, 0o644))
	noRun := p("old.jsonl") // as a zeroshot before the fingerprints wrote it
	require.NoError(t, os.WriteFile(noRun, s0, 0o644))

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"merge"}, 2, "no parts"},
		{[]string{"merge", "--images", dir, p("s0.jsonl"), p("s1.jsonl")}, 2, "have no record in the parts"},
		{[]string{"merge", "--images", filepath.Join(dir, "cats"), p("s*.jsonl")}, 2, "is not among the --images"},
		{[]string{"merge", p("s0.jsonl"), write("copy.jsonl", string(s0))}, 2, "is in " + p("s0.jsonl") + " and in " + p("copy.jsonl")},
		{[]string{"merge", p("s1.jsonl"), torn}, 2, "is cut short"},
		{[]string{"merge", notRecord}, 2, "line 1 is not a classify record"},
		{[]string{"merge", p("s1.jsonl"), otherLabels}, 2, "parts of runs with other labels or --top-k"},
		{[]string{"merge", p("running.jsonl")}, 2, "running.jsonl is not complete"},
		{[]string{"merge", p("r*.jsonl")}, 2, "is not complete"},
		{[]string{"merge", p("none-*.jsonl")}, 2, "matches no file"},
		{[]string{"merge", p("none.jsonl")}, 2, "no such file"},
		{[]string{"merge", "--format", "csv", p("s0.jsonl")}, 2, `--format "csv"`},
		{[]string{"merge", "--force", p("s0.jsonl")}, 2, "--force goes with --output"},
		{[]string{"merge", "--output", p("s1.jsonl"), p("s0.jsonl")}, 2, "exists (--force replaces it)"},
		{[]string{"merge", p("s0.jsonl"), p("s2.jsonl")}, 2, "shard 1/3 missing: 2 of 3 parts given"},
		{[]string{"merge", p("s1.jsonl"), p("s2.jsonl"), noRun}, 2, "old.jsonl has no run fingerprint"},
	} {
		code, _, errOut := zsRun(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, errOut)
		assert.Contains(t, errOut, c.msg, "%v", c.args)
	}

	// --force replaces FILE, and its fingerprint; nothing else is left in the directory.
	out := p("all.jsonl")
	require.NoError(t, os.WriteFile(out, []byte("stale\n"), 0o644))
	want := zsOK(t, "merge", p("s*.jsonl"))
	zsOK(t, "merge", "--force", "--output", out, p("s*.jsonl"))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, want, string(b))
	assert.FileExists(t, runPath(out))
	tmps, _ := filepath.Glob(p(".*.tmp"))
	assert.Empty(t, tmps)
}
