package serve

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// IsLoopback reports whether a listen address (host:port) can only be reached from
// this machine: its host is "localhost" or an IP in 127.0.0.0/8 or ::1. An empty host,
// 0.0.0.0 and :: (every interface), any other IP, and any other host name (it could
// resolve to anything) are not.
func IsLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip, err := netip.ParseAddr(host) // takes a zone (::1%lo), as net.Listen does
	if err != nil {
		return false, nil
	}
	return ip.Unmap().IsLoopback(), nil
}
