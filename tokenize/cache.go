package tokenize

import (
	"strings"
	"sync"
	"sync/atomic"
)

// wordCacheSize bounds the per-word cache; past it, words are merged every time (as the
// tokenizers crate does past its own capacity), so memory stays bounded on any input.
const (
	wordCacheSize   = 1 << 16
	wordCacheMaxLen = 128 // longer words are not cached
)

// wordCache maps a pre-tokenized word to its BPE ids. Safe for concurrent use.
type wordCache struct {
	mu   sync.RWMutex
	m    map[string][]int
	max  int
	full atomic.Bool // no more room: put returns without locking
}

func newWordCache(max int) *wordCache {
	return &wordCache{m: make(map[string][]int), max: max}
}

func (c *wordCache) get(word string) ([]int, bool) {
	c.mu.RLock()
	ids, ok := c.m[word]
	c.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(word string, ids []int) {
	if len(word) > wordCacheMaxLen || c.full.Load() {
		return
	}
	c.mu.Lock()
	if len(c.m) < c.max {
		c.m[strings.Clone(word)] = ids
	} else {
		c.full.Store(true)
	}
	c.mu.Unlock()
}
