package zeroshot

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

func TestParseBatching(t *testing.T) {
	for in, want := range map[string]Batching{"": BatchingAuto, "auto": BatchingAuto, "per-image": BatchingPerImage, " Batched ": BatchingBatched} {
		got, err := ParseBatching(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseBatching("sometimes")
	assert.ErrorContains(t, err, `unknown batching "sometimes"`)
	assert.Equal(t, BatchingPerImage, BatchingAuto.Resolve(clip.CPU))
	assert.Equal(t, BatchingBatched, BatchingAuto.Resolve(clip.CUDA(0)))
	assert.Equal(t, BatchingPerImage, BatchingPerImage.Resolve(clip.CUDA(0)))
}

// On CPU (BatchingPerImage, the default there) an image's scores and embeddings are
// those of the image alone, bit for bit, in any batch, at any batch size, in
// ClassifyEach, ClassifyBatch, EmbedEach and ImageEmbeds alike: what makes sharded runs
// merge into a single run's file and a server's answers independent of its load.
func TestPerImageBatchInvariance(t *testing.T) {
	files, err := FindImages(filepath.Join("..", "testdata", "images", "files"))
	require.NoError(t, err)
	for _, cfg := range []struct {
		model   string
		threads int
	}{{"tiny-l14", 2}, {"odd", 1}} {
		model, threads := cfg.model, cfg.threads
		c, err := Open(filepath.Join("..", "testdata", "models", model), Options{Model: clip.Options{Threads: threads}})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		require.Equal(t, BatchingPerImage, c.Batching())
		req := Request{Labels: []string{"cat", "dog", "fox", "owl", "a gradient"}}
		ctx := context.Background()

		// Each good image alone: the reference.
		alone := map[string][]Result{}
		embAlone := map[string][]float32{}
		var imgs []preprocess.RGB
		var good []string
		for _, f := range files {
			img, err := preprocess.Load(f, c.Profile().PipelineOptions())
			if err != nil {
				continue
			}
			res, err := c.Classify(ctx, img, req)
			if err != nil {
				continue // e.g. a size the processor refuses without a center crop
			}
			alone[f] = res
			px, err := c.pixels([]preprocess.RGB{img})
			require.NoError(t, err)
			e, err := c.Model.ImageEmbeds(px)
			require.NoError(t, err)
			embAlone[f] = e.Data
			imgs, good = append(imgs, img), append(good, f)
		}
		require.Greater(t, len(good), 20)

		for _, batch := range []int{3, 64} {
			n := 0
			err := c.ClassifyEach(ctx, files, req, EachOptions{BatchSize: batch}, func(b []FileResult) error {
				for _, r := range b {
					if want, ok := alone[r.Path]; ok {
						assert.Equal(t, want, r.Results, "%s threads %d batch %d: %s", model, threads, batch, r.Path)
						n++
					}
				}
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, len(good), n)
		}
		err = c.EmbedEach(ctx, good, EmbedOptions{EachOptions: EachOptions{BatchSize: 8}, Normalized: true}, func(b []FileEmbedding) error {
			for _, e := range b {
				assert.Equal(t, embAlone[e.Path], e.Embedding, "%s threads %d: %s", model, threads, e.Path)
			}
			return nil
		})
		require.NoError(t, err)
		if c.Processor.Config().DoCenterCrop {
			all, err := c.ClassifyBatch(ctx, imgs, req)
			require.NoError(t, err)
			for i, f := range good {
				assert.Equal(t, alone[f], all[i], "%s ClassifyBatch: %s", model, f)
			}
		}

		// Batched, for the record: the same images in one forward.
		batched := New(c.Model, c.Processor, c.Tokenizer, Options{Batching: BatchingBatched})
		assert.Equal(t, BatchingBatched, batched.Batching())
		same, total := 0, 0
		err = batched.ClassifyEach(ctx, good, req, EachOptions{BatchSize: 8}, func(b []FileResult) error {
			for _, r := range b {
				total++
				if assert.ObjectsAreEqual(alone[r.Path], r.Results) {
					same++
				}
			}
			return nil
		})
		require.NoError(t, err)
		t.Logf("%s, %d threads: per-image = alone for %d images at batch sizes 3 and 64; batched (8): %d/%d identical", model, threads, len(good), same, total)
	}
}
