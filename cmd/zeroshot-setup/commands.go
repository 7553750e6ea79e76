package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func install(o options, stdout, stderr io.Writer) error {
	src, err := findSource(o)
	if err != nil {
		return err
	}
	var t target
	if !o.print {
		// Check the caller's module before the long part.
		if t, err = findTarget(o.dir); err != nil {
			return err
		}
		if err := t.checkLibraryVersion(src); err != nil {
			return err
		}
	}
	cache, err := cacheDir(o)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "zeroshot-setup: "+format+"\n", a...) }
	say("library %s %s from %s", zeroshotModule, src.version, src.dir)
	b, err := buildGotch(src, o, cache, stderr)
	if err != nil {
		return err
	}
	device := "cpu"
	if b.cuda {
		device = "cuda"
	}
	say("libtorch %s (%s, %s) in %s", b.version, device, b.origin, b.libtorch)
	say("patched gotch in %s, linked as %s", b.gotch, b.link)
	if o.print {
		fmt.Fprintln(stdout, "Add to your go.mod (then go mod tidy):")
		for _, l := range goModLines(src, b) {
			fmt.Fprintln(stdout, "\t"+l)
		}
		return nil
	}
	if err := t.apply(src, b); err != nil {
		return err
	}
	for _, l := range goModLines(src, b) {
		say("%s: %s", t.gomod, l)
	}
	say("next: import %q in your code, then go mod tidy && go run .", zeroshotModule+"/zeroshot")
	say("undo: zeroshot-setup uninstall (go.mod); zeroshot-setup clean (deletes %s's libtorch and gotch)", cache)
	return nil
}

// uninstall takes out of go.mod what install put there: the replace of gotch by the
// cache's copy and, for a clone, the replace of this library (with its placeholder
// require, which cannot resolve without it). A released version's require stays: it is
// the caller's dependency now; go mod tidy drops it when no code imports it.
func uninstall(o options, stdout, stderr io.Writer) error {
	t, err := findTarget(o.dir)
	if err != nil {
		return err
	}
	cache, err := cacheDir(o)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "zeroshot-setup: "+format+"\n", a...) }
	changed := false
	if rep := t.replaced(gotchModule); rep != "" {
		if !ours(rep, cache) {
			say("%s: kept replace %s => %s (not written by zeroshot-setup)", t.gomod, gotchModule, rep)
		} else {
			if err := t.edit("-dropreplace=" + gotchModule); err != nil {
				return err
			}
			say("%s: removed replace %s => %s", t.gomod, gotchModule, rep)
			changed = true
		}
	}
	if rep := t.replaced(zeroshotModule); rep != "" && isLibraryRoot(t.abs(rep)) == nil {
		flags := []string{"-dropreplace=" + zeroshotModule}
		if t.required(zeroshotModule) == localVersion {
			flags = append(flags, "-droprequire="+zeroshotModule)
		}
		if err := t.edit(flags...); err != nil {
			return err
		}
		say("%s: removed replace %s => %s", t.gomod, zeroshotModule, rep)
		changed = true
	}
	if !changed {
		say("%s: nothing of zeroshot-setup's to remove", t.gomod)
	}
	return nil
}

// cleaned are the cache entries that the build scripts and this tool write; anything
// else there (the Python oracle, test models, the notebook tools) is left alone.
func cleaned(name string) bool {
	return name == "gotch" || name == "setup" || name == "wheels" || strings.HasPrefix(name, "libtorch-")
}

// clean deletes libtorch, the wheels and the gotch copies from the cache. Modules set up
// with them stop building until the next setup.
func clean(o options, stdout, stderr io.Writer) error {
	cache, err := cacheDir(o)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(cache)
	if os.IsNotExist(err) {
		fmt.Fprintf(stdout, "zeroshot-setup: %s does not exist: nothing to delete\n", cache)
		return nil
	}
	if err != nil {
		return err
	}
	var kept []string
	for _, e := range entries {
		path := filepath.Join(cache, e.Name())
		if !cleaned(e.Name()) {
			kept = append(kept, e.Name())
			continue
		}
		size := treeSize(path)
		if err := removeAll(path); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "zeroshot-setup: deleted %s (%s)\n", path, humanSize(size))
	}
	if len(kept) > 0 {
		sort.Strings(kept)
		fmt.Fprintf(stdout, "zeroshot-setup: kept in %s (not the setup's): %s\n", cache, strings.Join(kept, ", "))
	}
	fmt.Fprintln(stdout, "zeroshot-setup: modules set up before need zeroshot-setup again (and zeroshot-setup uninstall to drop their replace lines)")
	return nil
}

// removeAll deletes a tree, first making its directories writable (gotch's copy comes
// from the read-only module cache).
func removeAll(path string) error {
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(path)
}

func treeSize(path string) int64 {
	var n int64
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d kB", n>>10)
}
