package preprocess

import (
	"errors"
	"fmt"
)

// Kind classifies why an image could not be read.
type Kind int

// The kinds of [ImageError].
const (
	KindUnreadable  Kind = iota + 1 // the file could not be opened or read
	KindEmpty                       // zero bytes
	KindUnsupported                 // not an image format (or variant) this package decodes
	KindTruncated                   // the data ends before the image does
	KindCorrupt                     // the decoder rejected the data
	KindTooLarge                    // more pixels than Options.MaxPixels (decompression bomb)
)

var kindNames = map[Kind]string{
	KindUnreadable:  "unreadable",
	KindEmpty:       "empty file",
	KindUnsupported: "unsupported format",
	KindTruncated:   "truncated",
	KindCorrupt:     "corrupt",
	KindTooLarge:    "too many pixels",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Sentinels for errors.Is: errors.Is(err, ErrTruncated) holds for any
// *ImageError of that kind.
var (
	ErrUnreadable  = &ImageError{Kind: KindUnreadable}
	ErrEmpty       = &ImageError{Kind: KindEmpty}
	ErrUnsupported = &ImageError{Kind: KindUnsupported}
	ErrTruncated   = &ImageError{Kind: KindTruncated}
	ErrCorrupt     = &ImageError{Kind: KindCorrupt}
	ErrTooLarge    = &ImageError{Kind: KindTooLarge}
)

// ImageError is the error returned for any image that cannot be read.
type ImageError struct {
	File   string // path, or "" for bytes/readers
	Format string // "jpeg", "png", ... or "" if unknown
	Kind   Kind
	Reason string // human-readable detail
	Err    error  // underlying error, if any
}

func (e *ImageError) Error() string {
	name := e.File
	if name == "" {
		name = "image"
	}
	s := name + ": "
	if e.Format != "" {
		s += e.Format + ": "
	}
	s += e.Kind.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ImageError) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind.
func (e *ImageError) Is(target error) bool {
	t, ok := target.(*ImageError)
	return ok && t.File == "" && t.Format == "" && t.Reason == "" && t.Err == nil && t.Kind == e.Kind
}

func newErr(kind Kind, format, reason string, err error) *ImageError {
	if reason == "" && err != nil {
		reason = err.Error()
	}
	return &ImageError{Format: format, Kind: kind, Reason: reason, Err: err}
}

// withFile sets the file name on an *ImageError (or wraps another error).
func withFile(err error, file string) error {
	if err == nil {
		return nil
	}
	var ie *ImageError
	if errors.As(err, &ie) {
		c := *ie
		c.File = file
		return &c
	}
	return &ImageError{File: file, Kind: KindCorrupt, Reason: err.Error(), Err: err}
}
