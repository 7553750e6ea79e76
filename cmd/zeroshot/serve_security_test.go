package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/serve/servetest"
)

var serveModel = filepath.Join("..", "..", "testdata", "models", "tiny-l14")

func token(t *testing.T) string {
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func writeTokenFile(t *testing.T, path string, tokens ...string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path+".tmp", []byte(strings.Join(tokens, "\n")+"\n"), 0o600))
	require.NoError(t, os.Rename(path+".tmp", path))
}

// classifyWith posts a classification with an optional bearer token.
func classifyWith(t *testing.T, client *http.Client, url, tok string) int {
	t.Helper()
	img, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pipeline", "gradient.png"))
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]any{"inputs": base64.StdEncoding.EncodeToString(img),
		"parameters": map[string]any{"candidate_labels": []string{"red", "green"}}})
	req, err := http.NewRequest("POST", url+"/v1/zero-shot-image-classification", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// On an address other than loopback serve refuses to start without a token file, at
// once (before the model is even looked at), and says why and what to do.
func TestServeRefusesExposure(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:8080", "example.com:8080", "my-laptop:0"} {
		var stderr bytes.Buffer
		code := run([]string{"serve", "--addr", addr, "--model", filepath.Join(t.TempDir(), "no-model")}, io.Discard, &stderr)
		assert.Equal(t, 2, code, "%s: %s", addr, stderr.String())
		for _, want := range []string{"refusing to serve on " + addr + " without authentication", "not a loopback address", "--token-file", "ZEROSHOT_TOKEN_FILE", "--insecure"} {
			assert.Contains(t, stderr.String(), want, addr)
		}
	}
	// Bad flag pairs and token files are refused the same way, before the model.
	for _, args := range [][]string{
		{"--tls-cert", "c.pem"},
		{"--tls-key", "k.pem"},
		{"--client-share", "-1"},
		{"--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"},
	} {
		var stderr bytes.Buffer
		code := run(append([]string{"serve", "--model", filepath.Join(t.TempDir(), "no-model")}, args...), io.Discard, &stderr)
		assert.Equal(t, 2, code, "%v: %s", args, stderr.String())
	}
}

// The command's column of the token-file rows: each bad file stops serve with exit 2,
// the file, the line and the reason, and never a token.
func TestServeBadTokenFiles(t *testing.T) {
	for i, tf := range servetest.TokenFiles() {
		if tf.Err == "" {
			continue
		}
		p := filepath.Join(t.TempDir(), fmt.Sprintf("tokens%d", i))
		skip, err := tf.Make(p)
		require.NoError(t, err)
		if skip != "" {
			t.Logf("%s: skipped: %s", tf.Name, skip)
			continue
		}
		var stderr bytes.Buffer
		code := run([]string{"serve", "--token-file", p, "--model", filepath.Join(t.TempDir(), "no-model")}, io.Discard, &stderr)
		assert.Equal(t, 2, code, "%s: %s", tf.Name, stderr.String())
		assert.Contains(t, stderr.String(), tf.Err, tf.Name)
		assert.Contains(t, stderr.String(), p, tf.Name)
		assert.NotContains(t, stderr.String(), servetest.Secret, "%s: a token in the message", tf.Name)
		os.Chmod(p, 0o600)
	}
}

// --insecure serves every interface without tokens, and says so.
func TestServeInsecure(t *testing.T) {
	addr, stop := startServe(t, "--model", serveModel, "--addr", ":0", "--insecure", "--threads", "1")
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	assert.Equal(t, 200, classifyWith(t, http.DefaultClient, "http://127.0.0.1:"+port, ""))
	code, stderr := stop()
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "warning: --insecure: serving :0 to anyone who can reach it, without authentication")
}

// Tokens from ZEROSHOT_TOKEN_FILE on every interface, TLS, and SIGHUP: a new token file
// and certificate take effect; a removed token file keeps the tokens in force (logged);
// no token is ever logged.
func TestServeTokensTLSReload(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	old, fresh := token(t), token(t)
	writeTokenFile(t, tokens, old)
	require.NoError(t, os.Chmod(tokens, 0o644)) // readable by others: a warning
	certFile, keyFile, pool, err := servetest.SelfSigned(dir, 1)
	require.NoError(t, err)
	t.Setenv(tokenFileEnv, tokens)
	addr, logs, stop := startServeLog(t, "--model", serveModel, "--addr", ":0", "--threads", "1",
		"--tls-cert", certFile, "--tls-key", keyFile, "--client-share", "8")
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	url := "https://127.0.0.1:" + port
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	assert.Equal(t, 401, classifyWith(t, client, url, ""))
	assert.Equal(t, 401, classifyWith(t, client, url, fresh))
	assert.Equal(t, 200, classifyWith(t, client, url, old))

	hangup := func(want string) {
		t.Helper()
		n := strings.Count(logs(), want)
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
		require.Eventually(t, func() bool { return strings.Count(logs(), want) > n }, 10*time.Second, 5*time.Millisecond, "log %q after SIGHUP:\n%s", want, logs())
	}
	writeTokenFile(t, tokens, fresh)
	_, _, pool2, err := servetest.SelfSigned(dir, 2)
	require.NoError(t, err)
	hangup("reload: TLS certificate for localhost")
	client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool2}, DisableKeepAlives: true}}
	assert.Contains(t, logs(), "reload: 1 token from "+tokens+" (was 1)")
	assert.Equal(t, 401, classifyWith(t, client, url, old))
	assert.Equal(t, 200, classifyWith(t, client, url, fresh))
	_, err = tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: pool})
	assert.Error(t, err, "the old certificate is no longer served")

	require.NoError(t, os.Remove(tokens))
	hangup("still accepting the 1 token read at")
	assert.Contains(t, logs(), "does not exist")
	assert.Equal(t, 200, classifyWith(t, client, url, fresh), "a removed token file keeps the tokens in force")

	code, stderr := stop()
	assert.Equal(t, 0, code, stderr)
	for _, want := range []string{
		"auth: 1 bearer token from " + tokens + " ($ZEROSHOT_TOKEN_FILE); required on every endpoint but /healthz and /readyz",
		"TLS: certificate for localhost, 127.0.0.1, ::1",
		"warning: token file " + tokens + " is readable by other users (mode -rw-r--r--): chmod 600 it",
		"queue: 64 places, at most 8 per client (by token; 429 beyond)",
		"listening on https://",
	} {
		assert.Contains(t, stderr, want)
	}
	assert.NotContains(t, stderr, "clear text", "TLS is on")
	assert.NotContains(t, stderr, old)
	assert.NotContains(t, stderr, fresh)
}
