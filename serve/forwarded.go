package serve

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a reverse proxy or an ingress every client arrives from the proxy's address,
// so without tokens all of them would share one client's share of the queue. A proxy
// says whom it forwards for in X-Forwarded-For (or RFC 7239's Forwarded), but so can
// any client: the header is believed only from a peer in Options.TrustedProxies, and
// only the hops that trusted proxies appended. The client is the rightmost address
// that is not itself a trusted proxy: the address the last trusted proxy saw.

// addrClient names the client of a request that carries no token: its peer's IP
// address, or, when the peer is a trusted proxy, the address it forwards for.
func (s *Server) addrClient(r *http.Request) clientKey {
	peer, ok := parseHop(r.RemoteAddr)
	if !ok {
		return clientKey("addr:" + r.RemoteAddr)
	}
	if !s.trustedProxy(peer) {
		return addrKey(peer)
	}
	hops := forwardedFor(r.Header, s.opts.UseForwarded)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// "unknown", an obfuscated name, garbage: the trusted proxy that wrote it
			// is as far as anyone can tell.
			break
		}
		peer = a
		if !s.trustedProxy(a) {
			break
		}
	}
	return addrKey(peer)
}

func addrKey(a netip.Addr) clientKey { return clientKey("addr:" + a.String()) }

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor lists the hops of X-Forwarded-For (or the "for" of each element of
// Forwarded), every header line in order, leftmost (the first client) first. An
// element of Forwarded without "for" is an empty hop.
func forwardedFor(h http.Header, rfc7239 bool) []string {
	var hops []string
	if !rfc7239 {
		for _, line := range h.Values("X-Forwarded-For") {
			for _, hop := range strings.Split(line, ",") {
				hops = append(hops, strings.TrimSpace(hop))
			}
		}
		return hops
	}
	for _, line := range h.Values("Forwarded") {
		for _, elem := range splitQuoted(line, ',') {
			hop := ""
			for _, pair := range splitQuoted(elem, ';') {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
					hop = strings.TrimSpace(v)
				}
			}
			hops = append(hops, hop)
		}
	}
	return hops
}

// splitQuoted splits s at sep outside double quotes (RFC 7239's quoted-string).
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseHop reads an address as proxies write it: 192.0.2.1, 192.0.2.1:4711,
// 2001:db8::1, [2001:db8::1]:4711, quoted (Forwarded); IPv4-mapped IPv6 is IPv4.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR prefixes
// (10.0.0.0/8, 192.0.2.7, ::1) as Options.TrustedProxies takes them; the error names
// the item it cannot read.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR prefix (e.g. 10.0.0.0/8, 192.0.2.7, ::1)", item)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR prefix (e.g. 10.0.0.0/8, 192.0.2.7, ::1)", item)
		}
		a = a.WithZone("").Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
