package clip

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Concurrent callers share one Model (its worker serializes them) and get the bits
// a lone caller gets; Close during calls makes later calls fail with ErrClosed.
func TestConcurrentCallsAndClose(t *testing.T) {
	skipWithoutFixtures(t)
	g := loadGoldens(t, goldenDir(t, modelDir("odd")))
	m, err := Load(modelDir("odd"), Options{Threads: 1})
	require.NoError(t, err)
	want, err := m.Forward(g.pixels, g.tokens)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				out, err := m.Forward(g.pixels, g.tokens)
				if assert.NoError(t, err) {
					assert.Equal(t, want.LogitsPerImage.Data, out.LogitsPerImage.Data)
				}
			}
		}()
	}
	wg.Wait()

	// Close races with callers: each call either completes or returns ErrClosed.
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := m.Forward(g.pixels, g.tokens); err != nil {
					assert.ErrorIs(t, err, ErrClosed)
				}
			}
		}()
	}
	require.NoError(t, m.Close())
	wg.Wait()
	_, err = m.Forward(g.pixels, g.tokens)
	assert.ErrorIs(t, err, ErrClosed)
	_, _, err = m.Logits(want.ImageEmbeds, want.TextEmbeds)
	assert.ErrorIs(t, err, ErrClosed)
	assert.NoError(t, m.Close())
}
