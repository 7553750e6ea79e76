package zeroshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ImageExtensions are the file extensions FindImages takes as images (compared
// case-insensitively): the formats the preprocess package decodes.
var ImageExtensions = []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"}

// IsImageFile reports whether name has one of ImageExtensions, in any case.
func IsImageFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range ImageExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// FindImages expands image arguments into a deterministic list of files:
//
//   - a file is taken as it is, whatever its extension (reading it may fail later);
//   - a directory is walked recursively for files with an image extension (IsImageFile),
//     skipping names that start with "." (hidden files and directories such as .git),
//     following symbolic links to files but not to directories; its files come sorted
//     by path (byte order);
//   - an argument that does not exist but has glob metacharacters (* ? [) is a
//     filepath.Glob pattern: matching directories are walked as above, matching files
//     are kept if they have an image extension, in sorted order; as in a shell, names
//     starting with "." match only a pattern whose last element starts with ".".
//
// Arguments keep their order and a file named twice is listed once (the first time).
// An argument that does not exist, a pattern that matches no image, or no image at
// all is an error naming the argument.
func FindImages(args ...string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(paths ...string) {
		for _, p := range paths {
			if key := filepath.Clean(p); !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
		}
	}
	for _, arg := range args {
		paths, err := expandArg(arg)
		if err != nil {
			return nil, err
		}
		add(paths...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no image files in %s", strings.Join(args, " "))
	}
	return out, nil
}

func expandArg(arg string) ([]string, error) {
	st, err := os.Stat(arg)
	switch {
	case err == nil && st.IsDir():
		paths, err := walkImages(arg)
		if err == nil && len(paths) == 0 {
			err = fmt.Errorf("%s: no image files (%s) in this directory", arg, strings.Join(ImageExtensions, " "))
		}
		return paths, err
	case err == nil:
		return []string{arg}, nil
	case errors.Is(err, fs.ErrNotExist) && strings.ContainsAny(arg, "*?["):
		return globImages(arg)
	default:
		return nil, err // *fs.PathError names arg
	}
}

func globImages(pattern string) ([]string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	hidden := strings.HasPrefix(filepath.Base(pattern), ".")
	var out []string
	for _, m := range matches {
		if strings.HasPrefix(filepath.Base(m), ".") && !hidden {
			continue // as a shell glob: * does not match a leading dot
		}
		st, err := os.Stat(m)
		if err != nil {
			continue // a dangling link: nothing to read
		}
		if st.IsDir() {
			paths, err := walkImages(m)
			if err != nil {
				return nil, err
			}
			out = append(out, paths...)
		} else if IsImageFile(m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pattern %q matches no image files", pattern)
	}
	return out, nil
}

func walkImages(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !IsImageFile(path) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		out = append(out, path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	sort.Strings(out)
	return out, nil
}
