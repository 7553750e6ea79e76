package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// cacheDir is where the build scripts keep what they fetch and generate, computed as
// libtorch.mk does: CACHE_DIR, else $XDG_CACHE_HOME/zeroshot-clip, else ~/.cache/zeroshot-clip.
func cacheDir(o options) (string, error) {
	dir := o.cache
	if dir == "" {
		dir = os.Getenv("CACHE_DIR")
	}
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("no cache directory: set CACHE_DIR or --cache (%w)", err)
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "zeroshot-clip")
	}
	return filepath.Abs(dir)
}

// built is what `make libtorch` resolved and wrote.
type built struct {
	libtorch string // LT_DIR: the libtorch directory gotch links
	version  string // libtorch's version, from its headers
	cuda     bool
	origin   string // LT_SOURCE: pypi or zip
	abi      string // LT_ABI
	gotch    string // the patched gotch copy (content-addressed directory)
	link     string // its stable name in the cache: what go.mod points at
}

// buildGotch runs the library's own `make libtorch` (scripts/libtorch.sh, then
// scripts/gen-gotch.sh) on a writable copy of its build files, since the module cache
// is read-only and the scripts write build/ next to themselves. TORCH, CUDA and LIBTORCH
// are passed through. Then it points the stable link at the gotch copy.
func buildGotch(src source, o options, cache string, progress io.Writer) (built, error) {
	if _, err := exec.LookPath("make"); err != nil {
		return built{}, errors.New("make is not installed (Debian: apt-get install make gcc g++ patch binutils libjpeg62-turbo-dev; see the README's Prerequisites)")
	}
	if err := os.MkdirAll(filepath.Join(cache, "setup"), 0o755); err != nil {
		return built{}, err
	}
	stage, err := os.MkdirTemp(filepath.Join(cache, "setup"), "stage-")
	if err != nil {
		return built{}, err
	}
	defer os.RemoveAll(stage)
	if err := stageBuildFiles(src.dir, stage); err != nil {
		return built{}, fmt.Errorf("copy the build files of %s: %w", src.dir, err)
	}
	env := []string{"CACHE_DIR=" + cache}
	if o.torch != "" {
		env = append(env, "TORCH="+o.torch)
	}
	if o.cuda {
		env = append(env, "CUDA=1")
	}
	if o.libtorch != "" {
		lt, err := filepath.Abs(o.libtorch)
		if err != nil {
			return built{}, err
		}
		env = append(env, "LIBTORCH="+lt)
	}
	cmd := exec.Command("make", "--no-print-directory", "libtorch")
	cmd.Dir = stage
	cmd.Env = childEnv(env...)
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Run(); err != nil {
		return built{}, fmt.Errorf("make libtorch (the build scripts of %s, with %s): %w", src.dir, strings.Join(env, " "), err)
	}
	b, err := readBuilt(stage)
	if err != nil {
		return built{}, err
	}
	b.link = filepath.Join(cache, "gotch", linkName(b))
	if err := pointLink(b.link, b.gotch); err != nil {
		return built{}, err
	}
	return b, nil
}

// stageBuildFiles copies what `make libtorch` reads: the module's top-level files (Makefile,
// libtorch.mk, go.mod, go.sum, …) and its scripts/ and patches/ trees. Scripts are made
// executable (module zips keep no file modes).
func stageBuildFiles(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if err := copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name()), 0o644); err != nil {
				return err
			}
		}
	}
	for _, tree := range []string{"scripts", "patches"} {
		root := filepath.Join(from, tree)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(from, path)
			dst := filepath.Join(to, rel)
			switch {
			case d.IsDir():
				return os.MkdirAll(dst, 0o755)
			case d.Type().IsRegular():
				mode := os.FileMode(0o644)
				if tree == "scripts" {
					mode = 0o755
				}
				return copyFile(path, dst, mode)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func copyFile(from, to string, mode os.FileMode) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, mode)
}

// readBuilt reads what `make libtorch` left in build/: libtorch.env (LT_DIR, LT_ABI,
// LT_CUDA, LT_SOURCE) and go.gen.mod's replace line for gotch.
func readBuilt(stage string) (built, error) {
	vars, err := readEnvFile(filepath.Join(stage, "build", "libtorch.env"))
	if err != nil {
		return built{}, err
	}
	// LT_CUDA is 0, 1, or link (CUDA linked, its libraries from another machine).
	cuda := vars["LT_CUDA"] != "" && vars["LT_CUDA"] != "0"
	b := built{libtorch: vars["LT_DIR"], cuda: cuda, origin: vars["LT_SOURCE"], abi: vars["LT_ABI"]}
	if b.libtorch == "" {
		return built{}, errors.New("make libtorch wrote no LT_DIR in build/libtorch.env")
	}
	// LT_VERSION is the scripts' own reading of the version; older scripts did not print it.
	if b.version = vars["LT_VERSION"]; b.version == "" {
		if b.version, err = libtorchVersion(b.libtorch); err != nil {
			return built{}, err
		}
	}
	gen := filepath.Join(stage, "build", "go.gen.mod")
	if b.gotch, err = replaceTarget(gen, gotchModule); err != nil {
		return built{}, err
	}
	return b, nil
}

func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vars[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return vars, sc.Err()
}

// replaceTarget reads the last "replace MODULE => DIR" line of a go.mod file.
func replaceTarget(gomod, module string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	re := regexp.MustCompile(`(?m)^replace\s+` + regexp.QuoteMeta(module) + `\s+=>\s+(\S+)\s*$`)
	m := re.FindAllStringSubmatch(string(b), -1)
	if m == nil {
		return "", fmt.Errorf("%s has no replace line for %s", gomod, module)
	}
	return m[len(m)-1][1], nil
}

var versionDefine = regexp.MustCompile(`(?m)^#define TORCH_VERSION_(MAJOR|MINOR|PATCH) (\d+)`)

// libtorchVersion reads MAJOR.MINOR.PATCH from libtorch's headers: 2.1.0 defines them in
// torch/csrc/api/include/torch/version.h, newer releases in torch/headeronly/version.h.
func libtorchVersion(dir string) (string, error) {
	h := filepath.Join(dir, "include", "torch", "headeronly", "version.h")
	if _, err := os.Stat(h); err != nil {
		h = filepath.Join(dir, "include", "torch", "csrc", "api", "include", "torch", "version.h")
	}
	b, err := os.ReadFile(h)
	if err != nil {
		return "", fmt.Errorf("libtorch version: %w", err)
	}
	parts := map[string]string{}
	for _, m := range versionDefine.FindAllStringSubmatch(string(b), -1) {
		parts[m[1]] = m[2]
	}
	if len(parts) != 3 {
		return "", fmt.Errorf("%s: no TORCH_VERSION_MAJOR/MINOR/PATCH", h)
	}
	return parts["MAJOR"] + "." + parts["MINOR"] + "." + parts["PATCH"], nil
}

// linkName is the stable name of a flavour of the patched gotch: the libtorch version,
// cpu or cuda, and for an official zip (LIBTORCH) its C++ ABI.
func linkName(b built) string {
	name := "torch-" + b.version + "-cpu"
	if b.cuda {
		name = "torch-" + b.version + "-cuda"
	}
	if b.origin == "zip" {
		name += "-zip-abi" + b.abi
	}
	return name
}

// pointLink makes link a symlink to target, replacing an older link atomically (a
// build running meanwhile sees the old copy or the new one, never no directory).
// target is made relative when it sits beside link.
func pointLink(link, target string) error {
	if st, err := os.Lstat(link); err == nil && st.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%s exists and is not a symbolic link: remove it", link)
	}
	dest := target
	if filepath.Dir(filepath.Clean(target)) == filepath.Dir(link) {
		dest = filepath.Base(target)
	}
	if cur, err := os.Readlink(link); err == nil && cur == dest {
		return nil
	}
	tmp := fmt.Sprintf("%s.tmp.%d", link, os.Getpid())
	os.Remove(tmp)
	if err := os.Symlink(dest, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
