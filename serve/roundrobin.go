package serve

import (
	"context"
	"sync"
)

// roundRobin holds items per client and gives them out one client at a time, in
// turn: a client with many items waiting does not make another wait behind all of
// them (each client's own items stay in order). Not safe for concurrent use.
type roundRobin[T any] struct {
	lists map[clientKey][]T
	ring  []clientKey // clients with items, in turn order
	next  int         // index in ring of the client whose turn it is
	n     int
}

func (q *roundRobin[T]) push(k clientKey, v T) {
	if q.lists == nil {
		q.lists = map[clientKey][]T{}
	}
	if len(q.lists[k]) == 0 {
		q.ring = append(q.ring, k)
	}
	q.lists[k] = append(q.lists[k], v)
	q.n++
}

func (q *roundRobin[T]) len() int { return q.n }

// pop takes the oldest item of the client whose turn it is.
func (q *roundRobin[T]) pop() (v T, ok bool) {
	if q.n == 0 {
		return v, false
	}
	i := q.next % len(q.ring)
	k := q.ring[i]
	l := q.lists[k]
	v = l[0]
	q.n--
	if len(l) == 1 {
		delete(q.lists, k)
		q.dropRing(i)
		return v, true
	}
	q.lists[k] = l[1:]
	q.next = (i + 1) % len(q.ring)
	return v, true
}

// remove takes out k's first item for which match is true.
func (q *roundRobin[T]) remove(k clientKey, match func(T) bool) bool {
	l := q.lists[k]
	for j, v := range l {
		if !match(v) {
			continue
		}
		q.n--
		if len(l) == 1 {
			delete(q.lists, k)
			for i, c := range q.ring {
				if c == k {
					q.dropRing(i)
					break
				}
			}
		} else {
			q.lists[k] = append(l[:j:j], l[j+1:]...)
		}
		return true
	}
	return false
}

// dropRing removes ring[i]; the turn passes to the client after it.
func (q *roundRobin[T]) dropRing(i int) {
	q.ring = append(q.ring[:i], q.ring[i+1:]...)
	if q.next > i {
		q.next--
	}
	if q.next >= len(q.ring) {
		q.next = 0
	}
}

// fairSlots is a counting semaphore whose waiters are served client by client in
// turn (not first come, first served), so that a client with many requests waiting
// for a decoder does not hold another client's one request behind all of them.
type fairSlots struct {
	mu      sync.Mutex
	free    int
	waiting roundRobin[*slotWaiter]
}

type slotWaiter struct {
	ready   chan struct{}
	granted bool // under mu
}

func newFairSlots(n int) *fairSlots { return &fairSlots{free: n} }

// acquire takes a slot for client k, waiting its turn, or returns ctx's error.
func (f *fairSlots) acquire(ctx context.Context, k clientKey) error {
	f.mu.Lock()
	if f.free > 0 && f.waiting.len() == 0 {
		f.free--
		f.mu.Unlock()
		return nil
	}
	w := &slotWaiter{ready: make(chan struct{})}
	f.waiting.push(k, w)
	f.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	f.mu.Lock()
	granted := w.granted
	if !granted {
		f.waiting.remove(k, func(x *slotWaiter) bool { return x == w })
	}
	f.mu.Unlock()
	if granted { // granted as ctx ended: pass the slot on
		f.release()
	}
	return ctx.Err()
}

// release gives a slot back: to the next waiting client in turn, if any.
func (f *fairSlots) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w, ok := f.waiting.pop(); ok {
		w.granted = true
		close(w.ready)
		return
	}
	f.free++
}
