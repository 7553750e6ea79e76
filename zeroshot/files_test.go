package zeroshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// imageTree makes a directory with images, non-images and hidden entries.
func imageTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range []string{"a/B.JPG", "a/c.png", "a/.hidden.png", "a/.git/x.png", "a/notes.txt",
		"a/sub/d.webp", "a/sub/e.TIFF", "a.png", "z.bmp", "empty/readme.md"} {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte("x"), 0o644))
	}
	require.NoError(t, os.Symlink(filepath.Join(root, "z.bmp"), filepath.Join(root, "a", "link.gif")))
	require.NoError(t, os.Symlink(filepath.Join(root, "a", "sub"), filepath.Join(root, "a", "linkdir.png")))
	return root
}

func TestFindImages(t *testing.T) {
	root := imageTree(t)
	j := func(ps ...string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = filepath.Join(root, p)
		}
		return out
	}
	cases := []struct {
		name string
		args []string
		want []string
		err  string
	}{
		{"dir: recursive, sorted, case-insensitive extensions, no hidden, file links only",
			j("a"), j("a/B.JPG", "a/c.png", "a/link.gif", "a/sub/d.webp", "a/sub/e.TIFF"), ""},
		{"explicit file whatever its extension", j("a/notes.txt"), j("a/notes.txt"), ""},
		{"argument order kept, duplicates dropped",
			j("z.bmp", "a/sub", "z.bmp", "a/sub/d.webp"), j("z.bmp", "a/sub/d.webp", "a/sub/e.TIFF"), ""},
		{"glob: image files and walked directories", j("*"),
			j("a/B.JPG", "a/c.png", "a/link.gif", "a/sub/d.webp", "a/sub/e.TIFF", "a.png", "z.bmp"), ""},
		{"glob of files", j("a/*.png"), j("a/c.png"), ""},
		{"missing file", j("nope.png"), nil, "no such file"},
		{"glob without images", j("a/*.txt"), nil, "matches no image files"},
		{"bad pattern", j("a/[.png"), nil, "syntax error in pattern"},
		{"directory without images", j("empty"), nil, "no image files"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindImages(tc.args...)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestIsImageFile(t *testing.T) {
	for _, ext := range ImageExtensions {
		assert.True(t, IsImageFile("x"+ext), ext)
		assert.True(t, IsImageFile("x"+strings.ToUpper(ext)), ext)
	}
	for _, name := range []string{"x", "x.txt", "x.npy", "png", "x.png.bak"} {
		assert.False(t, IsImageFile(name), name)
	}
}
