package serve

import (
	"errors"
	"fmt"
	"sync"
)

// ErrClientShare: the client already holds its share of the queue (HTTP 429 with
// Retry-After); other clients are still admitted.
var ErrClientShare = errors.New("too many requests from this client")

// shareError is ErrClientShare with the numbers.
type shareError struct{ held, share, capacity int }

func (e *shareError) Error() string {
	return fmt.Sprintf("%v: it holds %d of its %d places in the queue (of %d); retry when its requests are answered",
		ErrClientShare, e.held, e.share, e.capacity)
}

func (e *shareError) Unwrap() error { return ErrClientShare }

// ledger counts the queue places (images admitted and not yet in a forward) each
// client holds, so that no client holds more than share of them: one client flooding
// the server cannot take the whole queue, and the others are still admitted. Entries
// leave the map when their count returns to 0, so it holds at most MaxQueue clients.
type ledger struct {
	mu    sync.Mutex
	share int
	held  map[clientKey]int
}

func newLedger(share int) *ledger { return &ledger{share: share, held: map[clientKey]int{}} }

// take reserves n places for k, or none if that would pass its share.
func (l *ledger) take(k clientKey, n, capacity int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.held[k]
	if l.share < capacity && h+n > l.share { // a share of the whole queue is no share: the queue's own bound applies
		return &shareError{held: h, share: l.share, capacity: capacity}
	}
	l.held[k] = h + n
	return nil
}

// give returns n of k's places.
func (l *ledger) give(k clientKey, n int) {
	if n == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.held[k] - n; h > 0 {
		l.held[k] = h
	} else {
		delete(l.held, k)
	}
}

// clients is the number of clients holding places now.
func (l *ledger) clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}
