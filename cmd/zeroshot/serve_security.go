package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/zeroshot-clip/zeroshot/serve"
)

// security is who may call the server: its tokens and TLS certificate, nil when off.
type security struct {
	tokens *serve.Tokens
	cert   *serve.Certificate
	from   string // where the token file was named: --token-file or $ZEROSHOT_TOKEN_FILE
}

// loadSecurity reads the token file (--token-file, else $ZEROSHOT_TOKEN_FILE) and the
// certificate, and refuses a non-loopback address without tokens unless insecure. It
// runs before the model is loaded, so a refusal is immediate.
func loadSecurity(addr, tokenFile, certFile, keyFile string, insecure bool, logger *log.Logger) (*security, error) {
	var sec security
	from := "--token-file"
	if tokenFile == "" {
		tokenFile, from = os.Getenv(tokenFileEnv), "$"+tokenFileEnv
	}
	if tokenFile != "" {
		t, err := serve.LoadTokens(tokenFile)
		if err != nil {
			return nil, exitUsage{fmt.Errorf("%s: %w", from, err)}
		}
		sec.tokens = t
		if st, err := os.Stat(tokenFile); err == nil && st.Mode().Perm()&0o077 != 0 {
			logger.Printf("warning: token file %s is readable by other users (mode %v): chmod 600 it", tokenFile, st.Mode().Perm())
		}
	}
	if certFile != "" {
		c, err := serve.LoadCertificate(certFile, keyFile)
		if err != nil {
			return nil, exitUsage{err}
		}
		sec.cert = c
	}
	loopback, err := serve.IsLoopback(addr)
	if err != nil {
		return nil, exitUsage{err}
	}
	switch {
	case !loopback && sec.tokens == nil && !insecure:
		return nil, exitUsage{fmt.Errorf("refusing to serve on %s without authentication: it is not a loopback address "+
			"(127.0.0.0/8, ::1, localhost; an empty host or 0.0.0.0 means every interface), so anyone who can reach it could "+
			"use the model and read /metrics. Give --token-file FILE (or %s), or --insecure to serve it open anyway "+
			"(e.g. behind a proxy that authenticates)", addr, tokenFileEnv)}
	case !loopback && sec.tokens == nil:
		logger.Printf("warning: --insecure: serving %s to anyone who can reach it, without authentication", addr)
	case !loopback && sec.cert == nil:
		logger.Printf("warning: tokens travel in clear text over plain HTTP on %s: give --tls-cert/--tls-key, or terminate TLS in a proxy", addr)
	}
	sec.from = from
	return &sec, nil
}

// describe logs who may call the server and how the queue is shared.
func (sec *security) describe(logger *log.Logger, metricsPublic bool, share, queue int) {
	if sec.tokens != nil {
		open := "/healthz and /readyz"
		if metricsPublic {
			open = "/healthz, /readyz and /metrics"
		}
		n := fmt.Sprintf("%d bearer tokens", sec.tokens.Len())
		if sec.tokens.Len() == 1 {
			n = "1 bearer token"
		}
		logger.Printf("auth: %s from %s (%s); required on every endpoint but %s", n, sec.tokens.Path(), sec.from, open)
	}
	if sec.cert != nil {
		logger.Printf("TLS: %s", serve.Describe(sec.cert.Leaf(), time.Now()))
	}
	by := "IP address"
	if sec.tokens != nil {
		by = "token"
	}
	if share < 0 {
		logger.Printf("queue: %d places, no per-client share", queue)
		return
	}
	if share == 0 {
		share = max(1, queue/2)
	}
	logger.Printf("queue: %d places, at most %d per client (by %s; 429 beyond)", queue, share, by)
}
