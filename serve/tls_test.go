package serve

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// HTTPS with a self-signed certificate made by the test: TLS 1.2 (AEAD suites only)
// and 1.3 are served; TLS 1.0/1.1 and CBC suites are refused; plain HTTP to the port
// gets net/http's 400.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := testCert(t, dir, 1)
	cert, err := LoadCertificate(certFile, keyFile)
	require.NoError(t, err)
	s, _ := newLogged(t, Options{TLS: cert})
	l := startLive(t, s, pool)
	body := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"red", "green"}, "")
	code, _, b := l.do(t, "POST", "/v1/zero-shot-image-classification", "application/json", body)
	require.Equal(t, 200, code, string(b))

	for _, tc := range []struct {
		name     string
		cfg      *tls.Config
		ok       bool
		protocol uint16
	}{
		{"TLS 1.3", &tls.Config{MinVersion: tls.VersionTLS13}, true, tls.VersionTLS13},
		{"TLS 1.2, default suites", &tls.Config{MaxVersion: tls.VersionTLS12}, true, tls.VersionTLS12},
		{"TLS 1.2, ChaCha20-Poly1305 only", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, true, tls.VersionTLS12},
		{"TLS 1.2, AES-CBC only", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}, false, 0},
		{"TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false, 0},
		{"TLS 1.0", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, false, 0},
	} {
		cfg := tc.cfg.Clone()
		cfg.RootCAs = pool
		conn, err := tls.Dial("tcp", l.addr, cfg)
		if !tc.ok {
			assert.Error(t, err, tc.name)
			if conn != nil {
				conn.Close()
			}
			continue
		}
		if assert.NoError(t, err, tc.name) {
			assert.Equal(t, tc.protocol, conn.ConnectionState().Version, tc.name)
			conn.Close()
		}
	}
	// An untrusting client refuses the self-signed certificate (it is not a CA's).
	_, err = tls.Dial("tcp", l.addr, &tls.Config{})
	assert.Error(t, err)
	// Plain HTTP on the HTTPS port.
	resp, err := http.Get("http://" + l.addr + "/healthz")
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
}

func serial(t *testing.T, addr string, pool *x509.CertPool) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// Reload (SIGHUP) while requests are in flight: none is dropped; new connections get
// the new certificate and the new tokens; a certificate/key pair that does not match,
// or files that are gone, keep the pair in force.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool1 := testCert(t, dir, 1)
	cert, err := LoadCertificate(certFile, keyFile)
	require.NoError(t, err)
	old, fresh := randomToken(t), randomToken(t)
	tokenFile := filepath.Join(dir, "tokens")
	writeTokens(t, tokenFile, old)
	tokens, err := LoadTokens(tokenFile)
	require.NoError(t, err)
	s, logs := newLogged(t, Options{Tokens: tokens, TLS: cert, MaxBatch: 2})
	gate := make(chan struct{}) // forwards wait here until the reload is done
	inner := s.forwardFn
	s.forwardFn = func(px clip.Pixels) (clip.Matrix, error) {
		<-gate
		return inner(px)
	}
	// Both certificates are trusted by the client: the test reads which one it got.
	dir2 := t.TempDir()
	cert2, key2, _ := testCert(t, dir2, 2)
	pool := pool1.Clone()
	pem2, err := os.ReadFile(cert2)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(pem2))
	l := startLive(t, s, pool)
	require.Equal(t, int64(1), serial(t, l.addr, pool))

	body := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"red", "green"}, "")
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, _ := l.do(t, "POST", "/v1/zero-shot-image-classification", "application/json", body, "Bearer "+old)
			codes <- code
		}()
	}
	require.Eventually(t, func() bool { return s.metrics.inflight.Load() >= n }, 10*time.Second, time.Millisecond)
	// Swap both while they run.
	copyTo(t, cert2, certFile)
	copyTo(t, key2, keyFile)
	writeTokens(t, tokenFile, fresh)
	require.NoError(t, s.Reload())
	close(gate)
	wg.Wait()
	close(codes)
	for c := range codes {
		assert.Equal(t, 200, c, "a request in flight during the reload")
	}
	assert.Equal(t, int64(2), serial(t, l.addr, pool), "new connections get the new certificate")
	l.client.Transport.(*http.Transport).CloseIdleConnections()
	code, _, _ := l.do(t, "POST", "/v1/zero-shot-image-classification", "application/json", body, "Bearer "+old)
	assert.Equal(t, 401, code, "the old token is revoked")
	code, _, _ = l.do(t, "POST", "/v1/zero-shot-image-classification", "application/json", body, "Bearer "+fresh)
	assert.Equal(t, 200, code)

	// A new key with the old certificate: refused, pair 2 stays.
	_, key3, _ := testCert(t, t.TempDir(), 3)
	copyTo(t, key3, keyFile)
	err = s.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "private key does not match public key")
	assert.Contains(t, logs.String(), "still serving the certificate for localhost, 127.0.0.1, ::1")
	assert.Equal(t, int64(2), serial(t, l.addr, pool))
	// Files gone: refused, pair 2 stays.
	require.NoError(t, os.Remove(certFile))
	require.Error(t, s.Reload())
	assert.Equal(t, int64(2), serial(t, l.addr, pool))
	_, _, m := l.do(t, "GET", "/metrics", "", nil, "Bearer "+fresh)
	assert.Contains(t, string(m), `zeroshot_reload_ok{what="tls"} 0`)
	assert.Contains(t, string(m), `zeroshot_reloads_total{what="tls",result="error"} 2`)
	assert.Contains(t, string(m), `zeroshot_reload_ok{what="tokens"} 1`)
	assert.NotContains(t, logs.String(), old)
	assert.NotContains(t, logs.String(), fresh)
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst+".tmp", b, 0o600))
	require.NoError(t, os.Rename(dst+".tmp", dst))
}

func TestDescribeCertificate(t *testing.T) {
	certFile, keyFile, _ := testCert(t, t.TempDir(), 1)
	c, err := LoadCertificate(certFile, keyFile)
	require.NoError(t, err)
	leaf := c.Leaf()
	now := time.Now()
	assert.Contains(t, Describe(leaf, now), "certificate for localhost, 127.0.0.1, ::1, valid ")
	assert.Contains(t, Describe(leaf, now), "WARNING: expires in")
	assert.Contains(t, Describe(leaf, now.Add(48*time.Hour)), "WARNING: expired")
	assert.Contains(t, Describe(leaf, now.Add(-48*time.Hour)), "WARNING: not valid yet")

	_, err = LoadCertificate(filepath.Join(t.TempDir(), "none.pem"), keyFile)
	assert.ErrorContains(t, err, "none.pem")
}
