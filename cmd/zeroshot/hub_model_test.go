package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/hub/hubtest"
)

// fakeHub serves the tiny-l14 fixture as "tiny/l14" from hub/hubtest and points the
// Hugging Face environment (HF_ENDPOINT, HF_HUB_CACHE) at it and at an empty cache.
func fakeHub(t *testing.T) (*hubtest.Server, string) {
	t.Helper()
	for _, k := range []string{"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT", "HF_HUB_OFFLINE",
		"TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "XDG_CACHE_HOME"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", t.TempDir())
	repo, err := hubtest.LoadRepo("tiny/l14", tinyModel, "golden*")
	require.NoError(t, err)
	srv := hubtest.NewServer(repo)
	t.Cleanup(srv.Close)
	cache := filepath.Join(t.TempDir(), "hub")
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_HUB_CACHE", cache)
	return srv, cache
}

// weightsFetched counts the GETs of the weights: model.safetensors is an LFS file, which
// the Hub redirects to its CDN.
func weightsFetched(srv *hubtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == "GET" && (r.Server == "cdn" || strings.Contains(r.Path, "model.safetensors")) {
			n++
		}
	}
	return n
}

// --model HUB_ID downloads the model into the Hub cache (with progress on stderr) and
// classifies as the local directory does; then the cache serves it offline. tokenize
// fetches only the tokenizer files.
func TestModelFromHub(t *testing.T) {
	srv, cache := fakeHub(t)
	args := []string{"--threads", "1", "--labels", "cat,dog,fox,owl", "--format", "json", chelsea}
	want := zsOK(t, append([]string{"classify", "--model", tinyModel}, args...)...)

	code, got, stderr := zsRun(t, append([]string{"classify", "--model", "tiny/l14", "--revision", "main"}, args...)...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, got)
	assert.Contains(t, stderr, "model.safetensors")
	assert.DirExists(t, filepath.Join(cache, "models--tiny--l14", "snapshots"))
	assert.Equal(t, 1, weightsFetched(srv))

	srv.ResetRequests()
	assert.Equal(t, want, zsOK(t, append([]string{"classify", "--model", "tiny/l14", "--offline"}, args...)...))
	zsOK(t, "embed", "--model", "tiny/l14", "--revision", "main", "--offline", "--texts", "a cat", "--out", filepath.Join(t.TempDir(), "e.npy"))
	assert.Empty(t, srv.Requests(), "--offline: the cache only")

	// Missing repo, and offline with nothing cached.
	code, _, stderr = zsRun(t, append([]string{"classify", "--model", "tiny/missing"}, args...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "model tiny/missing")
	code, _, stderr = zsRun(t, append([]string{"classify", "--model", "tiny/other", "--offline"}, args...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "offline")

	// tokenize: a fresh cache gets the tokenizer files, not the weights.
	t.Setenv("HF_HUB_CACHE", filepath.Join(t.TempDir(), "hub2"))
	srv.ResetRequests()
	want = zsOK(t, "tokenize", "--model", tinyModel, "a photo of a cat")
	assert.Equal(t, want, zsOK(t, "tokenize", "--model", "tiny/l14", "--revision", "main", "a photo of a cat"))
	assert.NotEmpty(t, srv.Requests())
	assert.Zero(t, weightsFetched(srv), "tokenize fetches no weights")
	assert.Equal(t, want, zsOK(t, "tokenize", "--model", "tiny/l14", "--offline", "a photo of a cat"))
}
