package zeroshot

import (
	"context"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// The text pass over a label set in bounded memory. The pipeline tokenizes all of a
// set's texts together, padded to the longest, and runs them through the text tower as
// one batch: its activations grow by about 1 MB per label on ViT-L/14 (7 GB at 6,000
// labels). Here the texts go through the tower in chunks, each padded to the longest
// text of the whole set (so every row sees the same input as in the one batch), the
// pooled rows are gathered, and the projection runs on slabs of them.
//
// Same bits as the one batch where measured (ViT-L/14 and the fixtures, 1 and 2
// threads; the README's "Large label sets" gives other thread counts). A row of a
// matrix product does not depend on the other rows, except that BLAS kernels for very
// few rows (under ~12 on 2 threads, ~170 on 64 in libtorch 2.1's MKL) sum in another
// order; and an elementwise kernel computes the last values of each thread's range
// (fewer than 32) with scalar code (glibc's exp, not SLEEF's), so values at a range end
// can differ. Chunk boundaries are therefore multiples of textAlign (64) texts: a
// chunk's tensors, and each half of them, hold whole multiples of 32 values (no scalar
// tail on 1 or 2 threads); no chunk is small (the remainder joins the last chunk,
// which ends where the one batch ends); projection slabs hold thousands of rows, and a
// set that fits in one slab is projected exactly as the one batch is.
var (
	cpuTextRows  = 4096  // token rows (texts × padded length) per tower forward on CPU: ~200 MB of activations on ViT-L/14
	cudaTextRows = 32768 // on CUDA
	projectSlab  = 4096  // labels per projection call
	textAlign    = 64    // chunk boundaries are multiples of this many texts
)

// textBatch is the number of texts per tower forward for texts padded to length tokens:
// requested if > 0, else what the device's row budget allows, a multiple of textAlign.
func textBatch(requested int, dev clip.Device, length int) int {
	if requested > 0 {
		return requested
	}
	rows := cpuTextRows
	if dev.CUDA {
		rows = cudaTextRows
	}
	return max(1, rows/max(length, 1)/textAlign) * textAlign
}

// split cuts n items into consecutive ranges of about size items and calls fn on each,
// in order; an error stops it. When size is a multiple of textAlign, the boundaries are
// multiples of textAlign: whole units of textAlign items are dealt out evenly and the
// remainder (fewer than textAlign) joins the last range, which can so exceed size by
// less than textAlign. Otherwise the ranges are as even as can be, at most size each.
func split(n, size int, fn func(lo, hi int) error) error {
	if n <= 0 {
		return nil
	}
	size = max(size, 1)
	unit := 1
	if size%textAlign == 0 {
		unit = textAlign
	}
	units, per := max(1, n/unit), size/unit
	k := (units + per - 1) / per
	for i := 0; i < k; i++ {
		lo, hi := i*units/k*unit, (i+1)*units/k*unit
		if i == k-1 {
			hi = n
		}
		if err := fn(lo, hi); err != nil {
			return err
		}
	}
	return nil
}

// textPass computes normalized text embeddings (text_embeds) of many texts.
type textPass struct {
	m        *clip.Model
	tok      *tokenize.Tokenizer
	batch    int            // texts per tower forward; 0: textBatch's automatic size
	progress func(done int) // texts through the tower so far, if set
}

// run embeds texts: emit gets the rows of texts[lo:lo+emb.Rows] in order, one slab at a
// time. A text over the model's length is a *tokenize.TooLongError naming its index.
// ctx is checked between forwards.
func (p *textPass) run(ctx context.Context, texts []string, emit func(lo int, emb clip.Matrix) error) error {
	longest, err := p.longest(texts)
	if err != nil {
		return err
	}
	batch := textBatch(p.batch, p.m.Device(), longest)
	hidden := p.m.Config().Text.HiddenSize
	done := 0
	return split(len(texts), projectSlab, func(slo, shi int) error {
		pooled := clip.Matrix{Rows: shi - slo, Cols: hidden, Data: make([]float32, 0, (shi-slo)*hidden)}
		err := split(shi-slo, batch, func(lo, hi int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Padded to the set's longest text, as the one batch pads every row.
			b, err := p.tok.EncodeBatch(texts[slo+lo:slo+hi], tokenize.Options{Padding: tokenize.PadMaxLength, MaxLength: longest})
			if err != nil {
				return err
			}
			out, err := p.m.TextPoolerOutput(tokens(b))
			if err != nil {
				return err
			}
			pooled.Data = append(pooled.Data, out.Data...)
			if done += hi - lo; p.progress != nil {
				p.progress(done)
			}
			return nil
		})
		if err != nil {
			return err
		}
		emb, err := p.m.ProjectText(pooled, true)
		if err != nil {
			return err
		}
		return emit(slo, emb)
	})
}

// longest is the padded length of the one batch: the most ids of any text. A text over
// the limit (the tokenizer's model_max_length, at most max_position_embeddings) is a
// *tokenize.TooLongError, as EncodeBatch reports it.
func (p *textPass) longest(texts []string) (int, error) {
	limit := p.m.Config().Text.MaxPositionEmbeddings
	if tl := p.tok.MaxLength(); tl > 0 && tl < limit {
		limit = tl
	}
	longest := 0
	for i, s := range texts {
		n := len(p.tok.Encode(s))
		if n > limit {
			return 0, &tokenize.TooLongError{Index: i, Text: s, Tokens: n, Max: limit}
		}
		longest = max(longest, n)
	}
	return longest, nil
}
