package zeroshot

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// Cache files are named by a fixed-size hash whatever the label count, hold the
// embeddings' exact bits, and a file that is not this set's (damaged, truncated, or
// another set under this name) is recomputed and replaced.
func TestLabelCacheFiles(t *testing.T) {
	dir := t.TempDir()
	c := openFixture(t, "tiny-l14")
	big := randomLabels(newRand(1), 1500, 6)
	opts := Options{Model: clip.Options{Threads: 1}, LabelCacheDir: dir}
	c1 := New(c.Model, c.Processor, c.Tokenizer, opts)
	want, err := c1.LabelEmbeddings(Request{Labels: big})
	require.NoError(t, err)
	files, _ := filepath.Glob(filepath.Join(dir, "*"+labelsExt))
	require.Len(t, files, 1)
	assert.Len(t, filepath.Base(files[0]), 64+len(labelsExt), "the name is the key's hash")

	read := func() *Labels {
		l, err := New(c.Model, c.Processor, c.Tokenizer, opts).LabelEmbeddings(Request{Labels: big})
		require.NoError(t, err)
		return l
	}
	assert.Equal(t, want, read(), "read back exactly")

	good, err := os.ReadFile(files[0])
	require.NoError(t, err)
	other := filepath.Join(dir, "other"+labelsExt)
	require.NoError(t, writeLabels(other, &Labels{Labels: []string{"x"}, Templates: []string{DefaultTemplate},
		Embeds: clip.Matrix{Rows: 1, Cols: 64, Data: make([]float32, 64)}}))
	foreign, err := os.ReadFile(other)
	require.NoError(t, err)
	for name, b := range map[string][]byte{"empty": nil, "truncated": good[:len(good)-3], "garbage": []byte("zeroshot-labels 1\n\xff\xff\xff\xff\xff\xff\xff\xff"),
		"another set": foreign, "extra bytes": append(append([]byte{}, good...), 0)} {
		require.NoError(t, os.WriteFile(files[0], b, 0o644))
		_, err := readLabels(files[0], big, []string{DefaultTemplate})
		assert.Error(t, err, name)
		assert.Equal(t, want, read(), name)
		after, err := os.ReadFile(files[0])
		require.NoError(t, err)
		assert.Equal(t, good, after, "%s: rewritten", name)
	}
}

// Processes (here: classifiers with their own caches) that need the same label set at
// the same time compute it once: the others wait for the lock, then read the file.
func TestLabelCacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	c := openFixture(t, "tiny-l14")
	labels := randomLabels(newRand(2), 500, 4)
	var forwards atomic.Int32
	var wg sync.WaitGroup
	results := make([]*Labels, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := Options{LabelCacheDir: dir, TextBatch: 64, TextProgress: func(done, total int) {
				forwards.Add(1)
				time.Sleep(5 * time.Millisecond) // a slow pass: the others must wait, not recompute
			}}
			l, err := New(c.Model, c.Processor, c.Tokenizer, opts).LabelEmbeddings(Request{Labels: labels})
			assert.NoError(t, err)
			results[i] = l
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(500/64), forwards.Load(), "one text pass in all")
	for _, l := range results[1:] {
		assert.Equal(t, results[0].Embeds, l.Embeds)
	}
	// A waiter gives up when its context ends.
	unlock := lockFile(context.Background(), filepath.Join(dir, "k.lock"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	lockFile(ctx, filepath.Join(dir, "k.lock"))()
	assert.Less(t, time.Since(start), 5*time.Second)
	unlock()
}

// The memory cache is bounded in bytes as well as in sets; the newest set stays.
func TestLabelCacheBytes(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	small := New(c.Model, c.Processor, c.Tokenizer, Options{LabelCacheBytes: 64 * 4 * 150})
	for i, n := range []int{100, 40, 200} {
		_, err := small.LabelEmbeddings(Request{Labels: randomLabels(newRand(int64(i)), n, 3)})
		require.NoError(t, err)
	}
	assert.Equal(t, 1, small.labels.order.Len(), "only the newest (200 labels, over the bound) is kept")
	assert.Equal(t, int64(200*64*4), small.labels.bytes)
}
