package zeroshot

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"sync"
)

// labelCache keeps label embeddings by (model, templates, labels): a bounded LRU in
// memory and, when dir is set, one file per label set on disk. Safe for concurrent use.
type labelCache struct {
	mu       sync.Mutex
	max      int   // label sets
	maxBytes int64 // their embeddings' bytes
	bytes    int64
	order    *list.List // front: most recent; values are *cacheEntry
	items    map[string]*list.Element
	dir      string
}

type cacheEntry struct {
	key    string
	labels *Labels
}

const defaultCacheBytes = 1 << 30

func newLabelCache(max int, maxBytes int64, dir string) *labelCache {
	if max <= 0 {
		max = 64
	}
	if maxBytes <= 0 {
		maxBytes = defaultCacheBytes
	}
	return &labelCache{max: max, maxBytes: maxBytes, order: list.New(), items: map[string]*list.Element{}, dir: dir}
}

// cacheKey names a label set for one model: the SHA-256 of the model's identity, the
// templates and the labels, each length-prefixed so no two different sets share a key.
// It is 64 hex digits whatever the number of labels, and names the set's files.
func cacheKey(model string, templates, labels []string) string {
	h := sha256.New()
	write := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	write(model)
	for _, group := range [][]string{templates, labels} {
		write(fmt.Sprint(len(group)))
		for _, s := range group {
			write(s)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sizeOf(l *Labels) int64 { return int64(len(l.Embeds.Data)) * 4 }

func (c *labelCache) get(key string, labels, templates []string) (*Labels, bool) {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*cacheEntry).labels, true
	}
	c.mu.Unlock()
	if c.dir == "" {
		return nil, false
	}
	l, err := readLabels(c.path(key), labels, templates)
	if err != nil {
		return nil, false // a missing, damaged or foreign file is recomputed and rewritten
	}
	c.put(key, l, false)
	return l, true
}

func (c *labelCache) path(key string) string { return filepath.Join(c.dir, key+labelsExt) }

// put stores l; toDisk also writes it to the disk cache (errors there only cost a
// recomputation later, so they are returned for the caller to report, not fatal).
func (c *labelCache) put(key string, l *Labels, toDisk bool) error {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		ent := e.Value.(*cacheEntry)
		c.bytes += sizeOf(l) - sizeOf(ent.labels)
		ent.labels = l
		c.order.MoveToFront(e)
	} else {
		c.items[key] = c.order.PushFront(&cacheEntry{key: key, labels: l})
		c.bytes += sizeOf(l)
	}
	for c.order.Len() > 1 && (c.order.Len() > c.max || c.bytes > c.maxBytes) {
		old := c.order.Remove(c.order.Back()).(*cacheEntry)
		delete(c.items, old.key)
		c.bytes -= sizeOf(old.labels)
	}
	c.mu.Unlock()
	if toDisk && c.dir != "" {
		return writeLabels(c.path(key), l)
	}
	return nil
}

// lockKey makes processes (and goroutines) that need the same label set compute it one
// at a time, so the second reads the first one's file instead of redoing a text pass
// that can take minutes: an exclusive flock on DIR/KEY.lock, waited for while ctx lasts.
// Without a disk cache, or where locking fails (some network file systems), it does
// nothing: the results are the same, only computed twice.
func (c *labelCache) lockKey(ctx context.Context, key string) func() {
	if c.dir == "" {
		return func() {}
	}
	return lockFile(ctx, filepath.Join(c.dir, key+".lock"))
}
