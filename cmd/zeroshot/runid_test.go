package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A complete FILE (or a FILE.partial) of another run is refused, naming every field that
// differs; the same run finds nothing to do; --force replaces the file and its
// fingerprint.
func TestRunFingerprintRefusesStaleOutput(t *testing.T) {
	dir, _ := imageDir(t)
	file := filepath.Join(t.TempDir(), "out.jsonl")
	args := func(extra ...string) []string {
		return classifyArgs(append(extra, "--output", file, dir)...)
	}
	code, _, stderr := zsRun(t, args()...)
	require.Equal(t, exitFilesFailed, code, stderr)
	want, err := os.ReadFile(file)
	require.NoError(t, err)
	id, err := readRunInfo(file, file)
	require.NoError(t, err)
	assert.Equal(t, "classify", id.Command)
	assert.Equal(t, "per-image", id.Run.Batching, "the CPU default")
	assert.Zero(t, id.Run.BatchSize, "per-image: the batch size does not change the numbers")
	assert.Equal(t, []string{"cat", "dog", "fox"}, id.Run.Labels.First)
	assert.Equal(t, 11, id.Output.Images.Count)

	code, _, stderr = zsRun(t, args("--batch-size", "3")...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "exists and is complete; nothing to do (the same run: fingerprint "+short(id.Fingerprint))

	// The model is known by content: the same files elsewhere (another node's mount, a
	// copy) are the same run.
	entries, err := os.ReadDir(tinyModel)
	require.NoError(t, err)
	files := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() {
			files[e.Name()] = filepath.Join(tinyModel, e.Name())
		}
	}
	code, _, stderr = zsRun(t, args("--model", copyTree(t, files))...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "nothing to do")

	type stale struct {
		name  string
		flags []string
		msg   []string
	}
	var profile []stale
	if id.Run.Parity == "5" { // the 2.11.0 default; on 2.1.0 4.54 is, and transformers 5 is not its reference
		profile = append(profile, stale{"parity", []string{"--parity", "4.54"}, []string{"parity profile: 5 there, 4.54 here"}})
	}
	for _, c := range append(profile, []stale{
		{"labels", []string{"--labels", "car,boat,plane,owl"}, []string{"labels: 4 labels (cat, dog, fox, …) sha256 ", " there, 4 labels (car, boat, plane, …) sha256 "}},
		{"model", []string{"--model", oddModel}, []string{"model weights: sha256:", "model files (config, preprocessor, tokenizer): sha256:"}},
		{"top-k", []string{"--top-k", "2"}, []string{"--top-k: all labels there, 2 here"}},
		{"template", []string{"--template", "a {}"}, []string{"templates: 1 templates (This is a photo of {}.) sha256"}},
		{"batching", []string{"--batching", "batched"}, []string{"batching: per-image there, batched (8 images per forward) here"}},
		{"format", []string{"--format", "json"}, []string{"--format: jsonl there, json here"}},
		{"images", []string{chelsea}, []string{"images: 11 images sha256 ", " there, 12 images sha256"}},
		{"shard", []string{"--shard", "1/2"}, []string{"images: 11 images", ", 5 images sha256 ", " of shard 1/2 here"}},
	}...) {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := zsRun(t, args(c.flags...)...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, file+" was written by another run:\n")
			for _, m := range c.msg {
				assert.Contains(t, stderr, m)
			}
			assert.Contains(t, stderr, "--force replaces it (or give another --output)")
			b, _ := os.ReadFile(file)
			assert.Equal(t, string(want), string(b), "left as it was")
		})
	}

	// --force: the other labels' file, and its fingerprint.
	code, _, stderr = zsRun(t, args("--labels", "car,boat", "--force")...)
	require.Equal(t, exitFilesFailed, code, stderr)
	id2, err := readRunInfo(file, file)
	require.NoError(t, err)
	assert.Equal(t, []string{"car", "boat"}, id2.Run.Labels.First)
	assert.NotEqual(t, id.Fingerprint, id2.Fingerprint)

	// A partial of the other labels' run is refused the same way.
	require.NoError(t, os.Rename(file, file+".partial"))
	code, _, stderr = zsRun(t, args()...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, file+".partial was written by another run:\n  labels: 2 labels (car, boat)")
}

// Outputs written before the fingerprints (no FILE.run.json): a clear refusal, naming
// the file and the way out.
func TestRunFingerprintMissing(t *testing.T) {
	dir, _ := imageDir(t)
	file := filepath.Join(t.TempDir(), "out.jsonl")
	args := classifyArgs("--output", file, dir)
	code, _, stderr := zsRun(t, args...)
	require.Equal(t, exitFilesFailed, code, stderr)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.Remove(runPath(file)))

	code, _, stderr = zsRun(t, args...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, file+" has no run fingerprint ("+runPath(file)+"): a zeroshot older than the fingerprints wrote it")
	assert.Contains(t, stderr, "--force replaces it")

	require.NoError(t, os.Rename(file, file+".partial"))
	code, _, stderr = zsRun(t, args...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, file+".partial has no run fingerprint")
	require.NoError(t, os.WriteFile(file+".partial", b, 0o644))

	code, _, stderr = zsRun(t, append(args, "--force")...)
	assert.Equal(t, exitFilesFailed, code, stderr)
	assert.FileExists(t, runPath(file))
	assert.NoFileExists(t, file+".partial")
}

// Parts of different runs do not merge, whatever differs; the merged file's fingerprint
// is the single run's.
func TestMergeRefusesMixedRuns(t *testing.T) {
	dir, _ := imageDir(t)
	tmp := t.TempDir()
	part := func(k int, flags ...string) string {
		p := filepath.Join(tmp, fmt.Sprintf("shard-%d.jsonl", k))
		classifyTo(t, p, append(flags, "--force", "--shard", fmt.Sprintf("%d/3", k), dir)...)
		return p
	}
	for k := 0; k < 3; k++ {
		part(k)
	}
	all := filepath.Join(tmp, "all.jsonl")
	zsOK(t, "merge", "--images", dir, filepath.Join(tmp, "shard-*.jsonl"), "--output", all)
	single := filepath.Join(tmp, "single.jsonl")
	want := classifyTo(t, single, dir)
	got, err := os.ReadFile(all)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
	a, err := os.ReadFile(runPath(all))
	require.NoError(t, err)
	var ma, ms runInfo
	require.NoError(t, json.Unmarshal(a, &ma))
	ms2, err := readRunInfo(single, single)
	require.NoError(t, err)
	ms = *ms2
	assert.Equal(t, ms.Fingerprint, ma.Fingerprint)
	assert.Equal(t, ms.Output, ma.Output, "the merged file records the single run's images")

	type mixed struct {
		name  string
		flags []string
		msg   string
	}
	cases := []mixed{
		{"labels", []string{"--labels", "car,boat,plane,owl"}, "labels: 4 labels (car, boat, plane, …) sha256 "},
		{"model", []string{"--model", oddModel}, "model weights: "},
		{"templates", []string{"--templates", "simple7"}, "templates: 7 templates "},
		{"top-k", []string{"--top-k", "1"}, "--top-k: 1 in "},
		{"batching", []string{"--batching", "batched"}, "batching: batched (8 images per forward) in "},
	}
	if ms.Run.Attention == "sdpa" { // the 2.11.0 default; eager is 2.1.0's
		cases = append(cases, mixed{"attention", []string{"--attention", "eager"}, "attention: eager in "})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			odd := part(1, c.flags...)
			code, _, stderr := zsRun(t, "merge", "--images", dir, filepath.Join(tmp, "shard-*.jsonl"))
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, odd+" and "+filepath.Join(tmp, "shard-0.jsonl")+" are parts of different runs:\n")
			assert.Contains(t, stderr, c.msg)
			assert.Contains(t, stderr, "parts of different runs do not merge")
			part(1) // back
		})
	}
}

// embed records its runs too: --normalized, the model, --part-rows are this run's or
// the output is refused; text embeddings carry a fingerprint of their own.
func TestEmbedRunFingerprint(t *testing.T) {
	dir, _ := imageDir(t)
	out := filepath.Join(t.TempDir(), "e.npy")
	args := func(extra ...string) []string {
		return embedArgs(append(extra, "--output", out, dir)...)
	}
	code, _, stderr := zsRun(t, args("--batching", "per-image")...)
	require.Equal(t, exitFilesFailed, code, stderr)
	index := strings.TrimSuffix(out, ".npy") + ".index.jsonl"
	id, err := readRunInfo(index, index)
	require.NoError(t, err)
	assert.Equal(t, "embed", id.Command)
	require.NotNil(t, id.Run.Normalized)
	assert.False(t, *id.Run.Normalized)
	assert.Equal(t, 65536, id.Output.PartRows)

	for flag, msg := range map[string]string{
		"--normalized":       "--normalized: false there, true here",
		"--part-rows=2":      "--part-rows: 65536 there, 2 here",
		"--batching=batched": "batching: per-image there, batched (8 images per forward) here",
	} {
		code, _, stderr := zsRun(t, args(flag)...)
		assert.Equal(t, 2, code, flag)
		assert.Contains(t, stderr, msg, flag)
	}

	texts := filepath.Join(t.TempDir(), "t.jsonl")
	zsOK(t, "embed", "--model", tinyModel, "--threads", "1", "--texts", "a cat,a dog", "--output", texts)
	tid, err := readRunInfo(texts, texts)
	require.NoError(t, err)
	assert.Equal(t, "embed-texts", tid.Command)
	assert.Equal(t, 8, tid.Run.BatchSize, "texts are padded per batch: the batch size counts")
	assert.Equal(t, 2, tid.Output.Texts.Count)
}
