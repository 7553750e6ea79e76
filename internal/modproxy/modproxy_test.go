package modproxy

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A published tree is a GOPROXY directory the go command reads: a content-derived
// pseudo-version, @latest naming it, and a zip with the module's files under
// module@version/, without nested modules.
func TestPublish(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	root := t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/m\n\ngo 1.26\n",
		"a.go":              "package m\n",
		"sub/b.go":          "package sub\n",
		"nested/go.mod":     "module example.com/m/nested\n",
		"nested/c.go":       "package nested\n",
		"testdata/data.txt": "kept\n",
	}
	for name, body := range files {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	run := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	run("init", "-q")
	require.NoError(t, os.WriteFile(filepath.Join(root, ".gitignore"), []byte("ignored.go\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "ignored.go"), []byte("package m\n"), 0o644))

	m, err := Publish(root, filepath.Join(t.TempDir(), "p1"))
	require.NoError(t, err)
	assert.Equal(t, "example.com/m", m.Path)
	assert.Regexp(t, `^v0\.0\.0-20000101000000-[0-9a-f]{12}$`, m.Version)
	latest, err := os.ReadFile(filepath.Join(m.Proxy, "example.com", "m", "@latest"))
	require.NoError(t, err)
	assert.Contains(t, string(latest), m.Version)

	z, err := zip.OpenReader(filepath.Join(m.Proxy, "example.com", "m", "@v", m.Version+".zip"))
	require.NoError(t, err)
	defer z.Close()
	var names []string
	for _, f := range z.File {
		names = append(names, strings.TrimPrefix(f.Name, "example.com/m@"+m.Version+"/"))
	}
	assert.ElementsMatch(t, []string{".gitignore", "a.go", "go.mod", "sub/b.go", "testdata/data.txt"}, names)

	// The same tree gives the same version; a change, another.
	again, err := Publish(root, filepath.Join(t.TempDir(), "p2"))
	require.NoError(t, err)
	assert.Equal(t, m.Version, again.Version)
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.go"), []byte("package m // changed\n"), 0o644))
	changed, err := Publish(root, filepath.Join(t.TempDir(), "p3"))
	require.NoError(t, err)
	assert.NotEqual(t, m.Version, changed.Version)
}

// Prune removes this package's old versions only: not the one kept, not a recent one,
// not a real release.
func TestPrune(t *testing.T) {
	cache := t.TempDir()
	dl := filepath.Join(cache, "cache", "download", "example.com", "m", "@v")
	require.NoError(t, os.MkdirAll(dl, 0o755))
	mk := func(v string, age time.Duration) {
		dir := filepath.Join(cache, "example.com", "m@"+v)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "f.go"), nil, 0o444))
		require.NoError(t, os.Chmod(filepath.Join(dir, "sub"), 0o555)) // as in the module cache
		zip := filepath.Join(dl, v+".zip")
		require.NoError(t, os.WriteFile(zip, nil, 0o644))
		old := time.Now().Add(-age)
		require.NoError(t, os.Chtimes(dir, old, old))
		require.NoError(t, os.Chtimes(zip, old, old))
	}
	mk("v0.0.0-20000101000000-aaaaaaaaaaaa", 3*time.Hour) // old: removed
	mk("v0.0.0-20000101000000-bbbbbbbbbbbb", 3*time.Hour) // kept
	mk("v0.0.0-20000101000000-cccccccccccc", time.Minute) // recent: another run's
	mk("v1.0.0", 3*time.Hour)                             // a release
	require.NoError(t, Prune(cache, "example.com/m", "v0.0.0-20000101000000-bbbbbbbbbbbb", 2*time.Hour))
	left, err := filepath.Glob(filepath.Join(cache, "example.com", "m@*"))
	require.NoError(t, err)
	var versions []string
	for _, l := range left {
		versions = append(versions, strings.TrimPrefix(filepath.Base(l), "m@"))
	}
	assert.ElementsMatch(t, []string{"v0.0.0-20000101000000-bbbbbbbbbbbb", "v0.0.0-20000101000000-cccccccccccc", "v1.0.0"}, versions)
	assert.NoFileExists(t, filepath.Join(dl, "v0.0.0-20000101000000-aaaaaaaaaaaa.zip"))
	assert.FileExists(t, filepath.Join(dl, "v1.0.0.zip"))
}
