package serve

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Certificate is the server's TLS certificate and key, read from PEM files and
// reloadable: a new handshake uses the pair in force, connections already open keep
// theirs. Safe for concurrent use.
type Certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// LoadCertificate reads a PEM certificate (chain) and its private key; it refuses a
// pair that does not match.
func LoadCertificate(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if _, err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads both files again; if they hold a valid, matching pair it is used for
// new connections from now on, otherwise the old pair stays and the error says why
// (e.g. the certificate was replaced and the key not yet).
func (c *Certificate) Reload() (*x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s / key %s: %w", c.certFile, c.keyFile, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("TLS certificate %s: %w", c.certFile, err)
		}
		pair.Leaf = leaf
	}
	c.cur.Store(&pair)
	return leaf, nil
}

// Leaf is the certificate in force.
func (c *Certificate) Leaf() *x509.Certificate { return c.cur.Load().Leaf }

// Describe says what the certificate is for and until when, with a warning if it has
// expired or is not yet valid (clients will refuse it; the server still serves it, so
// that a late renewal does not also take the service down).
func Describe(leaf *x509.Certificate, now time.Time) string {
	names := append([]string(nil), leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = []string{leaf.Subject.CommonName}
	}
	s := fmt.Sprintf("certificate for %s, valid %s to %s", strings.Join(names, ", "),
		leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
	switch {
	case now.After(leaf.NotAfter):
		s += " (WARNING: expired: clients will refuse it)"
	case now.Before(leaf.NotBefore):
		s += " (WARNING: not valid yet: clients will refuse it)"
	case leaf.NotAfter.Sub(now) < 14*24*time.Hour:
		s += fmt.Sprintf(" (WARNING: expires in %v)", leaf.NotAfter.Sub(now).Round(time.Hour))
	}
	return s
}

// TLSConfig is the server side: TLS 1.2 and 1.3 only, and for 1.2 only ECDHE key
// exchange (forward secrecy) with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), as
// Mozilla's "intermediate" profile; TLS 1.3's suites are all AEAD and not
// configurable. The certificate is read at each handshake, so Reload takes effect
// for new connections.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.cur.Load(), nil },
	}
}
