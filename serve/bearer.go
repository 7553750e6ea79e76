package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// AuthFailure is why a request was not authenticated.
type AuthFailure int

const (
	AuthMissing   AuthFailure = iota + 1 // no Authorization header (or an empty one)
	AuthScheme                           // a scheme other than Bearer
	AuthMalformed                        // Bearer, but no usable token (none, two headers, bad characters, too long)
	AuthInvalid                          // a well-formed token that is not accepted
)

func (k AuthFailure) String() string {
	switch k {
	case AuthMissing:
		return "missing"
	case AuthScheme:
		return "scheme"
	case AuthMalformed:
		return "malformed"
	case AuthInvalid:
		return "invalid"
	}
	return "unknown"
}

// AuthError is a request refused for its credentials: HTTP 401 with
// WWW-Authenticate: Bearer. Its message never repeats what the client sent.
type AuthError struct {
	Kind   AuthFailure
	Reason string
}

func (e *AuthError) Error() string { return e.Reason }

// wwwAuthenticate is the challenge of a 401 (RFC 6750 §3): no error code when the
// client sent no Bearer credentials, invalid_token when it sent unusable ones.
func (e *AuthError) wwwAuthenticate() string {
	if e.Kind == AuthMissing || e.Kind == AuthScheme {
		return `Bearer realm="zeroshot"`
	}
	return `Bearer realm="zeroshot", error="invalid_token"`
}

const sendBearer = `send "Authorization: Bearer <token>"`

// ParseBearer returns the token of a request's Authorization header values (as
// http.Header.Values gives them): exactly one header, "Bearer" (any case), one or
// more spaces, and a b64token of at most MaxTokenLen characters (RFC 6750 §2.1).
// Anything else is an *AuthError whose reason quotes none of the input.
func ParseBearer(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", &AuthError{AuthMissing, "missing Authorization header: " + sendBearer}
	case 1:
	default:
		return "", &AuthError{AuthMalformed, "more than one Authorization header: " + sendBearer + " once"}
	}
	v := strings.Trim(values[0], " \t") // HTTP's optional whitespace (net/http trims it already)
	if v == "" {
		return "", &AuthError{AuthMissing, "empty Authorization header: " + sendBearer}
	}
	scheme, rest := v, ""
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		scheme, rest = v[:i], v[i:]
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", &AuthError{AuthScheme, "the Authorization scheme must be Bearer: " + sendBearer}
	}
	if strings.HasPrefix(rest, "\t") {
		return "", &AuthError{AuthMalformed, "a tab after Bearer: " + sendBearer + " (one or more spaces)"}
	}
	tok := strings.TrimLeft(rest, " ")
	switch {
	case tok == "":
		return "", &AuthError{AuthMalformed, "Authorization: Bearer without a token: " + sendBearer}
	case len(tok) > MaxTokenLen:
		return "", &AuthError{AuthMalformed, "bearer token too long: tokens have at most 512 characters"}
	case !isB64Token(tok):
		return "", &AuthError{AuthMalformed, "malformed bearer token: one token of A-Z a-z 0-9 - . _ ~ + / and trailing =, nothing after it"}
	}
	return tok, nil
}

// clientKey names a client for the per-client queue share: "token:" and a prefix of
// its token's SHA-256 when tokens are checked, "addr:" and its IP otherwise (see
// addrClient, forwarded.go). It never holds a token.
type clientKey string

func tokenClient(digest [sha256.Size]byte) clientKey {
	return clientKey("token:" + hex.EncodeToString(digest[:12]))
}

// authenticate checks r's bearer token against the accepted set and returns the
// client it identifies.
func (s *Server) authenticate(r *http.Request) (clientKey, error) {
	tok, err := ParseBearer(r.Header.Values("Authorization"))
	if err != nil {
		if ae := err.(*AuthError); ae.Kind == AuthMissing && strings.Contains(r.URL.RawQuery, "access_token=") {
			ae.Reason = "tokens in the URL are not accepted (URLs end up in logs): " + sendBearer
		}
		return "", err
	}
	d := sha256.Sum256([]byte(tok))
	if !s.opts.Tokens.match(d) {
		return "", &AuthError{AuthInvalid, "invalid bearer token"}
	}
	return tokenClient(d), nil
}
