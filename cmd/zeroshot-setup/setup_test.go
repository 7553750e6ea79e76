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

func newModule(t *testing.T, gomod string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	return dir
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

// Built inside the clone (go test, go run ./cmd/zeroshot-setup), the source is the clone.
func TestFindSourceClone(t *testing.T) {
	src, err := findSource(options{})
	require.NoError(t, err)
	assert.Equal(t, repoRoot(t), src.dir)
	assert.True(t, src.local)
	assert.Equal(t, localVersion, src.version)

	_, err = findSource(options{source: t.TempDir()})
	assert.ErrorContains(t, err, "go.mod")
	other := newModule(t, "module example.com/other\n")
	_, err = findSource(options{source: other})
	assert.ErrorContains(t, err, "is module example.com/other")
}

func TestModuleCacheVersion(t *testing.T) {
	v, ok := moduleCacheVersion("/root/go/pkg/mod/github.com/zeroshot-clip/zeroshot@v1.2.3")
	assert.True(t, ok)
	assert.Equal(t, "v1.2.3", v)
	_, ok = moduleCacheVersion("/work/zeroshot")
	assert.False(t, ok)
}

func TestFindTarget(t *testing.T) {
	_, err := findTarget(repoRoot(t))
	assert.ErrorContains(t, err, "this library's own module")
	assert.IsType(t, exitUsage{}, err)

	_, err = findTarget(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "not a directory")

	// A directory below the module finds it.
	dir := newModule(t, "module example.com/app\n\ngo 1.26\n")
	sub := filepath.Join(dir, "cmd", "app")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	tg, err := findTarget(sub)
	require.NoError(t, err)
	assert.Equal(t, dir, tg.dir)
	assert.Equal(t, "example.com/app", tg.path)
}

// The setup of one version refuses a go.mod set up for another (the patches belong to
// one version), naming both.
func TestCheckLibraryVersion(t *testing.T) {
	released := source{dir: "/mod/zeroshot@v0.2.0", version: "v0.2.0"}
	clone := source{dir: repoRoot(t), version: localVersion, local: true}
	for _, c := range []struct {
		name, gomod string
		src         source
		err         string
	}{
		{"fresh", "module example.com/app\n", released, ""},
		{"same version", "module example.com/app\nrequire github.com/zeroshot-clip/zeroshot v0.2.0\n", released, ""},
		{"other version", "module example.com/app\nrequire github.com/zeroshot-clip/zeroshot v0.1.0\n", released, "requires github.com/zeroshot-clip/zeroshot v0.1.0 but this is the setup of v0.2.0"},
		{"replaced by a clone", "module example.com/app\nreplace github.com/zeroshot-clip/zeroshot => ../zs\n", released, "replaces github.com/zeroshot-clip/zeroshot with ../zs"},
		{"clone again", "module example.com/app\nreplace github.com/zeroshot-clip/zeroshot => " + clone.dir + "\n", clone, ""},
		{"another clone", "module example.com/app\nreplace github.com/zeroshot-clip/zeroshot => /elsewhere\n", clone, "not with " + clone.dir},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, err := findTarget(newModule(t, c.gomod))
			require.NoError(t, err)
			err = tg.checkLibraryVersion(c.src)
			if c.err == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, c.err)
				assert.IsType(t, exitUsage{}, err)
			}
		})
	}
}

// apply + uninstall on a clone: both replace lines and the placeholder require come and
// go; a gotch replace that is not the setup's stays.
func TestApplyUninstallClone(t *testing.T) {
	cache := t.TempDir()
	dir := newModule(t, "module example.com/app\n\ngo 1.26\n")
	tg, err := findTarget(dir)
	require.NoError(t, err)
	src := source{dir: repoRoot(t), version: localVersion, local: true}
	link := filepath.Join(cache, "gotch", "torch-2.1.0-cpu")
	require.NoError(t, tg.apply(src, built{link: link}))
	assert.Equal(t, link, tg.replaced(gotchModule))
	assert.Equal(t, src.dir, tg.replaced(zeroshotModule))
	assert.Equal(t, localVersion, tg.required(zeroshotModule))

	var out bytes.Buffer
	require.NoError(t, uninstall(options{dir: dir, cache: cache}, &out, &out))
	tg, err = findTarget(dir)
	require.NoError(t, err)
	assert.Empty(t, tg.replaced(gotchModule), out.String())
	assert.Empty(t, tg.replaced(zeroshotModule))
	assert.Empty(t, tg.required(zeroshotModule))

	out.Reset()
	require.NoError(t, tg.edit("-replace="+gotchModule+"=../my-gotch"))
	require.NoError(t, uninstall(options{dir: dir, cache: cache}, &out, &out))
	assert.Contains(t, out.String(), "kept replace github.com/sugarme/gotch => ../my-gotch (not written by zeroshot-setup)")
	assert.Contains(t, out.String(), "nothing of zeroshot-setup's to remove")
}

func TestOurs(t *testing.T) {
	cache := "/home/u/.cache/zeroshot-clip"
	assert.True(t, ours(cache+"/gotch/torch-2.1.0-cpu", cache))
	assert.True(t, ours("/elsewhere/zeroshot-clip/gotch/torch-2.11.0-cuda", cache), "set up with another CACHE_DIR")
	assert.True(t, ours("/elsewhere/gotch/v0.9.1-8ebcbc7be9b2", cache), "the Makefile's hashed copy")
	assert.False(t, ours("../my-gotch", cache))
	assert.False(t, ours("/src/gotch", cache))
}

// clean deletes what the scripts and the setup write, and only that.
func TestClean(t *testing.T) {
	cache := t.TempDir()
	for _, d := range []string{"gotch/v0.9.1-abc/libtch", "libtorch-2.1.0-pypi/torch/lib", "wheels", "setup", "oracle-123/bin", "full-l14"} {
		require.NoError(t, os.MkdirAll(filepath.Join(cache, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(cache, "wheels", "torch.whl"), make([]byte, 3<<20), 0o644))
	require.NoError(t, os.Chmod(filepath.Join(cache, "gotch", "v0.9.1-abc", "libtch"), 0o555)) // as copied from the module cache
	require.NoError(t, os.Symlink("v0.9.1-abc", filepath.Join(cache, "gotch", "torch-2.1.0-cpu")))
	var out bytes.Buffer
	require.NoError(t, clean(options{cache: cache}, &out, &out))
	left, err := os.ReadDir(cache)
	require.NoError(t, err)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"full-l14", "oracle-123"}, names)
	assert.Contains(t, out.String(), "wheels (3.0 MB)")
	assert.Contains(t, out.String(), "kept in "+cache+" (not the setup's): full-l14, oracle-123")

	out.Reset()
	require.NoError(t, clean(options{cache: filepath.Join(cache, "none")}, &out, &out))
	assert.Contains(t, out.String(), "nothing to delete")
}

func TestPointLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "torch-2.1.0-cpu")
	for _, target := range []string{"v0.9.1-aaa", "v0.9.1-bbb"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, target), 0o755))
		require.NoError(t, pointLink(link, filepath.Join(dir, target)))
		dest, err := os.Readlink(link)
		require.NoError(t, err)
		assert.Equal(t, target, dest, "a copy beside the link is linked relatively")
	}
	elsewhere := t.TempDir()
	require.NoError(t, pointLink(link, elsewhere))
	dest, _ := os.Readlink(link)
	assert.Equal(t, elsewhere, dest)

	real := filepath.Join(dir, "torch-2.1.0-cuda")
	require.NoError(t, os.Mkdir(real, 0o755))
	assert.ErrorContains(t, pointLink(real, elsewhere), "not a symbolic link")
}

func TestLinkName(t *testing.T) {
	assert.Equal(t, "torch-2.1.0-cpu", linkName(built{version: "2.1.0", origin: "pypi", abi: "0"}))
	assert.Equal(t, "torch-2.11.0-cuda", linkName(built{version: "2.11.0", cuda: true, origin: "pypi", abi: "1"}))
	assert.Equal(t, "torch-2.1.0-cpu-zip-abi1", linkName(built{version: "2.1.0", origin: "zip", abi: "1"}))
}

// What make libtorch reads is staged, scripts executable whatever their mode was (module
// zips keep none).
func TestStageBuildFiles(t *testing.T) {
	to := t.TempDir()
	require.NoError(t, stageBuildFiles(repoRoot(t), to))
	for _, f := range []string{"Makefile", "libtorch.mk", "go.mod", "go.sum"} {
		assert.FileExists(t, filepath.Join(to, f))
	}
	st, err := os.Stat(filepath.Join(to, "scripts", "libtorch.sh"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())
	patches, err := filepath.Glob(filepath.Join(to, "patches", "gotch", "*"))
	require.NoError(t, err)
	assert.NotEmpty(t, patches)
	assert.NoDirExists(t, filepath.Join(to, "testdata"))
}

func TestReadBuilt(t *testing.T) {
	stage := t.TempDir()
	lt := filepath.Join(stage, "lt")
	vh := filepath.Join(lt, "include", "torch", "csrc", "api", "include", "torch")
	require.NoError(t, os.MkdirAll(vh, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(vh, "version.h"), []byte("#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 11\n#define TORCH_VERSION_PATCH 0\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(stage, "build"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(stage, "build", "libtorch.env"), []byte("LT_DIR="+lt+"\nLT_ABI=1\nLT_CUDA=1\nLT_SOURCE=pypi\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(stage, "build", "go.gen.mod"), []byte("module m\n\nreplace github.com/sugarme/gotch => /c/gotch/v0.9.1-x\n"), 0o644))
	b, err := readBuilt(stage)
	require.NoError(t, err)
	assert.Equal(t, built{libtorch: lt, version: "2.11.0", cuda: true, origin: "pypi", abi: "1", gotch: "/c/gotch/v0.9.1-x"}, b)

	// The scripts' LT_VERSION wins; newer libtorch keeps the numbers in headeronly/version.h.
	require.NoError(t, os.WriteFile(filepath.Join(stage, "build", "libtorch.env"), []byte("LT_DIR="+lt+"\nLT_ABI=1\nLT_CUDA=link\nLT_SOURCE=pypi\nLT_VERSION=2.12.0\n"), 0o644))
	b, err = readBuilt(stage)
	require.NoError(t, err)
	assert.Equal(t, "2.12.0", b.version)
	assert.True(t, b.cuda, "CUDA=link is a CUDA build")
	ho := filepath.Join(lt, "include", "torch", "headeronly")
	require.NoError(t, os.MkdirAll(ho, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ho, "version.h"), []byte("#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 13\n#define TORCH_VERSION_PATCH 1\n"), 0o644))
	v, err := libtorchVersion(lt)
	require.NoError(t, err)
	assert.Equal(t, "2.13.1", v)
}

func TestChildEnvDropsModfile(t *testing.T) {
	t.Setenv("GOFLAGS", "-buildvcs=false -modfile=/x/build/go.gen.mod -mod=mod")
	var goflags string
	for _, kv := range childEnv("A=1") {
		if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			goflags = v
		}
	}
	assert.Equal(t, "-buildvcs=false -mod=mod", goflags)
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run([]string{"-h"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "zeroshot-setup uninstall")
	assert.Contains(t, errOut.String(), "-torch")
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"extra"}, &out, &errOut))
	assert.Contains(t, errOut.String(), `unexpected argument "extra"`)
	// The subcommand after the flags, and flags after it.
	for _, args := range [][]string{{"--cache", filepath.Join(t.TempDir(), "none"), "clean"}, {"clean", "--cache", filepath.Join(t.TempDir(), "none")}} {
		out.Reset()
		errOut.Reset()
		assert.Equal(t, 0, run(args, &out, &errOut), "%v: %s", args, errOut.String())
		assert.Contains(t, out.String(), "nothing to delete", args)
	}
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"clean", "--print", "extra"}, &out, &errOut))
	assert.Contains(t, errOut.String(), `unexpected argument "extra"`)
	errOut.Reset()
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"-C", filepath.Join(t.TempDir(), "nope")}, &out, &errOut))
	assert.Contains(t, errOut.String(), "not a directory")
	errOut.Reset()
	notModule := t.TempDir()
	t.Setenv("GOFLAGS", "")
	assert.Equal(t, 2, run([]string{"-C", notModule}, &out, &errOut))
	assert.Contains(t, errOut.String(), "is not in a Go module: run `go mod init MODULE-PATH` there first")
}
