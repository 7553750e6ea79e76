package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// target is the caller's module.
type target struct {
	dir, gomod, path string
	file             goModJSON
}

// goModJSON is the part of `go mod edit -json` read here.
type goModJSON struct {
	Require []struct{ Path, Version string }
	Replace []struct {
		Old struct{ Path, Version string }
		New struct{ Path, Version string }
	}
}

// findTarget finds the module of dir (dir or a directory above it with go.mod).
func findTarget(dir string) (target, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return target{}, err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return target{}, exitUsage{fmt.Errorf("-C %s: not a directory", dir)}
	}
	out, err := goCmd(abs, "env", "GOMOD")
	if err != nil {
		return target{}, err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return target{}, exitUsage{fmt.Errorf("%s is not in a Go module: run `go mod init MODULE-PATH` there first", abs)}
	}
	t := target{dir: filepath.Dir(gomod), gomod: gomod}
	if t.path, err = modulePath(gomod); err != nil {
		return target{}, err
	}
	if t.path == zeroshotModule {
		return target{}, exitUsage{fmt.Errorf("%s is this library's own module: there, `make libtorch` sets up the build (see the README); give your module with -C DIR", t.dir)}
	}
	return t, t.read()
}

func (t *target) read() error {
	out, err := goCmd(t.dir, "mod", "edit", "-json")
	if err != nil {
		return err
	}
	t.file = goModJSON{}
	return json.Unmarshal(out, &t.file)
}

// required is the version of module that go.mod requires, or "".
func (t *target) required(module string) string {
	for _, r := range t.file.Require {
		if r.Path == module {
			return r.Version
		}
	}
	return ""
}

// replaced is the replacement of module (any version) in go.mod: a directory, or
// path@version; "" when none.
func (t *target) replaced(module string) string {
	for _, r := range t.file.Replace {
		if r.Old.Path == module {
			if r.New.Version != "" {
				return r.New.Path + "@" + r.New.Version
			}
			return r.New.Path
		}
	}
	return ""
}

// edit runs `go mod edit` with the flags on the module's go.mod.
func (t *target) edit(flags ...string) error {
	if _, err := goCmd(t.dir, append([]string{"mod", "edit"}, flags...)...); err != nil {
		return err
	}
	return t.read()
}

// abs resolves a replacement directory as the go command does: relative to the module.
func (t *target) abs(dir string) string {
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	return filepath.Join(t.dir, dir)
}

// checkLibraryVersion refuses to mix this setup with another version of the library
// that go.mod already uses: the patches and scripts belong to one version.
func (t *target) checkLibraryVersion(src source) error {
	rep := t.replaced(zeroshotModule)
	req := t.required(zeroshotModule)
	switch {
	case src.local && rep != "" && !sameDir(t.abs(rep), src.dir):
		return exitUsage{fmt.Errorf("%s replaces %s with %s, not with %s: run the setup of that copy (or drop the replace)", t.gomod, zeroshotModule, rep, src.dir)}
	case !src.local && rep != "":
		return exitUsage{fmt.Errorf("%s replaces %s with %s: run that copy's setup (go run ./cmd/zeroshot-setup -C %s, from it), or `go mod edit -dropreplace=%s` first", t.gomod, zeroshotModule, rep, t.dir, zeroshotModule)}
	case !src.local && req != "" && req != src.version:
		return exitUsage{fmt.Errorf("%s requires %s %s but this is the setup of %s: run go run %s/cmd/zeroshot-setup@%s (or go get %s@%s first)",
			t.gomod, zeroshotModule, req, src.version, zeroshotModule, req, zeroshotModule, src.version)}
	}
	return nil
}

func sameDir(a, b string) bool {
	ea, err1 := filepath.EvalSymlinks(a)
	eb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ea == eb
}

// goModLines are the lines setup puts in go.mod, for --print and the summary.
func goModLines(src source, b built) []string {
	lines := []string{fmt.Sprintf("replace %s => %s", gotchModule, b.link)}
	if src.local {
		lines = append(lines, fmt.Sprintf("replace %s => %s", zeroshotModule, src.dir))
	}
	return append(lines, fmt.Sprintf("require %s %s", zeroshotModule, src.version))
}

// apply writes the replace lines and requires the library: `go get` for a released
// version (it also raises the library's own requirements and fills go.sum); a plain
// require for a clone, which `go mod tidy` completes.
func (t *target) apply(src source, b built) error {
	flags := []string{"-replace=" + gotchModule + "=" + b.link}
	if src.local {
		flags = append(flags, "-replace="+zeroshotModule+"="+src.dir)
		if t.required(zeroshotModule) == "" {
			flags = append(flags, "-require="+zeroshotModule+"@"+src.version)
		}
	}
	if err := t.edit(flags...); err != nil {
		return err
	}
	if !src.local && t.required(zeroshotModule) != src.version {
		if _, err := goCmd(t.dir, "get", zeroshotModule+"@"+src.version); err != nil {
			return err
		}
		return t.read()
	}
	return nil
}

// ours reports whether a gotch replacement is one zeroshot-setup (or the Makefile)
// wrote: a directory in the cache's gotch/ folder.
func ours(dir, cache string) bool {
	d := filepath.Dir(filepath.Clean(dir))
	if sameDir(d, filepath.Join(cache, "gotch")) {
		return true
	}
	base := filepath.Base(dir)
	return filepath.Base(d) == "gotch" && (strings.HasPrefix(base, "torch-") || strings.HasPrefix(base, "v0.9.1-"))
}
