package serve

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Turns: clients alternate, each client's items stay in order, and a client that
// arrives late is served at its next turn, not after everything queued before it.
func TestRoundRobinOrder(t *testing.T) {
	var q roundRobin[string]
	for i := 0; i < 5; i++ {
		q.push("a", fmt.Sprint("a", i))
	}
	q.push("b", "b0")
	q.push("b", "b1")
	var got []string
	v, _ := q.pop()
	got = append(got, v)
	q.push("c", "c0") // arrives late
	for q.len() > 0 {
		v, _ := q.pop()
		got = append(got, v)
	}
	assert.Equal(t, []string{"a0", "b0", "c0", "a1", "b1", "a2", "a3", "a4"}, got)
	_, ok := q.pop()
	assert.False(t, ok)
}

// Against a model of the queue: random pushes, pops and removals keep the count, keep
// every client's items in order, and never give a client two turns in a row while
// another client has items.
func TestRoundRobinRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var q roundRobin[int]
	model := map[clientKey][]int{}
	id := 0
	for step := 0; step < 20000; step++ {
		k := clientKey(fmt.Sprint(rng.Intn(5)))
		switch op := rng.Intn(10); {
		case op < 5:
			q.push(k, id)
			model[k] = append(model[k], id)
			id++
		case op < 9:
			v, ok := q.pop()
			n := 0
			for _, l := range model {
				n += len(l)
			}
			require.Equal(t, n > 0, ok)
			if !ok {
				continue
			}
			var from clientKey
			for c, l := range model {
				if len(l) > 0 && l[0] == v {
					from = c
				}
			}
			require.NotEmpty(t, from, "popped %d, not the oldest of any client", v)
			model[from] = model[from][1:]
		default:
			if l := model[k]; len(l) > 0 {
				j := rng.Intn(len(l))
				target := l[j]
				require.True(t, q.remove(k, func(x int) bool { return x == target }))
				model[k] = append(l[:j:j], l[j+1:]...)
			}
		}
		n := 0
		for _, l := range model {
			n += len(l)
		}
		require.Equal(t, n, q.len())
		require.Equal(t, len(q.ring), len(q.lists))
	}
	// Drained, then 4 clients of 10 items each: every 4 pops visit the 4 clients.
	for q.len() > 0 {
		q.pop()
	}
	for c := 0; c < 4; c++ {
		for i := 0; i < 10; i++ {
			q.push(clientKey(fmt.Sprint("z", c)), 100*c+i)
		}
	}
	for round := 0; round < 10; round++ {
		seen := map[int]bool{}
		for i := 0; i < 4; i++ {
			v, ok := q.pop()
			require.True(t, ok)
			assert.False(t, seen[v/100], "client %d twice in round %d", v/100, round)
			assert.Equal(t, round, v%100, "client %d's items in order", v/100)
			seen[v/100] = true
		}
	}
	assert.Zero(t, q.len())
}

// fairSlots: at most n held at once; waiters are served client by client; a waiter
// whose context ends leaves without taking (or while passing on) a slot.
func TestFairSlots(t *testing.T) {
	f := newFairSlots(1)
	require.NoError(t, f.acquire(context.Background(), "hog"))
	var order []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := func(k clientKey, name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, f.acquire(context.Background(), k))
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			f.release()
		}()
	}
	waiters := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.waiting.len()
	}
	for i := 0; i < 4; i++ {
		start("hog", fmt.Sprint("hog", i))
		require.Eventually(t, func() bool { return waiters() == i+1 }, 5*time.Second, time.Millisecond)
	}
	start("polite", "polite")
	require.Eventually(t, func() bool { return waiters() == 5 }, 5*time.Second, time.Millisecond)
	// A waiter that gives up.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- f.acquire(ctx, "quitter") }()
	require.Eventually(t, func() bool { return waiters() == 6 }, 5*time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-gaveUp, context.Canceled)
	assert.Equal(t, 5, waiters())
	f.release()
	wg.Wait()
	assert.Equal(t, []string{"hog0", "polite", "hog1", "hog2", "hog3"}, order, "the polite client is served at its turn")
	assert.Equal(t, 1, f.free)

	// Stress: n slots never over-held, all slots back at the end, with cancellations.
	const n = 3
	f = newFairSlots(n)
	var held, maxHeld atomic.Int64
	var wg2 sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg2.Add(1)
		go func(g int) {
			defer wg2.Done()
			for i := 0; i < 200; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.Intn(200))*time.Microsecond)
				if f.acquire(ctx, clientKey(fmt.Sprint(g%5))) == nil {
					h := held.Add(1)
					for {
						m := maxHeld.Load()
						if h <= m || maxHeld.CompareAndSwap(m, h) {
							break
						}
					}
					held.Add(-1)
					f.release()
				}
				cancel()
			}
		}(g)
	}
	wg2.Wait()
	assert.LessOrEqual(t, maxHeld.Load(), int64(n))
	assert.Equal(t, n, f.free)
	assert.Zero(t, f.waiting.len())
}
