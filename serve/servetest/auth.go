package servetest

import (
	"os"
	"path/filepath"
	"strings"
)

// Auth is a request's credentials, for a server that accepts the token valid.
type Auth struct {
	Name string
	// Header gives the Authorization header values (nil: no header) from the valid token.
	Header func(valid string) []string
	Path   string // "" : POST /v1/zero-shot-image-classification with a good body
	Method string // "" : POST for the API endpoints, GET for the others
	Query  string // the URL's query; {} stands for the valid token
	APIKey bool   // send the valid token as X-API-Key (a header the server does not read)
	// Raw rows are written to the connection by hand: net/http's client refuses to
	// send their bytes (a control character in a header).
	Raw bool
	// Status is the answer. NetHTTP: it comes from net/http itself, before the
	// server's handler (a header over http.Server.MaxHeaderBytes, a malformed header
	// line), in net/http's plain-text shape; every other error is the server's JSON.
	Status  int
	NetHTTP bool
	// Authorized rows carry a valid token in a form the server accepts (and the public
	// endpoints need none); all other rows must be refused.
	Authorized bool
}

// AuthCases returns the credential rows (the server's MaxHeaderBytes is 64 KiB).
func AuthCases() []Auth {
	one := func(f func(string) string) func(string) []string {
		return func(v string) []string { return []string{f(v)} }
	}
	fixed := func(h string) func(string) []string { return one(func(string) string { return h }) }
	return []Auth{
		{Name: "no Authorization header", Status: 401},
		{Name: "empty Authorization header", Header: fixed(""), Status: 401},
		{Name: "blank Authorization header", Header: fixed("   "), Status: 401},
		{Name: "Basic scheme", Header: fixed("Basic dXNlcjpwYXNzd29yZA=="), Status: 401},
		{Name: "valid token, scheme Token", Header: one(func(v string) string { return "Token " + v }), Status: 401},
		{Name: "valid token, no scheme", Header: one(func(v string) string { return v }), Status: 401},
		{Name: "valid token, scheme Bearer: (colon)", Header: one(func(v string) string { return "Bearer: " + v }), Status: 401},
		{Name: "Bearer without a token", Header: fixed("Bearer"), Status: 401},
		{Name: "Bearer and spaces only", Header: fixed("Bearer     "), Status: 401},
		{Name: "wrong token", Header: fixed("Bearer 0123456789abcdef0123456789abcdef"), Status: 401},
		{Name: "valid token, other case", Header: one(func(v string) string { return "Bearer " + strings.ToUpper(v) }), Status: 401},
		{Name: "valid token, last character dropped", Header: one(func(v string) string { return "Bearer " + v[:len(v)-1] }), Status: 401},
		{Name: "valid token, one character more", Header: one(func(v string) string { return "Bearer " + v + "x" }), Status: 401},
		{Name: "valid token with a space inside", Header: one(func(v string) string { return "Bearer " + v[:8] + " " + v[8:] }), Status: 401},
		{Name: "valid token, then another word", Header: one(func(v string) string { return "Bearer " + v + " extra" }), Status: 401},
		{Name: "valid token after a tab", Header: one(func(v string) string { return "Bearer\t" + v }), Status: 401},
		{Name: "valid token, quoted", Header: one(func(v string) string { return `Bearer "` + v + `"` }), Status: 401},
		{Name: "valid token, then a comma and a parameter", Header: one(func(v string) string { return "Bearer " + v + ", realm=x" }), Status: 401},
		{Name: "non-ASCII token", Header: fixed("Bearer tökén-tökén-tökén-tökén"), Status: 401},
		{Name: "token of 8 KiB", Header: fixed("Bearer " + strings.Repeat("a", 8<<10)), Status: 401},
		{Name: "header of 100 KiB (over MaxHeaderBytes)", Header: fixed("Bearer " + strings.Repeat("a", 100<<10)), Status: 431, NetHTTP: true},
		{Name: "NUL byte in the token", Header: one(func(v string) string { return "Bearer " + v[:4] + "\x00" + v[4:] }), Raw: true, Status: 400, NetHTTP: true},
		{Name: "two headers, both the valid token", Header: func(v string) []string { return []string{"Bearer " + v, "Bearer " + v} }, Status: 401},
		{Name: "two headers, a wrong and the valid token", Header: func(v string) []string { return []string{"Bearer 0123456789abcdef0123456789abcdef", "Bearer " + v} }, Status: 401},
		{Name: "valid token in the query (access_token)", Query: "access_token={}", Status: 401},
		{Name: "valid token in X-API-Key (not read)", APIKey: true, Status: 401},
		{Name: "no token, /v1/embeddings", Path: "/v1/embeddings", Status: 401},
		{Name: "no token, /metrics", Path: "/metrics", Status: 401},
		{Name: "no token, unknown path (not revealed)", Path: "/v1/nope", Status: 401},
		{Name: "no token, GET on the classify endpoint", Path: "/v1/zero-shot-image-classification", Method: "GET", Status: 401},

		{Name: "valid token", Header: one(func(v string) string { return "Bearer " + v }), Status: 200, Authorized: true},
		{Name: "valid token, scheme in lower case", Header: one(func(v string) string { return "bearer " + v }), Status: 200, Authorized: true},
		{Name: "valid token, scheme in upper case", Header: one(func(v string) string { return "BEARER " + v }), Status: 200, Authorized: true},
		{Name: "valid token after three spaces", Header: one(func(v string) string { return "Bearer   " + v }), Status: 200, Authorized: true},
		{Name: "valid token, trailing spaces (HTTP's OWS)", Header: one(func(v string) string { return "Bearer " + v + "   " }), Raw: true, Status: 200, Authorized: true},
		{Name: "valid token, /v1/embeddings", Path: "/v1/embeddings", Header: one(func(v string) string { return "Bearer " + v }), Status: 200, Authorized: true},
		{Name: "valid token, /metrics", Path: "/metrics", Header: one(func(v string) string { return "Bearer " + v }), Status: 200, Authorized: true},
		{Name: "valid token, unknown path", Path: "/v1/nope", Header: one(func(v string) string { return "Bearer " + v }), Status: 404, Authorized: true},
		{Name: "no token, /healthz (public)", Path: "/healthz", Status: 200, Authorized: true},
		{Name: "no token, /readyz (public)", Path: "/readyz", Status: 200, Authorized: true},
	}
}

// TokenFile is a token file's content, good or bad.
type TokenFile struct {
	Name string
	// Make writes it as path (or makes path something else) and returns a reason to
	// skip the row, if it cannot be built here.
	Make func(path string) (skip string, err error)
	// Err is a part of the error that loading it must give; "" : it loads, with
	// Tokens distinct tokens.
	Err    string
	Tokens int
}

// Secret is in every token of the bad token files: no error, log line or answer may
// contain it.
const Secret = "S3CRETs3cret"

// TokenFiles returns the token file rows.
func TokenFiles() []TokenFile {
	content := func(s string) func(string) (string, error) {
		return func(p string) (string, error) { return "", os.WriteFile(p, []byte(s), 0o600) }
	}
	good := Secret + "-0123456789abcdef"
	return []TokenFile{
		{"missing file", func(string) (string, error) { return "", nil }, "does not exist", 0},
		{"empty file", content(""), "no tokens", 0},
		{"comments and blank lines only", content("# tokens\n\n   \n# none yet\n"), "no tokens", 0},
		{"token of 11 characters", content("# a comment\n" + Secret[:11] + "\n"), "at least 16", 0},
		{"whitespace inside a token", content(Secret + " " + Secret + "\n"), "whitespace inside", 0},
		{"two tokens on one line, tab", content(Secret + "-aaaa\t" + Secret + "-bbbb\n"), "whitespace inside", 0},
		{"character outside b64token (@)", content(good + "\n" + Secret + "@example.com-1234\n"), ":2: a token may only hold", 0},
		{"'=' inside a token", content(Secret + "=abc-0123456789\n"), "may only hold", 0},
		{"non-ASCII token", content(Secret + "-tökén-0123456789\n"), "may only hold", 0},
		{"token of 600 characters", content(Secret + strings.Repeat("x", 600-len(Secret)) + "\n"), "at most 512", 0},
		{"file over 1 MiB", content(strings.Repeat(good+"\n", (1<<20)/len(good)+100)), "larger than", 0},
		{"a directory", func(p string) (string, error) { return "", os.Mkdir(p, 0o755) }, "not a regular file", 0},
		{"unreadable (mode 000)", func(p string) (string, error) {
			if err := os.WriteFile(p, []byte(good+"\n"), 0); err != nil {
				return "", err
			}
			if f, err := os.Open(p); err == nil {
				f.Close()
				return "permissions do not bind this user (root): the file stays readable", nil
			}
			return "", nil
		}, "permission denied", 0},
		{"comments, blank lines, indentation, CRLF, a BOM, a duplicate", content("\xef\xbb\xbf# team A\r\n  " + good + "  \r\n\r\n# team B\r\n" +
			"hf_" + strings.Repeat("Ab9", 11) + "\r\n" + good + "\r\n" + "base64+/token.with~all_chars==\r\n"), "", 3},
		{"a symlink to a token file (as Kubernetes mounts secrets)", func(p string) (string, error) {
			real := filepath.Join(filepath.Dir(p), "..data-"+filepath.Base(p))
			if err := os.WriteFile(real, []byte(good+"\n"), 0o600); err != nil {
				return "", err
			}
			return "", os.Symlink(real, p)
		}, "", 1},
	}
}
