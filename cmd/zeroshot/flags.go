package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// errHelp: -h was asked for and the usage has been printed.
var errHelp = errors.New("help")

// newFlags makes a FlagSet that prints its usage to stderr and never exits.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: zeroshot %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args for every command: flags may come before, between or after the
// positional arguments ("preprocess a.jpg --out DIR"), which the flag package alone does
// not allow; "--" ends the flags. Afterwards fs.Args() and fs.NArg() give the positional
// arguments in order. -h gives errHelp, a bad flag a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := parseOnce(fs, args); err != nil {
			return err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Leave the positional arguments in fs.Args(): parsing "--" first sets no flag.
	return parseOnce(fs, append([]string{"--"}, pos...))
}

// parseInterspersed is parse returning the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

// parseOnce is one pass of the flag package: the flags up to the first argument.
func parseOnce(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return exitUsage{err}
	}
	return nil
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
