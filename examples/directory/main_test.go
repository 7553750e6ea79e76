package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	require.NoError(t, os.WriteFile(dst, b, 0o644))
}

// Every readable image gets a line, in sorted order; the bad one is reported and the
// run fails at the end without losing the others.
func TestDirectoryExample(t *testing.T) {
	dir := t.TempDir()
	td := filepath.Join("..", "..", "testdata")
	copyFile(t, filepath.Join("..", "chelsea.png"), filepath.Join(dir, "b", "chelsea.png"))
	copyFile(t, filepath.Join(td, "pipeline", "rotated6.jpg"), filepath.Join(dir, "a.jpg"))
	copyFile(t, filepath.Join(td, "images", "files", "bad_truncated.png"), filepath.Join(dir, "b", "bad.png"))
	copyFile(t, filepath.Join(td, "images", "files", "gif_p.gif"), filepath.Join(dir, "c.GIF"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644))

	var out, errs bytes.Buffer
	err := run([]string{"--model", filepath.Join(td, "models", "tiny-l14"), "--dir", dir, "--batch-size", "2"}, &out, &errs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 of 4 images")
	assert.Contains(t, errs.String(), "bad.png")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3, out.String())
	for i, name := range []string{"a.jpg", "b/chelsea.png", "c.GIF"} {
		fields := strings.Split(lines[i], "\t")
		require.Len(t, fields, 3)
		assert.Equal(t, filepath.Join(dir, name), fields[0])
		assert.Contains(t, "cat dog fox owl", fields[1])
	}

	out.Reset()
	require.NoError(t, os.Remove(filepath.Join(dir, "b", "bad.png")))
	require.NoError(t, run([]string{"--model", filepath.Join(td, "models", "tiny-l14"), "--dir", dir}, &out, &errs))
	assert.Equal(t, 3, strings.Count(out.String(), "\n"))
}
