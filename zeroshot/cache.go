package zeroshot

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// labelCache keeps label embeddings by (model, templates, labels): a bounded LRU in
// memory and, when dir is set, one file per label set on disk. Safe for concurrent use.
type labelCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recent; values are *cacheEntry
	items map[string]*list.Element
	dir   string
}

type cacheEntry struct {
	key    string
	labels *Labels
}

func newLabelCache(max int, dir string) *labelCache {
	if max <= 0 {
		max = 64
	}
	return &labelCache{max: max, order: list.New(), items: map[string]*list.Element{}, dir: dir}
}

// cacheKey names a label set for one model: the model's identity, the templates and the
// labels, each length-prefixed so no two different sets share a key.
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

func (c *labelCache) get(key string) (*Labels, bool) {
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
	l, err := readLabels(filepath.Join(c.dir, key+".json"))
	if err != nil {
		return nil, false // a missing or damaged file is recomputed and rewritten
	}
	c.put(key, l, false)
	return l, true
}

// put stores l; toDisk also writes it to the disk cache (errors there only cost a
// recomputation later, so they are returned for the caller to report, not fatal).
func (c *labelCache) put(key string, l *Labels, toDisk bool) error {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		e.Value.(*cacheEntry).labels = l
		c.order.MoveToFront(e)
	} else {
		c.items[key] = c.order.PushFront(&cacheEntry{key: key, labels: l})
		for c.order.Len() > c.max {
			old := c.order.Remove(c.order.Back()).(*cacheEntry)
			delete(c.items, old.key)
		}
	}
	c.mu.Unlock()
	if toDisk && c.dir != "" {
		return writeLabels(filepath.Join(c.dir, key+".json"), l)
	}
	return nil
}

// labelsFile is the on-disk form: JSON with the embeddings as raw float32 bits, so
// values come back exactly.
type labelsFile struct {
	Labels    []string `json:"labels"`
	Templates []string `json:"templates"`
	Rows      int      `json:"rows"`
	Cols      int      `json:"cols"`
	Bits      []uint32 `json:"float32_bits"`
}

func writeLabels(path string, l *Labels) error {
	f := labelsFile{Labels: l.Labels, Templates: l.Templates, Rows: l.Embeds.Rows, Cols: l.Embeds.Cols,
		Bits: make([]uint32, len(l.Embeds.Data))}
	for i, v := range l.Embeds.Data {
		f.Bits[i] = math.Float32bits(v)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".labels-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func readLabels(path string) (*Labels, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f labelsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.Rows != len(f.Labels) || f.Rows*f.Cols != len(f.Bits) {
		return nil, fmt.Errorf("%s: inconsistent label cache file", path)
	}
	m := clip.Matrix{Rows: f.Rows, Cols: f.Cols, Data: make([]float32, len(f.Bits))}
	for i, v := range f.Bits {
		m.Data[i] = math.Float32frombits(v)
	}
	return &Labels{Labels: f.Labels, Templates: f.Templates, Embeds: m}, nil
}
