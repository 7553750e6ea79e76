package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// convert to a directory gives a complete model with the same scores (fp32); to a file,
// any dtype, a file clip.Load reads.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	classify := func(model string, extra ...string) string {
		return zsOK(t, append([]string{"classify", "--model", model, "--threads", "1", "--labels", "cat,dog,fox,owl",
			"--format", "json", chelsea}, extra...)...)
	}
	want := classify(tinyModel)

	out := zsOK(t, "convert", tinyModel, dir+"/fp32/")
	assert.Contains(t, out, filepath.Join(dir, "fp32", "model.safetensors")+"\tfloat32")
	for _, name := range []string{"config.json", "preprocessor_config.json", "tokenizer.json", "vocab.json", "merges.txt"} {
		assert.FileExists(t, filepath.Join(dir, "fp32", name))
	}
	assert.Equal(t, want, classify(filepath.Join(dir, "fp32")), "the converted model scores the same")

	for _, tc := range []struct{ src, dtype, name string }{
		{filepath.Join(tinyModel, "model.safetensors"), "bf16", "bfloat16"},
		{filepath.Join(tinyModel, "pytorch_model.bin"), "fp16", "float16"},
		{filepath.Join(dir, "fp32", "model.safetensors"), "fp32", "float32"},
	} {
		dst := filepath.Join(dir, tc.dtype+".safetensors")
		out := zsOK(t, "convert", "--dtype", tc.dtype, tc.src, dst)
		assert.Contains(t, out, "\t"+tc.name+"\t")
		m, err := clip.Load(dst, clip.Options{DType: map[string]clip.DType{"bf16": clip.BFloat16, "fp32": clip.Float32}[tc.dtype]})
		if tc.dtype == "fp16" {
			// Half runs on CUDA only; the file itself is checked by clip's tests.
			st, serr := os.Stat(dst)
			require.NoError(t, serr)
			assert.Greater(t, st.Size(), int64(1000))
			continue
		}
		require.NoError(t, err, tc.dtype)
		assert.Equal(t, tc.name, m.DType().String())
		m.Close()
	}
	// An existing directory as DST, the flags after the arguments.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bf16dir"), 0o755))
	zsOK(t, "convert", tinyModel, filepath.Join(dir, "bf16dir"), "--dtype", "bf16")
	bf := classify(filepath.Join(dir, "bf16dir"), "--dtype", "bf16")
	assert.True(t, strings.HasPrefix(bf, `[{"score":`), bf)
}

func TestConvertBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{tinyModel}, 2, "want SRC and DST"},
		{[]string{"--dtype", "int4", tinyModel, filepath.Join(dir, "x")}, 2, "int4"},
		{[]string{filepath.Join(dir, "nope"), filepath.Join(dir, "x")}, 1, "zeroshot download"},
		{[]string{filepath.Join(tinyModel, "config.json"), filepath.Join(dir, "x")}, 1, "config.json"},
	}
	for _, tc := range cases {
		code, out, stderr := zsRun(t, append([]string{"convert"}, tc.args...)...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.msg)
		assert.Empty(t, out)
	}
	assert.NoFileExists(t, filepath.Join(dir, "x"))
}
