package serve

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Token rules. A token must be something a client can send as RFC 6750's b64token
// (ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding), long enough
// not to be guessed, and short enough that comparing one costs nothing.
const (
	MinTokenLen = 16
	MaxTokenLen = 512
)

// Tokens is the set of bearer tokens a server accepts, read from a token file: one
// token per line, blank lines and lines starting with '#' ignored, whitespace around a
// token trimmed. Only SHA-256 digests are kept in memory, and no error or log line
// names a token. Reload swaps the whole set at once; a failed reload keeps the old set.
// Safe for concurrent use.
type Tokens struct {
	path string
	cur  atomic.Pointer[tokenSet]
}

type tokenSet struct {
	digests [][sha256.Size]byte
	loaded  time.Time
}

// LoadTokens reads a token file. It refuses a file that cannot be read, holds no
// token, or holds a token that is too short, too long or not a b64token (the error
// names the file and line, never the token).
func LoadTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	set, err := readTokenFile(path)
	if err != nil {
		return nil, err
	}
	t.cur.Store(set)
	return t, nil
}

// Path is the token file.
func (t *Tokens) Path() string { return t.path }

// Len is the number of distinct tokens accepted now.
func (t *Tokens) Len() int { return len(t.cur.Load().digests) }

// Reload reads the token file again and, if it is valid, accepts exactly its tokens
// from now on (requests already authenticated are not affected). If the file is
// missing, unreadable, empty or invalid the old set stays in force and the error says
// why: a server never opens up, nor locks every client out, because of a file that
// was half-written or removed by mistake. To revoke every token, stop the server.
func (t *Tokens) Reload() (n int, err error) {
	set, err := readTokenFile(t.path)
	if err != nil {
		return t.Len(), err
	}
	t.cur.Store(set)
	return len(set.digests), nil
}

// Loaded is when the set in force was read.
func (t *Tokens) Loaded() time.Time { return t.cur.Load().loaded }

// match reports whether digest is one of the accepted tokens' digests. Every entry is
// compared, in constant time each: the time taken says nothing about which token, or
// how much of one, matched.
func (t *Tokens) match(digest [sha256.Size]byte) bool {
	found := 0
	set := t.cur.Load()
	for i := range set.digests {
		found |= subtle.ConstantTimeCompare(digest[:], set.digests[i][:])
	}
	return found == 1
}

// TokenFileError is a token file that cannot be used. It never quotes a token.
type TokenFileError struct {
	Path   string
	Line   int // 0: the file as a whole
	Reason string
	Err    error // the underlying I/O error, if any
}

func (e *TokenFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("token file %s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("token file %s: %s", e.Path, e.Reason)
}

func (e *TokenFileError) Unwrap() error { return e.Err }

// maxTokenFile bounds what is read: a token file is a few lines, not a log.
const maxTokenFile = 1 << 20

func readTokenFile(path string) (*tokenSet, error) {
	fail := func(line int, reason string, err error) error {
		return &TokenFileError{Path: path, Line: line, Reason: reason, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		reason := "cannot open it"
		switch {
		case errors.Is(err, fs.ErrNotExist):
			reason = "it does not exist"
		case errors.Is(err, fs.ErrPermission):
			reason = "permission denied"
		}
		return nil, fail(0, reason, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fail(0, "not a regular file", nil)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, fail(0, "cannot read it", err)
	}
	if len(b) > maxTokenFile {
		return nil, fail(0, fmt.Sprintf("larger than %d bytes: not a token file", maxTokenFile), nil)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 BOM some editors add
	set := &tokenSet{loaded: time.Now()}
	seen := map[[sha256.Size]byte]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		tok := strings.TrimSpace(line) // also a Windows line's \r
		if tok == "" || strings.HasPrefix(tok, "#") {
			continue
		}
		if reason := checkToken(tok); reason != "" {
			return nil, fail(i+1, reason, nil)
		}
		d := sha256.Sum256([]byte(tok))
		if !seen[d] {
			seen[d] = true
			set.digests = append(set.digests, d)
		}
	}
	if len(set.digests) == 0 {
		return nil, fail(0, "no tokens in it (one token per line; '#' starts a comment)", nil)
	}
	return set, nil
}

// checkToken says what is wrong with a token from the file ("" if nothing). The
// reason never contains the token.
func checkToken(tok string) string {
	switch {
	case len(tok) < MinTokenLen:
		return fmt.Sprintf("token of %d characters: at least %d are required (make one with `openssl rand -hex 32`)", len(tok), MinTokenLen)
	case len(tok) > MaxTokenLen:
		return fmt.Sprintf("token of %d characters: at most %d", len(tok), MaxTokenLen)
	case strings.ContainsAny(tok, " \t"):
		return "whitespace inside a token (one token per line)"
	case !isB64Token(tok):
		return "a token may only hold A-Z a-z 0-9 - . _ ~ + / and trailing = (RFC 6750 b64token)"
	}
	return ""
}

func isB64Token(s string) bool {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}
