package serve

import (
	"errors"
	"fmt"
	"time"
)

// Reload reads the token file and the TLS certificate and key again (those the
// server was given), as the command does on SIGHUP. Each is swapped at once and only
// if it is valid; a failure keeps what was in force, is logged with its reason and
// shows in /metrics (zeroshot_reload_ok 0). Requests in flight are not affected;
// connections already open keep their TLS session. The error joins both failures.
func (s *Server) Reload() error {
	var errs []error
	if t := s.opts.Tokens; t != nil {
		before := t.Len()
		since := t.Loaded()
		n, err := t.Reload()
		s.metrics.reload("tokens", err)
		if err != nil {
			s.logf("reload: %v; still accepting the %s read at %s", err, nTokens(before), since.Format(time.DateTime))
			errs = append(errs, err)
		} else {
			s.logf("reload: %s from %s (was %d)", nTokens(n), t.Path(), before)
		}
	}
	if c := s.opts.TLS; c != nil {
		old := c.Leaf()
		leaf, err := c.Reload()
		s.metrics.reload("tls", err)
		if err != nil {
			s.logf("reload: %v; still serving the %s", err, Describe(old, time.Now()))
			errs = append(errs, err)
		} else {
			s.logf("reload: TLS %s", Describe(leaf, time.Now()))
		}
	}
	return errors.Join(errs...)
}

// nTokens is "1 token", "2 tokens".
func nTokens(n int) string {
	if n == 1 {
		return "1 token"
	}
	return fmt.Sprintf("%d tokens", n)
}
