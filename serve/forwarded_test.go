package serve

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddrClient(t *testing.T) {
	lo := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	chain := append([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, lo...)
	for _, tc := range []struct {
		name     string
		trusted  []netip.Prefix
		rfc7239  bool
		peer     string
		xff, fwd []string
		want     string
	}{
		{"no trusted proxies: the header is not read", nil, false, "127.0.0.1:5000", []string{"203.0.113.5"}, nil, "127.0.0.1"},
		{"an untrusted peer's header is not read", lo, false, "192.0.2.9:5000", []string{"203.0.113.5"}, nil, "192.0.2.9"},
		{"a trusted proxy's hop", lo, false, "127.0.0.1:5000", []string{"203.0.113.5"}, nil, "203.0.113.5"},
		{"a client's own X-Forwarded-For is left of the proxy's hop", lo, false, "127.0.0.1:5000", []string{"9.9.9.9, 203.0.113.5"}, nil, "203.0.113.5"},
		{"the same over two header lines", lo, false, "127.0.0.1:5000", []string{"9.9.9.9", "203.0.113.5"}, nil, "203.0.113.5"},
		{"a chain of trusted proxies", chain, false, "127.0.0.1:5000", []string{"9.9.9.9, 203.0.113.5, 10.1.2.3"}, nil, "203.0.113.5"},
		{"every hop trusted: the first", chain, false, "127.0.0.1:5000", []string{"10.0.0.1, 10.0.0.2"}, nil, "10.0.0.1"},
		{"no header: the proxy", lo, false, "127.0.0.1:5000", nil, nil, "127.0.0.1"},
		{"unknown: the proxy that wrote it", chain, false, "127.0.0.1:5000", []string{"203.0.113.5, unknown, 10.0.0.1"}, nil, "10.0.0.1"},
		{"an empty hop: the proxy", lo, false, "127.0.0.1:5000", []string{""}, nil, "127.0.0.1"},
		{"a port", lo, false, "127.0.0.1:5000", []string{"203.0.113.5:8080"}, nil, "203.0.113.5"},
		{"IPv6 with a port", lo, false, "127.0.0.1:5000", []string{"[2001:db8::1]:4711"}, nil, "2001:db8::1"},
		{"IPv6", lo, false, "[::1]:5000", []string{"2001:db8::1"}, nil, "2001:db8::1"},
		{"IPv4-mapped IPv6 is IPv4", lo, false, "127.0.0.1:5000", []string{"::ffff:203.0.113.5"}, nil, "203.0.113.5"},
		{"X-Forwarded-For mode ignores Forwarded", lo, false, "127.0.0.1:5000", nil, []string{"for=203.0.113.5"}, "127.0.0.1"},

		{"Forwarded", lo, true, "127.0.0.1:5000", nil, []string{"for=192.0.2.60;proto=http;by=203.0.113.43"}, "192.0.2.60"},
		{"Forwarded, quoted IPv6 with a port", lo, true, "127.0.0.1:5000", nil, []string{`for="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"Forwarded, a client's element left of the proxy's", lo, true, "127.0.0.1:5000", nil, []string{"for=9.9.9.9, for=192.0.2.60"}, "192.0.2.60"},
		{"Forwarded, FOR in capitals, spaces", lo, true, "127.0.0.1:5000", nil, []string{"proto=https; For = 192.0.2.60"}, "192.0.2.60"},
		{"Forwarded, a quoted comma", lo, true, "127.0.0.1:5000", nil, []string{`for=192.0.2.60;x="a,b"`}, "192.0.2.60"},
		{"Forwarded, obfuscated: the proxy", lo, true, "127.0.0.1:5000", nil, []string{"for=_hidden"}, "127.0.0.1"},
		{"Forwarded, an element without for: the proxy", lo, true, "127.0.0.1:5000", nil, []string{"for=192.0.2.60, proto=http"}, "127.0.0.1"},
		{"Forwarded mode ignores X-Forwarded-For", lo, true, "127.0.0.1:5000", []string{"203.0.113.5"}, nil, "127.0.0.1"},
		{"Forwarded from an untrusted peer", lo, true, "192.0.2.9:5000", nil, []string{"for=192.0.2.60"}, "192.0.2.9"},
	} {
		s := &Server{opts: Options{TrustedProxies: tc.trusted, UseForwarded: tc.rfc7239}}
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		for _, v := range tc.fwd {
			r.Header.Add("Forwarded", v)
		}
		assert.Equal(t, clientKey("addr:"+tc.want), s.addrClient(r), tc.name)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	p, err := ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.7,::1,10.1.2.3/16,")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.1.0.0/16")}, p)
	p, err = ParseTrustedProxies("")
	require.NoError(t, err)
	assert.Empty(t, p)
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0", "10.0.0.0/8,nope"} {
		_, err := ParseTrustedProxies(bad)
		if assert.Error(t, err, bad) {
			assert.Contains(t, err.Error(), "trusted proxy", bad)
		}
	}
}
