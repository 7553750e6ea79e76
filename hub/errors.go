package hub

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is. Every error Resolve returns for these cases wraps one of them.
var (
	// ErrInvalidName: the argument is neither an existing directory nor a valid Hub id.
	ErrInvalidName = errors.New("not a local directory nor a valid Hub model id")
	// ErrNotCached: the files are not in the cache and the Hub could not be asked
	// (offline mode, or a network failure). See *NotCachedError.
	ErrNotCached = errors.New("model not in the local cache")
	// ErrRepoNotFound: the Hub says the repository does not exist, or is private and the
	// request had no (valid) token.
	ErrRepoNotFound = errors.New("repository not found")
	// ErrGatedRepo: the repository is gated and the token is missing or lacks access.
	ErrGatedRepo = errors.New("gated repository")
	// ErrForbidden: HTTP 403, the token lacks a permission.
	ErrForbidden = errors.New("access forbidden")
	// ErrRevisionNotFound: the branch, tag or commit does not exist.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrEntryNotFound: the file does not exist in the repository at that revision.
	ErrEntryNotFound = errors.New("file not found in repository")
	// ErrChecksumMismatch: downloaded bytes do not hash to the ETag. See *ChecksumError.
	ErrChecksumMismatch = errors.New("checksum mismatch")
	// ErrBadResponse: the server's reply lacks what the Hub always sends (X-Repo-Commit,
	// ETag, size) or is inconsistent (wrong size, bad range).
	ErrBadResponse = errors.New("unexpected response from the Hub")
)

// HTTPError is an HTTP failure from the Hub, classified like huggingface_hub's
// hf_raise_for_status. Kind is one of the sentinels above (or nil for other statuses).
type HTTPError struct {
	Kind          error
	Method, URL   string
	StatusCode    int
	ErrorCode     string // X-Error-Code
	ServerMessage string // X-Error-Message
	RequestID     string // X-Request-Id
	Repo          string
	Revision      string
	File          string
	Endpoint      string
	TokenSent     bool
	Commit        string // X-Repo-Commit, which the Hub also sends with EntryNotFound
}

func (e *HTTPError) Unwrap() error { return e.Kind }

func (e *HTTPError) Error() string {
	var b strings.Builder
	switch e.Kind {
	case ErrRepoNotFound:
		fmt.Fprintf(&b, "hub: repository %q not found at %s (HTTP %d for %s)", e.Repo, e.Endpoint, e.StatusCode, e.URL)
		if e.TokenSent {
			b.WriteString(": check the model id, and that the token in HF_TOKEN has access to it")
		} else {
			b.WriteString(": check the model id; if the repository is private or gated, set HF_TOKEN to a token with access (https://huggingface.co/settings/tokens)")
		}
	case ErrGatedRepo:
		fmt.Fprintf(&b, "hub: %q is a gated repository (HTTP %d for %s): request access at %s/%s", e.Repo, e.StatusCode, e.URL, e.Endpoint, e.Repo)
		if e.TokenSent {
			b.WriteString(" with the account whose token is in HF_TOKEN")
		} else {
			b.WriteString(", then set HF_TOKEN to a token of that account")
		}
	case ErrForbidden:
		fmt.Fprintf(&b, "hub: access to %s forbidden (HTTP 403): make sure the token in HF_TOKEN has the needed permissions", e.URL)
	case ErrRevisionNotFound:
		fmt.Fprintf(&b, "hub: revision %q not found in %q (HTTP %d for %s): check --revision", e.Revision, e.Repo, e.StatusCode, e.URL)
	case ErrEntryNotFound:
		fmt.Fprintf(&b, "hub: file %q not found in %q at revision %q (HTTP %d for %s)", e.File, e.Repo, e.Revision, e.StatusCode, e.URL)
	default:
		fmt.Fprintf(&b, "hub: %s %s: HTTP %d", e.Method, e.URL, e.StatusCode)
	}
	if e.ServerMessage != "" {
		fmt.Fprintf(&b, " (server: %s)", e.ServerMessage)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// NetworkError is a failure to talk to the server at all (DNS, refused connection, TLS,
// timeout, a broken transfer after the retries).
type NetworkError struct {
	Method, URL string
	Err         error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("hub: %s %s: %v", e.Method, e.URL, e.Err)
}
func (e *NetworkError) Unwrap() error { return e.Err }

// NotCachedError: a file is needed, it is not in the cache, and the Hub cannot be asked.
type NotCachedError struct {
	Repo, Revision string
	Files          []string // what is missing
	CacheDir       string
	Offline        bool  // offline mode (HF_HUB_OFFLINE / Options.Offline)
	Cause          error // the network or HTTP error when not offline
}

func (e *NotCachedError) Error() string {
	files := strings.Join(e.Files, ", ")
	if e.Offline {
		return fmt.Sprintf("hub: %s (revision %s) is not in the cache %s (missing: %s) and offline mode is on: "+
			"run `zeroshot download %s` with network access, or set HF_HUB_OFFLINE=0",
			e.Repo, e.Revision, e.CacheDir, files, e.Repo)
	}
	return fmt.Sprintf("hub: cannot reach the Hub (%v) and %s (revision %s) is not in the cache %s (missing: %s): "+
		"check the network connection and HF_ENDPOINT, or run `zeroshot download %s` where the Hub is reachable",
		e.Cause, e.Repo, e.Revision, e.CacheDir, files, e.Repo)
}

func (e *NotCachedError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrNotCached, e.Cause}
	}
	return []error{ErrNotCached}
}

// ChecksumError: the downloaded file does not hash to what the Hub announced. The partial
// download has been deleted.
type ChecksumError struct {
	Repo, File string
	URL        string
	Algorithm  string // "sha256" (LFS files) or "git-sha1" (git blob id of regular files)
	Expected   string
	Actual     string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("hub: checksum mismatch for %s/%s downloaded from %s: expected %s %s, got %s "+
		"(the partial download was deleted; retry, and if it persists check for a proxy altering downloads)",
		e.Repo, e.File, e.URL, e.Algorithm, e.Expected, e.Actual)
}
func (e *ChecksumError) Unwrap() error { return ErrChecksumMismatch }

// badResponse builds an ErrBadResponse error.
func badResponse(format string, args ...any) error {
	return fmt.Errorf("hub: %w: %s", ErrBadResponse, fmt.Sprintf(format, args...))
}
