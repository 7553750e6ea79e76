// Command zeroshot-setup makes a Go module ready to import github.com/zeroshot-clip/zeroshot:
// it fetches libtorch, writes the patched gotch copy this library needs (both with the
// build scripts of the library's own version: scripts/libtorch.sh, scripts/gen-gotch.sh)
// and points the module's go.mod at them. In your module:
//
//	go run github.com/zeroshot-clip/zeroshot/cmd/zeroshot-setup@latest
//	go mod tidy
//	go run .
//
// Run `zeroshot-setup -h` for the flags, `zeroshot-setup uninstall` to take the lines out
// of go.mod again and `zeroshot-setup clean` to delete what it fetched.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// The module this tool sets up, and the module it replaces in the caller's go.mod.
const (
	zeroshotModule = "github.com/zeroshot-clip/zeroshot"
	gotchModule    = "github.com/sugarme/gotch"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// exitUsage marks errors that are the caller's mistake (exit status 2).
type exitUsage struct{ error }

const usageText = `Usage:
  zeroshot-setup [flags]             set up the Go module of the current directory (or -C DIR)
  zeroshot-setup uninstall [flags]   take zeroshot-setup's lines out of that module's go.mod
  zeroshot-setup clean [flags]       delete what the setup fetched and wrote in the cache

Setup runs the build scripts of this library's version (make libtorch): libtorch
(PyPI's torch wheel, or --libtorch DIR) and a patched copy of gotch, both in the cache
(default ~/.cache/zeroshot-clip; CACHE_DIR or XDG_CACHE_HOME move it). It links the copy to
a stable name, CACHE/gotch/torch-VERSION-cpu (or -cuda), and edits go.mod:

  replace github.com/sugarme/gotch => CACHE/gotch/torch-VERSION-cpu
  require github.com/zeroshot-clip/zeroshot VERSION   (through go get)

It is idempotent: run it again after upgrading the library or to switch --torch/--cuda.
Run from a clone of the library (go run ./cmd/zeroshot-setup -C DIR, or make setup
MODULE=DIR), it also adds replace github.com/zeroshot-clip/zeroshot => the clone.

Flags:`

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "install"
	if len(args) > 0 && isCommand(args[0]) {
		cmd, args = args[0], args[1:]
	}
	var o options
	fs := flag.NewFlagSet("zeroshot-setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usageText)
		fs.PrintDefaults()
	}
	o.register(fs)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil && cmd == "install" && len(pos) > 0 && isCommand(pos[0]) { // flags first: -C DIR uninstall
		cmd, pos = pos[0], pos[1:]
	}
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("unexpected argument %q (the module is the current directory, or -C DIR)", pos[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "zeroshot-setup: %v\n", err)
		return 2
	}
	switch cmd {
	case "install":
		err = install(o, stdout, stderr)
	case "uninstall":
		err = uninstall(o, stdout, stderr)
	case "clean":
		err = clean(o, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zeroshot-setup %s: %v\n", cmd, err)
		var u exitUsage
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}

func isCommand(s string) bool { return s == "install" || s == "uninstall" || s == "clean" }

// parseInterspersed parses flags before, between and after the arguments ("--" ends
// them), as the zeroshot command does, and returns the arguments in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// options are the flags shared by the subcommands.
type options struct {
	dir      string // -C: the caller's module
	torch    string // --torch: TORCH for the build scripts ("" = their default)
	cuda     bool   // --cuda: CUDA=1
	libtorch string // --libtorch: LIBTORCH=DIR
	source   string // --source: a clone of the library to use instead of this build's
	cache    string // --cache: CACHE_DIR
	print    bool   // --print: do not edit go.mod, print the lines
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.dir, "C", ".", "the Go module to set up (a directory with go.mod, or below one)")
	fs.StringVar(&o.torch, "torch", "", "libtorch version for the build scripts, e.g. 2.1.0 (default: theirs; also TORCH)")
	fs.BoolVar(&o.cuda, "cuda", false, "link libtorch's CUDA libraries (the wheel's NVIDIA libraries are fetched too, ≈2.5 GB)")
	fs.StringVar(&o.libtorch, "libtorch", "", "use this unpacked official libtorch zip instead of the PyPI wheel (also LIBTORCH)")
	fs.StringVar(&o.source, "source", "", "a clone of the library: its scripts and patches are used and go.mod replaces the module with it")
	fs.StringVar(&o.cache, "cache", "", "the cache directory (default: CACHE_DIR, else $XDG_CACHE_HOME/zeroshot-clip, else ~/.cache/zeroshot-clip)")
	fs.BoolVar(&o.print, "print", false, "set up libtorch and gotch but only print the go.mod lines instead of editing go.mod")
}
