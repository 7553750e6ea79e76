package zeroshot

import (
	"fmt"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// Batching says how the images of a batch go through the image tower.
//
// Images forwarded together do not get the bits they get alone: the tower's matrix
// products then have other shapes, which BLAS sums in another order, and the logits of
// several images are a matrix product where the pipeline's, for one image, are a
// matrix-vector product. Batched, an image's scores therefore depend (in the last
// float bits) on which other images share its forward: on --batch-size, on how a
// collection is sharded, on what else a server is serving.
//
// On CPU batching buys a few per cent at most for CLIP's towers on a quiet machine
// (README: measured on the full-size ViT-L/14; more where other jobs contend for the
// cores), so the default there is BatchingPerImage: every image its own forward and
// its own logits, the pipeline's numbers bit for bit, whatever the batch. On CUDA
// batching multiplies throughput, and BatchingBatched is the default.
type Batching string

const (
	BatchingAuto     Batching = ""          // BatchingPerImage on CPU, BatchingBatched on CUDA
	BatchingPerImage Batching = "per-image" // one forward per image: batch-invariant
	BatchingBatched  Batching = "batched"   // one forward per batch: faster on GPUs; bits depend on the batch
)

// ParseBatching accepts "", "auto", "per-image" and "batched".
func ParseBatching(s string) (Batching, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return BatchingAuto, nil
	case string(BatchingPerImage):
		return BatchingPerImage, nil
	case string(BatchingBatched):
		return BatchingBatched, nil
	}
	return BatchingAuto, fmt.Errorf("zeroshot: unknown batching %q (want auto, per-image or batched)", s)
}

// Resolve turns BatchingAuto into the device's default.
func (b Batching) Resolve(dev clip.Device) Batching {
	if b != BatchingAuto {
		return b
	}
	if dev.CUDA {
		return BatchingBatched
	}
	return BatchingPerImage
}

// Batching is how this classifier forwards a batch of images (resolved: per-image or
// batched).
func (c *Classifier) Batching() Batching { return c.batching }

// ImageEmbeds is Model.ImageEmbeds under the classifier's Batching: with
// BatchingPerImage each image of px goes through the tower alone, so that its row is
// the one a one-image forward gives whatever else px holds.
func (c *Classifier) ImageEmbeds(px clip.Pixels) (clip.Matrix, error) {
	return c.imageSide(px, true)
}

// ImageFeatures is Model.GetImageFeatures under the classifier's Batching.
func (c *Classifier) ImageFeatures(px clip.Pixels) (clip.Matrix, error) {
	return c.imageSide(px, false)
}

func (c *Classifier) imageSide(px clip.Pixels, normalized bool) (clip.Matrix, error) {
	forward := c.Model.GetImageFeatures
	if normalized {
		forward = c.Model.ImageEmbeds
	}
	if c.batching != BatchingPerImage || px.Batch <= 1 {
		return forward(px)
	}
	per := px.Channels * px.Height * px.Width
	if len(px.Data) != px.Batch*per {
		return forward(px) // the model names what is wrong
	}
	var out clip.Matrix
	for i := 0; i < px.Batch; i++ {
		one := px
		one.Batch, one.Data = 1, px.Data[i*per:(i+1)*per]
		row, err := forward(one)
		if err != nil {
			return clip.Matrix{}, err
		}
		if out.Data == nil {
			out = clip.Matrix{Cols: row.Cols, Data: make([]float32, 0, px.Batch*row.Cols)}
		}
		out.Rows++
		out.Data = append(out.Data, row.Data...)
	}
	return out, nil
}
