package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The weights digest: a Hub snapshot's blob name as it is; otherwise the file's SHA-256,
// kept in the user cache and read again only when the file changed.
func TestWeightsDigest(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	w := filepath.Join(dir, "model.safetensors")
	require.NoError(t, os.WriteFile(w, []byte("weights v1"), 0o644))
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

	got, err := weightsDigest(w, nil)
	require.NoError(t, err)
	assert.Equal(t, sum("weights v1"), got)
	cached, err := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "zeroshot-clip", "digests", "*.json"))
	require.NoError(t, err)
	assert.Len(t, cached, 1)

	// Rewritten in place, even with the old size and modification time: read again.
	st, err := os.Stat(w)
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, os.WriteFile(w, []byte("weights v2"), 0o644))
	require.NoError(t, os.Chtimes(w, st.ModTime(), st.ModTime()))
	got, err = weightsDigest(w, nil)
	require.NoError(t, err)
	assert.Equal(t, sum("weights v2"), got)

	// A Hub snapshot: snapshots/REV/model.safetensors -> ../../blobs/<sha256>.
	hub := t.TempDir()
	blob := filepath.Join(hub, "blobs", sum("the hub's file"))
	require.NoError(t, os.MkdirAll(filepath.Dir(blob), 0o755))
	require.NoError(t, os.WriteFile(blob, []byte("not what the name says: the name is trusted"), 0o644))
	snap := filepath.Join(hub, "snapshots", "abc")
	require.NoError(t, os.MkdirAll(snap, 0o755))
	require.NoError(t, os.Symlink(filepath.Join("..", "..", "blobs", filepath.Base(blob)), filepath.Join(snap, "model.safetensors")))
	got, err = weightsDigest(filepath.Join(snap, "model.safetensors"), nil)
	require.NoError(t, err)
	assert.Equal(t, sum("the hub's file"), got)

	// The model's files beside the weights count too.
	a, err := modelDigest(dir, w, nil)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"projection_dim": 8}`), 0o644))
	b, err := modelDigest(dir, w, nil)
	require.NoError(t, err)
	assert.Equal(t, a.Weights, b.Weights)
	assert.NotEqual(t, a.Files, b.Files)
}
