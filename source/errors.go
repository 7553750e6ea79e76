package source

import "fmt"

// Kind classifies why a source could not be read.
type Kind int

// The kinds of [Error].
const (
	KindStatus     Kind = iota + 1 // the server answered with an error status (Status)
	KindTimeout                    // the fetch took longer than the Fetcher's Timeout
	KindTooLarge                   // the body is over the Fetcher's MaxBytes
	KindNotImage                   // the body is no image format the decoder knows
	KindRedirects                  // too many redirects, or a redirect loop
	KindNotAllowed                 // the host (or a redirect's) is not on the allow-list
	KindNetwork                    // the connection failed (DNS, refused, reset, TLS)
	KindBadSource                  // the source itself is malformed (a data: URL, a URL)
	KindRead                       // a stream or object store failed while reading
)

var kindNames = map[Kind]string{
	KindStatus:     "status",
	KindTimeout:    "timeout",
	KindTooLarge:   "too large",
	KindNotImage:   "not an image",
	KindRedirects:  "too many redirects",
	KindNotAllowed: "not allowed",
	KindNetwork:    "network",
	KindBadSource:  "bad source",
	KindRead:       "read",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Sentinels for errors.Is: errors.Is(err, ErrTimeout) holds for any *Error of that kind.
var (
	ErrStatus     = &Error{Kind: KindStatus}
	ErrTimeout    = &Error{Kind: KindTimeout}
	ErrTooLarge   = &Error{Kind: KindTooLarge}
	ErrNotImage   = &Error{Kind: KindNotImage}
	ErrRedirects  = &Error{Kind: KindRedirects}
	ErrNotAllowed = &Error{Kind: KindNotAllowed}
	ErrNetwork    = &Error{Kind: KindNetwork}
	ErrBadSource  = &Error{Kind: KindBadSource}
	ErrRead       = &Error{Kind: KindRead}
)

// Error is a source that could not be read: its name (a URL without its password), why,
// and for KindStatus the HTTP status.
type Error struct {
	Source string
	Kind   Kind
	Status int    // HTTP status, for KindStatus (and S3's answers)
	Reason string // for people: "HTTP 404 Not Found", "no answer within 30s", …
	Err    error  // the underlying error, if any
}

// Error reads "SOURCE: REASON", e.g. "https://host/a.jpg: HTTP 404 Not Found".
func (e *Error) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = e.Kind.String()
	}
	if e.Source == "" {
		return reason
	}
	return describe(e.Source) + ": " + reason
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Source == "" && t.Status == 0 && t.Reason == "" && t.Err == nil && t.Kind == e.Kind
}
