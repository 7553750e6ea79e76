// Package source reads images from wherever users keep them: files, http(s) URLs, data:
// URLs and standard input, as transformers' load_image takes them (a path, a URL, a
// data: URL). Package source/s3 adds s3://bucket/key objects and prefixes.
//
// A Source names one image and reads its bytes; decoding is the caller's (package
// preprocess sniffs the format from the bytes, never from a name or a Content-Type).
// Fetching over HTTP is bounded (Fetcher): redirects, a timeout, a size limit, and
// optionally an allow-list of hosts checked at every hop (a server taking URLs from
// its clients). Errors are values naming the source and the reason (*Error).
//
// Plain Go, no cgo and no libtorch.
package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// Source is one image: a name for records and messages, and its bytes.
type Source interface {
	// Name is the source as the user wrote it (a path, a URL, "-"): it names the image in
	// results, records and errors, and identifies it when a run is resumed or merged.
	Name() string
	// Read returns the image file's bytes. Errors name the source: *Error for sources
	// fetched from elsewhere, *preprocess.ImageError (KindUnreadable) for files.
	Read(ctx context.Context) ([]byte, error)
}

// Stdin is the name of standard input as a source, as in most command-line tools.
const Stdin = "-"

// Parse returns the source s names, without reading it: "-" is standard input (read
// once), http:// and https:// URLs are fetched with f (nil: DefaultFetcher), data: URLs
// are decoded, and anything else is a file path. Schemes are matched without regard to
// case, as in URLs.
func Parse(s string, f *Fetcher) Source {
	switch {
	case s == Stdin:
		return Reader{N: Stdin, R: os.Stdin}
	case IsURL(s):
		return URL{U: s, F: f}
	case hasScheme(s, "data:"):
		return Data(s)
	}
	return File(s)
}

// IsURL reports whether s is an http:// or https:// URL.
func IsURL(s string) bool { return hasScheme(s, "http://") || hasScheme(s, "https://") }

// IsData reports whether s is a data: URL.
func IsData(s string) bool { return hasScheme(s, "data:") }

func hasScheme(s, scheme string) bool {
	return len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme)
}

// Files returns the sources of paths, in order.
func Files(paths []string) []Source {
	out := make([]Source, len(paths))
	for i, p := range paths {
		out[i] = File(p)
	}
	return out
}

// Names returns the names of srcs, in order.
func Names(srcs []Source) []string {
	out := make([]string, len(srcs))
	for i, s := range srcs {
		out[i] = s.Name()
	}
	return out
}

// File is an image file by its path.
type File string

// Name is the path.
func (f File) Name() string { return string(f) }

// Read reads the file, as preprocess.Load does.
func (f File) Read(context.Context) ([]byte, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return nil, &preprocess.ImageError{File: string(f), Kind: preprocess.KindUnreadable, Reason: err.Error(), Err: err}
	}
	return b, nil
}

// Reader is an image read once from a stream, such as standard input. Read it once:
// a second Read finds the stream at its end.
type Reader struct {
	N string // its name, e.g. "-"
	R io.Reader
}

// Name is N.
func (r Reader) Name() string { return r.N }

// Read reads the stream to its end. An empty stream is an error (nothing was piped in).
// If ctx ends first, Read returns ctx.Err() (the stream is left to its reader).
func (r Reader) Read(ctx context.Context) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(r.R)
		done <- result{b, err}
	}()
	var b []byte
	var err error
	select {
	case res := <-done:
		b, err = res.b, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, &Error{Source: r.N, Kind: KindRead, Reason: err.Error(), Err: err}
	}
	if len(b) == 0 {
		what := r.N
		if what == Stdin {
			what = "standard input"
		}
		return nil, &Error{Source: r.N, Kind: KindRead, Reason: what + " is empty (nothing was piped in?)"}
	}
	return b, nil
}

// Describe names a source in messages: URLs without their password, data: URLs
// shortened to their head and size.
func Describe(name string) string { return describe(name) }

func describe(name string) string {
	if IsData(name) {
		return shortData(name)
	}
	return redact(name)
}

// shortData keeps the head of a data: URL for messages: the whole can be megabytes.
func shortData(s string) string {
	const keep = 48
	if len(s) <= keep {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:keep], len(s))
}
