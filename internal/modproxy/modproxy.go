// Package modproxy publishes a module's working tree as a file-based GOPROXY, so that
// tests can use the module as a user will once it is released: `go get`, `go run
// module/cmd@latest`, the module cache, go.sum, with none of the clone's files in sight.
//
// The layout is the GOPROXY protocol's (go help goproxy): MODULE/@v/list, @latest,
// @v/VERSION.{info,mod,zip}. The version is a pseudo-version whose hash part comes
// from the files' contents, so an unchanged tree maps to the same version (and the
// same module cache entry), and any change to a new one.
package modproxy

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// stamp is the pseudo-version date of every published tree: it marks the versions
// this package made, which Prune removes from a module cache.
const stamp = "20000101000000"

// Module is a published tree.
type Module struct {
	Path    string // the module path
	Version string // its pseudo-version
	Proxy   string // the GOPROXY directory
	Files   int    // files in the module zip
}

// URL is the GOPROXY entry for the proxy directory.
func (m Module) URL() string { return "file://" + filepath.ToSlash(m.Proxy) }

// Publish writes the module rooted at root into a new proxy directory out. Its files
// are those git would publish from the working tree (tracked or untracked but not
// ignored, as they are now), minus what a module zip leaves out (nested modules,
// vendor/, symbolic links).
func Publish(root, out string) (Module, error) {
	modPath, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return Module{}, err
	}
	files, err := moduleFiles(root)
	if err != nil {
		return Module{}, err
	}
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return Module{}, err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s\x00%x\n", f, sum)
	}
	m := Module{Path: modPath, Proxy: out, Files: len(files)}
	m.Version = "v0.0.0-" + stamp + "-" + hex.EncodeToString(h.Sum(nil))[:12]

	dir := filepath.Join(out, filepath.FromSlash(modPath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Module{}, err
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, f := range files {
		w, err := zw.Create(modPath + "@" + m.Version + "/" + f)
		if err != nil {
			return Module{}, err
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return Module{}, err
		}
		if _, err := w.Write(b); err != nil {
			return Module{}, err
		}
	}
	if err := zw.Close(); err != nil {
		return Module{}, err
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return Module{}, err
	}
	info, _ := json.Marshal(map[string]string{"Version": m.Version, "Time": time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)})
	for name, b := range map[string][]byte{
		m.Version + ".info": info,
		m.Version + ".mod":  gomod,
		m.Version + ".zip":  zb.Bytes(),
		"list":              nil, // pseudo-versions are not listed; @latest names it
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return Module{}, err
		}
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "@latest"), info, 0o644); err != nil {
		return Module{}, err
	}
	return m, nil
}

// moduleFiles lists the files of the module at root, slash-separated and sorted.
func moduleFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s (the module's files are what git would publish): %w", root, err)
	}
	nested := map[string]bool{}
	var files []string
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if f == "" {
			continue
		}
		st, err := os.Lstat(filepath.Join(root, f))
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the working tree, or a symbolic link
		}
		if path.Base(f) == "go.mod" && f != "go.mod" {
			nested[path.Dir(f)] = true
		}
		files = append(files, f)
	}
	var keep []string
	for _, f := range files {
		if inside(f, nested) || f == "vendor" || strings.HasPrefix(f, "vendor/") {
			continue
		}
		keep = append(keep, f)
	}
	sort.Strings(keep)
	return keep, nil
}

// inside reports whether file f lies in one of the directories dirs.
func inside(f string, dirs map[string]bool) bool {
	for d := path.Dir(f); d != "." && d != "/"; d = path.Dir(d) {
		if dirs[d] {
			return true
		}
	}
	return false
}

func modulePath(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// Prune deletes from the module cache gomodcache the versions of modPath that Publish
// made, except keep and those used in the last age (another test run, from another clone,
// may be building with one right now), so that repeated test runs do not pile up copies.
func Prune(gomodcache, modPath, keep string, age time.Duration) error {
	prefix := "@v0.0.0-" + stamp + "-"
	extracted, _ := filepath.Glob(filepath.Join(gomodcache, filepath.FromSlash(modPath)+prefix+"*"))
	downloads, _ := filepath.Glob(filepath.Join(gomodcache, "cache", "download", filepath.FromSlash(modPath), "@v", "v0.0.0-"+stamp+"-*"))
	for _, p := range append(extracted, downloads...) {
		if strings.Contains(filepath.Base(p), keep) {
			now := time.Now()
			os.Chtimes(p, now, now) // in use again: fresh for the other runs' Prune
			continue
		}
		if st, err := os.Stat(p); err != nil || time.Since(st.ModTime()) < age {
			continue
		}
		filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(q, 0o755) // the module cache is read-only
			}
			return nil
		})
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}
