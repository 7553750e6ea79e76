package zeroshot

import "github.com/zeroshot-clip/zeroshot/clip"

// Scoring against large label sets in bounded memory. The logits of a batch of images
// against n labels are computed in slabs of labels when n > scoreSlab, so the labels'
// embeddings reach libtorch a slab at a time; the softmax runs on groups of images of at
// most softmaxElems logits. Both give the unsplit numbers bit for bit (measured on
// ViT-L/14, 50,003 labels): softmax is per row, and the logits matmul computes each
// label's row alone whenever two or more images share it. With one image the matmul
// is a matrix-vector product whose sums do depend on the split, so one image is never
// split: its logits are the pipeline's.
var (
	scoreSlab    = 4096    // labels per logits call
	softmaxElems = 1 << 22 // logits per softmax call
)

// Score turns image embeddings (clip.Model.ImageEmbeds) and label embeddings into
// ranked results per image (the topK best when topK > 0). Under BatchingPerImage each
// image's logits are computed alone, as the pipeline computes them (a matrix-vector
// product, whose sums differ from a row of the matrix product of several images).
func (c *Classifier) Score(imageEmbeds clip.Matrix, labels *Labels, topK int) ([][]Result, error) {
	if c.batching == BatchingPerImage && imageEmbeds.Rows > 1 {
		out := make([][]Result, 0, imageEmbeds.Rows)
		for i := 0; i < imageEmbeds.Rows; i++ {
			one, err := c.score(clip.Matrix{Rows: 1, Cols: imageEmbeds.Cols, Data: imageEmbeds.Row(i)}, labels, topK)
			if err != nil {
				return nil, err
			}
			out = append(out, one...)
		}
		return out, nil
	}
	return c.score(imageEmbeds, labels, topK)
}

func (c *Classifier) score(imageEmbeds clip.Matrix, labels *Labels, topK int) ([][]Result, error) {
	perImage, err := c.logits(imageEmbeds, labels.Embeds)
	if err != nil {
		return nil, err
	}
	out := make([][]Result, 0, perImage.Rows)
	n := perImage.Cols
	group := max(1, softmaxElems/n)
	for lo := 0; lo < perImage.Rows; lo += group {
		hi := min(lo+group, perImage.Rows)
		probs, err := Softmax(clip.Matrix{Rows: hi - lo, Cols: n, Data: perImage.Data[lo*n : hi*n]})
		if err != nil {
			return nil, err
		}
		for i := 0; i < probs.Rows; i++ {
			out = append(out, rank(labels.Labels, probs.Row(i), topK))
		}
	}
	return out, nil
}

// logits is logits_per_image [images, labels], in slabs of labels for two or more images.
func (c *Classifier) logits(img, txt clip.Matrix) (clip.Matrix, error) {
	if img.Rows < 2 || txt.Rows <= scoreSlab {
		perImage, _, err := c.Model.Logits(img, txt)
		return perImage, err
	}
	out := clip.Matrix{Rows: img.Rows, Cols: txt.Rows, Data: make([]float32, img.Rows*txt.Rows)}
	err := split(txt.Rows, scoreSlab, func(lo, hi int) error {
		slab := clip.Matrix{Rows: hi - lo, Cols: txt.Cols, Data: txt.Data[lo*txt.Cols : hi*txt.Cols]}
		part, _, err := c.Model.Logits(img, slab)
		if err != nil {
			return err
		}
		for i := 0; i < img.Rows; i++ {
			copy(out.Data[i*out.Cols+lo:i*out.Cols+hi], part.Row(i))
		}
		return nil
	})
	return out, err
}
