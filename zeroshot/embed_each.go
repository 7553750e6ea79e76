package zeroshot

import (
	"context"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/source"
)

// FileEmbedding is one image's outcome in EmbedEach and EmbedSources.
type FileEmbedding struct {
	Path      string    // the path, or the source's Name
	Embedding []float32 // nil when Err is set
	Err       error     // why the file was skipped (an *preprocess.ImageError naming it when unreadable)
}

// EmbedOptions configure EmbedEach.
type EmbedOptions struct {
	EachOptions
	// Normalized gives image_embeds (unit vectors, what the logits use) instead of
	// get_image_features (the projection, not normalized).
	Normalized bool
}

// EmbedEach embeds many files, for collections of images: decoding and batching as
// ClassifyEach does (bad files are a FileEmbedding with Err and do not stop the run),
// fn gets each batch's outcomes in the order of paths. Under BatchingPerImage (the CPU
// default) an image's embedding is its one-image forward's whatever the batch; under
// BatchingBatched it depends on the batch in the last float bits, and only through the
// other files of that batch: the same list and BatchSize give the same bits.
func (c *Classifier) EmbedEach(ctx context.Context, paths []string, opts EmbedOptions, fn func([]FileEmbedding) error) error {
	return c.EmbedSources(ctx, source.Files(paths), opts, fn)
}

// EmbedSources is EmbedEach for images from anywhere, as ClassifySources reads them:
// FileEmbedding.Path is each source's Name.
func (c *Classifier) EmbedSources(ctx context.Context, srcs []Source, opts EmbedOptions, fn func([]FileEmbedding) error) error {
	return c.each(ctx, srcs, opts.EachOptions, func(b []decoded) error {
		out := make([]FileEmbedding, len(b))
		for i, d := range b {
			out[i] = FileEmbedding{Path: d.path, Err: d.err}
		}
		err := c.forwardDecoded(b, opts.Normalized, func(idx []int, emb clip.Matrix) error {
			for j, i := range idx {
				out[i].Embedding = emb.Row(j)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return fn(out)
	})
}
