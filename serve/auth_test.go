package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/serve/servetest"
)

// The credential rows of the bad-input matrix, over HTTP and over HTTPS, through
// Serve as the command runs it: every row gets its status; every refusal is a 401 in
// the JSON error shape with WWW-Authenticate: Bearer and echoes nothing the client
// sent; nothing without a valid token is accepted; the server stays healthy (no 5xx).
func TestAuthMatrix(t *testing.T) {
	dir := t.TempDir()
	token := randomToken(t)
	tokenFile := filepath.Join(dir, "tokens")
	writeTokens(t, tokenFile, token)
	certFile, keyFile, pool := testCert(t, dir, 1)
	good := classifyBody(readFile(t, "testdata", "pipeline", "chelsea.png"), []string{"cat", "dog"}, "")

	var m matrix
	rows, refused, accepted := 0, 0, 0
	for _, scheme := range []string{"http", "https"} {
		tokens, err := LoadTokens(tokenFile)
		require.NoError(t, err)
		opts := Options{Tokens: tokens}
		if scheme == "https" {
			opts.TLS, err = LoadCertificate(certFile, keyFile)
			require.NoError(t, err)
		}
		s, logs := newLogged(t, opts)
		l := startLive(t, s, pool)
		for _, ac := range servetest.AuthCases() {
			name := scheme + ": " + ac.Name
			path := ac.Path
			if path == "" {
				path = "/v1/zero-shot-image-classification"
			}
			if ac.Query != "" {
				path += "?" + strings.ReplaceAll(ac.Query, "{}", token)
			}
			method, ct, body := ac.Method, "", []byte(nil)
			if method == "" {
				method = http.MethodGet
				if strings.HasPrefix(path, "/v1/") {
					method = http.MethodPost
				}
			}
			if method == http.MethodPost && !(ac.NetHTTP && ac.Raw) {
				// (A raw row net/http refuses goes without a body: its 400 closes the
				// connection at once, and a body still being written would meet a reset.)
				ct, body = "application/json", good
				if strings.HasPrefix(path, "/v1/embeddings") {
					body = []byte(`{"texts": ["a cat"]}`)
				}
			}
			var auth []string
			if ac.Header != nil {
				auth = ac.Header(token)
			}
			var code int
			var hdr http.Header
			var out []byte
			switch {
			case ac.Raw:
				code, hdr, out = l.raw(t, method, path, ct, body, map[string][]string{"Authorization": auth})
			case ac.APIKey:
				code, hdr, out = l.doHeader(t, method, path, ct, body, http.Header{"X-Api-Key": {token}})
			default:
				code, hdr, out = l.do(t, method, path, ct, body, auth...)
			}
			rows++
			assert.Equal(t, ac.Status, code, "%s: %s", name, trunc(string(out), 200))
			assert.NotContains(t, string(out), token, "%s: the answer repeats the token", name)
			if !ac.Authorized {
				if assert.False(t, code >= 200 && code < 300, "%s: accepted without a valid token", name) {
					refused++
				}
			} else if code == ac.Status {
				accepted++
			}
			cell := fmt.Sprint(code)
			if code == 401 {
				assert.True(t, strings.HasPrefix(hdr.Get("WWW-Authenticate"), `Bearer realm="zeroshot"`), "%s: WWW-Authenticate %q", name, hdr.Get("WWW-Authenticate"))
				cell += " " + hdr.Get("WWW-Authenticate")
			}
			if !ac.NetHTTP && code != 200 {
				var e struct {
					Error string `json:"error"`
				}
				if assert.NoError(t, json.Unmarshal(out, &e), "%s: %s", name, out) {
					assert.NotEmpty(t, e.Error, name)
					cell += fmt.Sprintf(" %q", trunc(e.Error, 80))
				}
			} else if ac.NetHTTP {
				cell += " (net/http, before the handler: " + trunc(strings.TrimSpace(string(out)), 50) + ")"
			}
			if scheme == "http" {
				m.add(ac.Name, "n/a (HTTP)", strings.ReplaceAll(cell, "|", "/"))
			}
		}
		// Healthy, no 5xx, and neither the metrics nor the log name the token.
		code, _, b := l.do(t, "GET", "/healthz", "", nil)
		assert.Equal(t, 200, code, string(b))
		code, _, metrics := l.do(t, "GET", "/metrics", "", nil, "Bearer "+token)
		require.Equal(t, 200, code)
		assert.NotContains(t, string(metrics), token)
		assert.Contains(t, string(metrics), `zeroshot_auth_total{outcome="invalid"} `)
		assert.Contains(t, string(metrics), `zeroshot_http_requests_total{endpoint="classify",code="401"} `)
		assert.NotContains(t, logs.String(), token)
		s.metrics.mu.Lock()
		for k, n := range s.metrics.requests {
			assert.Less(t, k.code, 500, "%s: %d answers %d", scheme, n, k.code)
		}
		s.metrics.mu.Unlock()
	}
	t.Logf("credential rows: %d requests (HTTP and HTTPS), %d refused without a valid token (0 accepted), %d authorized as expected, 0 crashes, 0 5xx",
		rows, refused, accepted)
	m.log(t)
}

// The token-file rows: each bad file is refused at load with the file, the line and
// the reason (never the token); on reload it is refused the same way and the tokens in
// force stay; a good change takes effect at once; a file that disappears keeps the
// tokens in force (and says so).
func TestTokenFileMatrix(t *testing.T) {
	dir := t.TempDir()
	old := randomToken(t)
	path := filepath.Join(dir, "tokens")
	writeTokens(t, path, old)
	tokens, err := LoadTokens(path)
	require.NoError(t, err)
	s, logs := newLogged(t, Options{Tokens: tokens})
	l := startLive(t, s, nil)
	good := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"red", "green"}, "")
	ask := func(tok string) int {
		code, _, _ := l.do(t, "POST", "/v1/zero-shot-image-classification", "application/json", good, "Bearer "+tok)
		return code
	}
	require.Equal(t, 200, ask(old))

	var m matrix
	for i, tf := range servetest.TokenFiles() {
		p := filepath.Join(dir, fmt.Sprintf("case%d", i), "tokens")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		skip, err := tf.Make(p)
		require.NoError(t, err, tf.Name)
		if skip != "" {
			m.add(tf.Name, "skipped: "+skip, "n/a")
			continue
		}
		got, lerr := LoadTokens(p)
		var lib string
		if tf.Err == "" {
			require.NoError(t, lerr, tf.Name)
			assert.Equal(t, tf.Tokens, got.Len(), tf.Name)
			lib = fmt.Sprintf("loads %d tokens", got.Len())
		} else {
			require.Error(t, lerr, tf.Name)
			assert.Contains(t, lerr.Error(), tf.Err, tf.Name)
			assert.Contains(t, lerr.Error(), p, "%s: the error names the file", tf.Name)
			assert.NotContains(t, lerr.Error(), servetest.Secret, "%s: the error quotes a token", tf.Name)
			lib = "refused: " + short(lerr)
		}

		// Reload: the server's token file becomes this row's content.
		os.Remove(path)
		os.RemoveAll(path)
		if _, err := tf.Make(path); err != nil {
			t.Fatal(err)
		}
		rerr := s.Reload()
		var srv string
		if tf.Err == "" {
			require.NoError(t, rerr, tf.Name)
			assert.Equal(t, 401, ask(old), "%s: the old token is revoked", tf.Name)
			srv = fmt.Sprintf("reloaded: %d tokens, the old one now 401", tokens.Len())
		} else {
			require.Error(t, rerr, tf.Name)
			assert.Contains(t, rerr.Error(), tf.Err, tf.Name)
			assert.Equal(t, 200, ask(old), "%s: a failed reload keeps the tokens in force", tf.Name)
			srv = "reload refused, old token still 200"
		}
		os.Chmod(path, 0o600)
		os.RemoveAll(path)
		writeTokens(t, path, old)
		require.NoError(t, s.Reload())
		require.Equal(t, 200, ask(old))
		m.add(tf.Name, lib, srv)
	}

	// Changes: a new file replaces the set (old revoked, new accepted), in place or by rename.
	fresh := randomToken(t)
	writeTokens(t, path, fresh)
	require.NoError(t, s.Reload())
	assert.Equal(t, 401, ask(old))
	assert.Equal(t, 200, ask(fresh))
	m.add("file changed in place (new token)", "n/a", "old 401, new 200")
	tmp := path + ".tmp"
	writeTokens(t, tmp, old, fresh)
	require.NoError(t, os.Rename(tmp, path))
	require.NoError(t, s.Reload())
	assert.Equal(t, 200, ask(old))
	assert.Equal(t, 200, ask(fresh))
	m.add("file replaced by rename (two tokens)", "n/a", "both 200")
	// Disappears: the set in force stays, the log and /metrics say the reload failed.
	require.NoError(t, os.Remove(path))
	err = s.Reload()
	require.Error(t, err)
	assert.Equal(t, 200, ask(old))
	assert.Equal(t, 200, ask(fresh))
	assert.Contains(t, logs.String(), "does not exist; still accepting the 2 tokens")
	_, _, metrics := l.do(t, "GET", "/metrics", "", nil, "Bearer "+fresh)
	assert.Contains(t, string(metrics), `zeroshot_reload_ok{what="tokens"} 0`)
	m.add("file removed", "n/a", "reload refused (logged, zeroshot_reload_ok 0), both tokens still 200")
	writeTokens(t, path, fresh)
	require.NoError(t, s.Reload())
	assert.Equal(t, 401, ask(old))
	_, _, metrics = l.do(t, "GET", "/metrics", "", nil, "Bearer "+fresh)
	assert.Contains(t, string(metrics), `zeroshot_reload_ok{what="tokens"} 1`)
	m.add("file back (one token)", "n/a", "reloaded: old 401, new 200")

	for _, tok := range []string{old, fresh, servetest.Secret} {
		assert.NotContains(t, logs.String(), tok, "the log names a token")
	}
	m.log(t)
}

// ParseBearer on the header forms, including what net/http hands the handler.
func TestParseBearer(t *testing.T) {
	tok := "abcdefghijklmnop0123456789-._~+/=="
	for _, tc := range []struct {
		in   []string
		want string
		kind AuthFailure
	}{
		{nil, "", AuthMissing},
		{[]string{""}, "", AuthMissing},
		{[]string{" \t "}, "", AuthMissing},
		{[]string{"Bearer " + tok}, tok, 0},
		{[]string{"bearer " + tok}, tok, 0},
		{[]string{"bEaReR    " + tok + " \t"}, tok, 0},
		{[]string{"Bearer"}, "", AuthMalformed},
		{[]string{"Bearer\t" + tok}, "", AuthMalformed},
		{[]string{"Bearer " + tok + " x"}, "", AuthMalformed},
		{[]string{"Bearer " + tok + "=x"}, "", AuthMalformed},
		{[]string{"Bearer =" + tok}, "", AuthMalformed},
		{[]string{"Bearer " + strings.Repeat("a", MaxTokenLen)}, strings.Repeat("a", MaxTokenLen), 0},
		{[]string{"Bearer " + strings.Repeat("a", MaxTokenLen+1)}, "", AuthMalformed},
		{[]string{"Bearer " + tok, "Bearer " + tok}, "", AuthMalformed},
		{[]string{"Basic " + tok}, "", AuthScheme},
		{[]string{"Bearer:" + tok}, "", AuthScheme},
		{[]string{"Bearertoken"}, "", AuthScheme},
		{[]string{tok}, "", AuthScheme},
	} {
		got, err := ParseBearer(tc.in)
		if tc.kind == 0 {
			assert.NoError(t, err, "%q", tc.in)
			assert.Equal(t, tc.want, got, "%q", tc.in)
			continue
		}
		var ae *AuthError
		if assert.ErrorAs(t, err, &ae, "%q", tc.in) {
			assert.Equal(t, tc.kind, ae.Kind, "%q: %v", tc.in, err)
			assert.NotContains(t, ae.Error(), tok, "%q", tc.in)
		}
		assert.Empty(t, got)
	}
}

// /metrics is open with MetricsPublic; the API is not.
func TestMetricsPublic(t *testing.T) {
	dir := t.TempDir()
	token := randomToken(t)
	writeTokens(t, filepath.Join(dir, "tokens"), token)
	tokens, err := LoadTokens(filepath.Join(dir, "tokens"))
	require.NoError(t, err)
	s, _ := newLogged(t, Options{Tokens: tokens, MetricsPublic: true})
	l := startLive(t, s, nil)
	code, _, b := l.do(t, "GET", "/metrics", "", nil)
	assert.Equal(t, 200, code, string(b))
	assert.Contains(t, string(b), "zeroshot_auth_tokens 1")
	code, _, _ = l.do(t, "POST", "/v1/embeddings", "application/json", []byte(`{"texts": ["a"]}`))
	assert.Equal(t, 401, code)
}
