package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is an answer other than 2xx: the server's status and message (its JSON
// {"error": …}; a proxy's page is kept as text, shortened).
type Error struct {
	StatusCode int
	Message    string
	// RetryAfter is the answer's Retry-After (429 and 503), 0 without one.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent (more than 1 after retries).
	Attempts int
}

func (e *Error) Error() string {
	s := fmt.Sprintf("zeroshot server: %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Message)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// retryable: the server refused the request before doing any work (its queue, or the
// client's share of it, was full; or it is restarting): sending it again later is safe.
func (e *Error) retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable
}

func newError(resp *http.Response, body []byte) *Error {
	return &Error{StatusCode: resp.StatusCode, Message: errorMessage(body), RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// errorMessage reads the server's {"error": "…"} (or OpenAI's {"error": {"message": …}});
// anything else is quoted as text, at most 200 bytes of it.
func errorMessage(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var s string
		if json.Unmarshal(e.Error, &s) == nil && s != "" {
			return s
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	if s == "" {
		return "(no message)"
	}
	return s
}

// retryAfter reads Retry-After: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
