package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/serve"
	"github.com/zeroshot-clip/zeroshot/serve/servetest"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// The tests and examples run against real servers, in this process: `zeroshot serve`
// over the tiny-l14 fixture model, one on plain HTTP and one on HTTPS, both requiring
// the token below.
var (
	serverURL    string // http://127.0.0.1:port
	tlsServerURL string // https://127.0.0.1:port, a self-signed certificate
	serverCAs    *x509.CertPool
	classifier   *zeroshot.Classifier
)

// token is the only one the servers accept (tests only: never commit a real one).
const token = "example-token-0123456789abcdef"

func TestMain(m *testing.M) {
	stop, err := startServers()
	if err != nil {
		fmt.Fprintln(os.Stderr, "client tests: starting the servers:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func startServers() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "zeroshot-client-test")
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return nil, err
	}
	tokens, err := serve.LoadTokens(tokenFile)
	if err != nil {
		return nil, err
	}
	certFile, keyFile, pool, err := servetest.SelfSigned(dir, 1)
	if err != nil {
		return nil, err
	}
	cert, err := serve.LoadCertificate(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	serverCAs = pool
	classifier, err = zeroshot.Open(filepath.Join("..", "..", "testdata", "models", "tiny-l14"), zeroshot.Options{Model: clip.Options{Threads: 1}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var done []chan error
	listen := func(opts serve.Options) (string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		// MaxBatch 1: every answer is the library's batch-1 answer, bit for bit.
		opts.MaxBatch, opts.Tokens, opts.ModelName = 1, tokens, "tiny-l14"
		s := serve.New(classifier, opts)
		d := make(chan error, 1)
		go func() { d <- s.Serve(ctx, ln, 5*time.Second) }()
		done = append(done, d)
		return ln.Addr().String(), nil
	}
	stop = func() {
		cancel()
		for _, d := range done {
			<-d
		}
		classifier.Close()
		os.RemoveAll(dir)
	}
	addr, err := listen(serve.Options{})
	if err != nil {
		stop()
		return nil, err
	}
	serverURL = "http://" + addr
	if addr, err = listen(serve.Options{TLS: cert}); err != nil {
		stop()
		return nil, err
	}
	tlsServerURL = "https://" + addr
	return stop, nil
}

// tlsConfig trusts the test servers' certificate.
func tlsConfig() *tls.Config { return &tls.Config{RootCAs: serverCAs} }
