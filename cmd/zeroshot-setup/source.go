package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// source is where the library's build files (Makefile, libtorch.mk, scripts/, patches/)
// come from: the module cache for a released version, or a clone.
type source struct {
	dir     string // the module's root directory
	version string // the version the caller's go.mod should require
	local   bool   // a clone: the caller's go.mod also replaces the module with dir
}

// localVersion is what go.mod requires for a module that a replace directive points at a
// directory (the version go mod tidy writes for it).
const localVersion = "v0.0.0-00010101000000-000000000000"

// findSource locates the files of the library version this binary was built from:
// --source if given; else the directory this file was compiled from (the module cache
// for `go run …/zeroshot-setup@VERSION`, a clone for `go run ./cmd/zeroshot-setup`); else,
// for a -trimpath build, the module cache entry of the version in the build info.
func findSource(o options) (source, error) {
	if o.source != "" {
		dir, err := filepath.Abs(o.source)
		if err != nil {
			return source{}, err
		}
		if err := isLibraryRoot(dir); err != nil {
			return source{}, exitUsage{fmt.Errorf("--source %s: %w", o.source, err)}
		}
		return source{dir: dir, version: localVersion, local: true}, nil
	}
	version := buildVersion()
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if root, err := libraryRootAbove(filepath.Dir(file)); err == nil {
			if v, ok := moduleCacheVersion(root); ok {
				return source{dir: root, version: v}, nil
			}
			return source{dir: root, version: localVersion, local: true}, nil
		}
	}
	if version != "" {
		dir, err := downloadDir(zeroshotModule + "@" + version)
		if err != nil {
			return source{}, err
		}
		return source{dir: dir, version: version}, nil
	}
	return source{}, exitUsage{errors.New("cannot find this library's build files: run it as " +
		"go run " + zeroshotModule + "/cmd/zeroshot-setup@VERSION, or pass --source DIR (a clone)")}
}

// buildVersion is the library's version in this binary's build info: the main module's
// for `go run …@VERSION`, a dependency's when built inside the caller's module. "" when
// unknown or not a released version (a local build, a +dirty VCS stamp).
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	m := &bi.Main
	if m.Path != zeroshotModule {
		m = nil
		for _, d := range bi.Deps {
			if d.Path == zeroshotModule {
				m = d
			}
		}
	}
	if m == nil {
		return ""
	}
	if m.Replace != nil {
		m = m.Replace
	}
	v := m.Version
	if v == "" || v == "(devel)" || strings.Contains(v, "+") {
		return ""
	}
	return v
}

// moduleCacheVersion reports whether dir is a module cache entry (…/github.com/zeroshot-clip/zeroshot@VERSION)
// and its version.
func moduleCacheVersion(dir string) (string, bool) {
	base := filepath.Base(dir)
	prefix := filepath.Base(zeroshotModule) + "@"
	if !strings.HasPrefix(base, prefix) {
		return "", false
	}
	return strings.TrimPrefix(base, prefix), true
}

// libraryRootAbove walks up from dir to the root of this library's module.
func libraryRootAbove(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if isLibraryRoot(d) == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s module above %s", zeroshotModule, dir)
		}
	}
}

// isLibraryRoot checks that dir holds this library's go.mod and build scripts.
func isLibraryRoot(dir string) error {
	path, err := modulePath(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if path != zeroshotModule {
		return fmt.Errorf("%s is module %s, not %s", dir, path, zeroshotModule)
	}
	for _, f := range []string{"Makefile", "scripts/libtorch.sh", "scripts/gen-gotch.sh"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("%s lacks %s", dir, f)
		}
	}
	return nil
}

// modulePath reads the module line of a go.mod file.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// downloadDir returns the module cache directory of module@version (downloading it if
// needed; `go run …@VERSION` already has).
func downloadDir(modVersion string) (string, error) {
	out, err := goCmd(os.TempDir(), "mod", "download", "-json", modVersion)
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	if err != nil {
		return "", err
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s gave no directory", modVersion)
	}
	return info.Dir, nil
}
