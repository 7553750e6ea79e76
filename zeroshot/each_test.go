package zeroshot

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/preprocess"
)

func imageFile(name string) string { return filepath.Join("..", "testdata", "images", "files", name) }

// Good files get the results of classifying them alone; bad ones are skipped with an
// *ImageError naming them; nothing is lost or reordered across batches.
func TestClassifyEach(t *testing.T) {
	paths := []string{imageFile("photo_chelsea.jpg"), imageFile("bad_truncated.png"), imageFile("png_rgb.png"),
		imageFile("bad_random.bin"), imageFile("jpeg_exif_6.jpg"), imageFile("gif_p.gif"), imageFile("bad_empty.jpg")}
	bad := map[int]bool{1: true, 3: true, 6: true}
	req := Request{Labels: []string{"cat", "dog", "fox", "owl"}, TopK: 3}
	for _, name := range fixtureModels {
		c := openFixture(t, name)
		for _, bs := range []int{1, 2, 8} {
			var got []FileResult
			calls := 0
			err := c.ClassifyEach(context.Background(), paths, req, EachOptions{BatchSize: bs, Decoders: 2},
				func(b []FileResult) error { calls++; got = append(got, b...); return nil })
			require.NoError(t, err)
			assert.Equal(t, (len(paths)+bs-1)/bs, calls, "batches")
			require.Len(t, got, len(paths))
			for i, r := range got {
				assert.Equal(t, paths[i], r.Path)
				if bad[i] {
					var ie *preprocess.ImageError
					require.True(t, errors.As(r.Err, &ie), "%s: %v", r.Path, r.Err)
					assert.Contains(t, r.Err.Error(), filepath.Base(paths[i]))
					assert.Nil(t, r.Results)
					continue
				}
				require.NoError(t, r.Err)
				want, err := c.ClassifyFiles(context.Background(), paths[i:i+1], req)
				require.NoError(t, err)
				require.Len(t, r.Results, 3)
				for k := range want[0] {
					assert.Equal(t, want[0][k].Label, r.Results[k].Label)
					assert.Equal(t, want[0][k].Score, r.Results[k].Score, "batch %d: bit-identical (one forward per image)", bs)
				}
			}
		}
	}
}

func TestClassifyEachStops(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	paths := []string{imageFile("png_rgb.png"), imageFile("gif_p.gif"), imageFile("png_la.png")}
	ok := Request{Labels: []string{"a", "b"}}
	called := 0
	count := func([]FileResult) error { called++; return nil }

	err := c.ClassifyEach(context.Background(), paths, Request{Labels: []string{"a", "a"}}, EachOptions{}, count)
	var le *LabelError
	assert.True(t, errors.As(err, &le), "bad labels: %v", err)
	assert.Zero(t, called, "no file is read for bad labels")

	stop := errors.New("stop")
	err = c.ClassifyEach(context.Background(), paths, ok, EachOptions{BatchSize: 1},
		func([]FileResult) error { called++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, called)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.ClassifyEach(ctx, paths, ok, EachOptions{BatchSize: 1}, count)
	assert.ErrorIs(t, err, context.Canceled)
}

// EmbedEach gives each good file the row its batch's forward gives it (batched, the good
// files of a batch share one forward; per image, each its own), bad files an
// *ImageError, in the order of paths.
func TestEmbedEach(t *testing.T) {
	paths := []string{imageFile("photo_chelsea.jpg"), imageFile("bad_truncated.png"), imageFile("png_rgb.png"),
		imageFile("bad_random.bin"), imageFile("jpeg_exif_6.jpg"), imageFile("gif_p.gif"), imageFile("bad_empty.jpg")}
	bad := map[int]bool{1: true, 3: true, 6: true}
	for _, name := range fixtureModels {
		for _, batching := range []Batching{BatchingPerImage, BatchingBatched} {
			c := openFixtureWith(t, name, Options{Parity: Parity454, Batching: batching})
			for _, bs := range []int{1, 3, 8} {
				for _, normalized := range []bool{false, true} {
					var got []FileEmbedding
					err := c.EmbedEach(context.Background(), paths, EmbedOptions{EachOptions{BatchSize: bs}, normalized},
						func(b []FileEmbedding) error { got = append(got, b...); return nil })
					require.NoError(t, err)
					require.Len(t, got, len(paths))
					for start := 0; start < len(paths); start += bs {
						var good []string
						var idx []int
						for i := start; i < min(start+bs, len(paths)); i++ {
							assert.Equal(t, paths[i], got[i].Path)
							if bad[i] {
								var ie *preprocess.ImageError
								assert.True(t, errors.As(got[i].Err, &ie), "%s: %v", paths[i], got[i].Err)
								assert.Nil(t, got[i].Embedding)
								continue
							}
							good, idx = append(good, paths[i]), append(idx, i)
						}
						if len(good) == 0 {
							continue
						}
						imgs := make([]preprocess.RGB, len(good))
						for j, p := range good {
							img, err := preprocess.Load(p, preprocess.PipelineOptions)
							require.NoError(t, err)
							imgs[j] = img
						}
						px, err := c.pixels(imgs)
						require.NoError(t, err)
						want, err := c.ImageFeatures(px)
						if normalized {
							want, err = c.ImageEmbeds(px)
						}
						require.NoError(t, err)
						for j, i := range idx {
							assert.Equal(t, want.Row(j), got[i].Embedding, "%s %s batch %d normalized %v: %s", name, batching, bs, normalized, paths[i])
						}
					}
				}
			}
		}
	}
}
