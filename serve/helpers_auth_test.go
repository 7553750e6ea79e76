package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/serve/servetest"
)

// testCert writes a self-signed certificate made now (servetest.SelfSigned).
func testCert(t testing.TB, dir string, serial int64) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	certFile, keyFile, pool, err := servetest.SelfSigned(dir, serial)
	require.NoError(t, err)
	return certFile, keyFile, pool
}

// randomToken is a 32-hex-digit token made now.
func randomToken(t testing.TB) string {
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func writeTokens(t testing.TB, path string, tokens ...string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte("# test tokens\n"+strings.Join(tokens, "\n")+"\n"), 0o600))
}

// syncBuffer is a log destination read while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// live is a server running Serve on a loopback listener, as the command runs it
// (http.Server limits, TLS when Options.TLS is set).
type live struct {
	s      *Server
	base   string // http://127.0.0.1:port or https://…
	addr   string
	client *http.Client
	log    *syncBuffer
	pool   *x509.CertPool
}

func startLive(t testing.TB, s *Server, pool *x509.CertPool) *live {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	l := &live{s: s, addr: ln.Addr().String(), base: "http://" + ln.Addr().String(), pool: pool}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	if s.opts.TLS != nil {
		l.base = "https://" + ln.Addr().String()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	l.client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return l
}

// newLogged is New with the log captured.
func newLogged(t testing.TB, opts Options) (*Server, *syncBuffer) {
	t.Helper()
	var buf syncBuffer
	opts.Log = log.New(&buf, "", 0)
	s := New(openClassifier(t, "tiny-l14"), opts)
	t.Cleanup(func() { s.Close() })
	return s, &buf
}

// do sends one request; auth values become Authorization headers.
func (l *live) do(t testing.TB, method, path, ct string, body []byte, auth ...string) (int, http.Header, []byte) {
	t.Helper()
	return l.doHeader(t, method, path, ct, body, http.Header{"Authorization": auth})
}

// doHeader sends one request with these headers.
func (l *live) doHeader(t testing.TB, method, path, ct string, body []byte, h http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, l.base+path, bytes.NewReader(body))
	require.NoError(t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := l.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

// raw writes a request by hand (bytes net/http's client refuses to send) and reads
// the answer.
func (l *live) raw(t testing.TB, method, path, ct string, body []byte, headers map[string][]string) (int, http.Header, []byte) {
	t.Helper()
	var conn net.Conn
	var err error
	if l.s.opts.TLS != nil {
		conn, err = tls.Dial("tcp", l.addr, &tls.Config{RootCAs: l.pool})
	} else {
		conn, err = net.Dial("tcp", l.addr)
	}
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b bytes.Buffer
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: " + l.addr + "\r\nConnection: close\r\n")
	if ct != "" {
		b.WriteString("Content-Type: " + ct + "\r\n")
	}
	for name, vs := range headers {
		for _, v := range vs {
			b.WriteString(name + ": " + v + "\r\n")
		}
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	_, err = conn.Write(b.Bytes())
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}
