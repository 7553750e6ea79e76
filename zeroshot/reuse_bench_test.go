package zeroshot

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// BenchmarkLabelReuse classifies N images against 1,000 labels. "cached" is one
// Classifier (label embeddings computed once, then reused: N image forwards + 1 text
// pass); "uncached" is a fresh Classifier per image, what a pipeline call per image costs
// (N image forwards + N text passes); "text-pass" and "image-forward" time the parts.
//
//	go test -run '^$' -bench LabelReuse -benchtime 3x ./zeroshot/
func BenchmarkLabelReuse(b *testing.B) {
	const images = 8
	dir := filepath.Join("..", "testdata", "models", "tiny-l14")
	m, err := clip.Load(dir, clip.Options{Threads: 1})
	require.NoError(b, err)
	defer m.Close()
	proc, err := loadImageProcessor(dir, BackendPIL)
	require.NoError(b, err)
	tok, err := tokenize.Load(dir)
	require.NoError(b, err)
	labels := make([]string, 1000)
	for i := range labels {
		labels[i] = fmt.Sprintf("object number %d", i)
	}
	req := Request{Labels: labels, TopK: 5}
	img := fixtureImage(b, "chelsea.png")
	ctx := context.Background()
	classify := func(c *Classifier) {
		_, err := c.Classify(ctx, img, req)
		require.NoError(b, err)
	}

	b.Run(fmt.Sprintf("cached/%dimages", images), func(b *testing.B) {
		for b.Loop() {
			c := New(m, proc, tok, Options{})
			for range images {
				classify(c)
			}
		}
		b.ReportMetric(1, "text-passes/op")
	})
	b.Run(fmt.Sprintf("uncached/%dimages", images), func(b *testing.B) {
		for b.Loop() {
			for range images {
				classify(New(m, proc, tok, Options{}))
			}
		}
		b.ReportMetric(images, "text-passes/op")
	})
	b.Run("text-pass/1000labels", func(b *testing.B) {
		for b.Loop() {
			_, err := New(m, proc, tok, Options{}).LabelEmbeddings(req)
			require.NoError(b, err)
		}
	})
	b.Run("image-forward", func(b *testing.B) {
		c := New(m, proc, tok, Options{})
		px, err := c.pixels([]preprocess.RGB{img})
		require.NoError(b, err)
		for b.Loop() {
			_, err := m.ImageEmbeds(px)
			require.NoError(b, err)
		}
	})
}
