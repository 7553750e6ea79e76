package source

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// AllowHosts returns a Fetcher.Allow that admits URLs whose host is on list: "host"
// (any port), "host:port" (that port only), or "*.domain" (every name under domain,
// not domain itself). Names are compared without regard to case; IP addresses as
// written (an IPv6 address in brackets with a port: "[::1]:8080"). An empty list
// admits nothing.
func AllowHosts(list []string) (func(*url.URL) bool, error) {
	type entry struct{ host, port string }
	var entries []entry
	for _, item := range list {
		item = strings.ToLower(strings.TrimSpace(item))
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") || strings.Contains(item, "@") {
			return nil, fmt.Errorf("%q: want a host, host:port or *.domain, not a URL", item)
		}
		host, port := item, ""
		if h, p, err := net.SplitHostPort(item); err == nil {
			host, port = h, p
		}
		host = strings.Trim(host, "[]")
		if host == "" || host == "*" || host == "*." || strings.Contains(host[1:], "*") {
			return nil, fmt.Errorf("%q: want a host, host:port or *.domain", item)
		}
		entries = append(entries, entry{host, port})
	}
	return func(u *url.URL) bool {
		host, port := strings.ToLower(u.Hostname()), u.Port()
		for _, e := range entries {
			if e.port != "" && e.port != port {
				continue
			}
			if suffix, wild := strings.CutPrefix(e.host, "*"); wild {
				if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
					return true
				}
			} else if host == e.host {
				return true
			}
		}
		return false
	}, nil
}
