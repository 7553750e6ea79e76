package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command takes its flags after its arguments as well as before them: each is run
// with all its flags last, and must do what it does with them first. A command added
// without a case here fails the test.
func TestFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	part := filepath.Join(dir, "part.jsonl")
	cases := map[string]struct {
		args  []string // flags last
		code  int
		check func(t *testing.T, stdout, stderr string)
	}{
		"classify": {args: []string{"classify", chelsea, "--model", tinyModel, "--labels", "cat,dog", "--format", "jsonl", "--output", part},
			check: func(t *testing.T, _, _ string) { assert.FileExists(t, part) }},
		"convert": {args: []string{"convert", tinyModel, filepath.Join(dir, "bf16.safetensors"), "--dtype", "bf16"},
			check: func(t *testing.T, _, _ string) { assert.FileExists(t, filepath.Join(dir, "bf16.safetensors")) }},
		"download": {args: []string{"download", tinyModel, "--offline"},
			check: func(t *testing.T, stdout, _ string) { assert.Equal(t, tinyModel+"\n", stdout) }},
		"embed": {args: []string{"embed", "--images", chelsea, "--model", tinyModel, "--output", filepath.Join(dir, "emb.jsonl")},
			check: func(t *testing.T, _, _ string) { assert.FileExists(t, filepath.Join(dir, "emb.jsonl")) }},
		"merge": {args: []string{"merge", part, "--format", "json"},
			check: func(t *testing.T, stdout, _ string) {
				assert.True(t, strings.HasPrefix(stdout, "[\n[{\"score\":"), stdout)
			}},
		"preprocess": {args: []string{"preprocess", chelsea, "--out", filepath.Join(dir, "pv"), "--dump-uint8"},
			check: func(t *testing.T, _, _ string) {
				assert.FileExists(t, filepath.Join(dir, "pv", "chelsea.npy"))
				assert.FileExists(t, filepath.Join(dir, "pv", "chelsea.png"))
			}},
		// serve takes no arguments: the flags after one are still flags, and only the
		// argument is refused.
		"serve": {args: []string{"serve", "extra", "--model", tinyModel, "--addr", "127.0.0.1:0"}, code: 2,
			check: func(t *testing.T, _, stderr string) {
				assert.Contains(t, stderr, `unexpected arguments ["extra"]`)
			}},
		"tokenize": {args: []string{"tokenize", "a photo of a cat", "--model", tinyModel, "--padding", "max_length", "--max-length", "9"},
			check: func(t *testing.T, stdout, _ string) {
				assert.Equal(t, "[2512,320,1125,539,320,2368,2513,2513,2513]\n", stdout)
			}},
		"version": {args: []string{"version", "extra"}, code: 2,
			check: func(t *testing.T, _, stderr string) { assert.Contains(t, stderr, `takes no arguments, got ["extra"]`) }},
	}
	var names []string
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names) // classify before merge, which reads its output
	for _, name := range names {
		tc, ok := cases[name]
		if !assert.True(t, ok, "command %s has no case in TestFlagsAfterArguments", name) {
			continue
		}
		code, stdout, stderr := zsRun(t, tc.args...)
		require.Equal(t, tc.code, code, "zeroshot %s: %s", strings.Join(tc.args, " "), stderr)
		tc.check(t, stdout, stderr)

		// -h after an argument shows the command's help.
		code, _, help := zsRun(t, name, "x", "-h")
		assert.Equal(t, 0, code, name)
		assert.Contains(t, help, "Usage: zeroshot "+name, name)
	}
}

// parse keeps "--" as the end of the flags, wherever it is, and the order of the
// positional arguments.
func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		n    int
	}{
		{[]string{"a", "-n", "1", "b"}, []string{"a", "b"}, 1},
		{[]string{"-n", "2", "a", "b", "-n=3"}, []string{"a", "b"}, 3},
		{[]string{"a", "--", "-n", "4", "b"}, []string{"a", "-n", "4", "b"}, 0},
		{[]string{"--", "--", "x"}, []string{"--", "x"}, 0},
		{[]string{"-", "-n", "5"}, []string{"-"}, 5},
		{nil, nil, 0},
	} {
		fs := newFlags("t", "t", os.Stderr)
		n := fs.Int("n", 0, "")
		pos, err := parseInterspersed(fs, tc.args)
		require.NoError(t, err, tc.args)
		assert.Equal(t, len(tc.pos), fs.NArg(), tc.args)
		if len(tc.pos) > 0 {
			assert.Equal(t, tc.pos, pos, tc.args)
		} else {
			assert.Empty(t, pos, tc.args)
		}
		assert.Equal(t, tc.n, *n, tc.args)
	}
}
