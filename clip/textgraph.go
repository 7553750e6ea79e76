package clip

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// TextGraph is the text tower captured in a CUDA graph for batches of exactly Batch
// texts padded to Length tokens (ImageGraph's counterpart: one query's embedding, or
// a fixed label chunk). The attention mask and pooled positions are inputs of the
// graph, filled from each batch's tokens as the uncaptured forward computes them.
// Under SDPA a batch with padding takes a boolean mask and one without none
// (is_causal), two different graphs: Masked says which this is.
type TextGraph struct {
	m                 *Model
	batch, length     int
	masked, normalize bool
	cap               *captured
	ids, idx, mask    *ts.Tensor // static inputs; mask nil for SDPA without padding
}

// CaptureTexts captures the text tower (TextEmbeds with normalize, GetTextFeatures
// without) for batches of batch texts of length tokens on the model's CUDA device;
// masked: for batches where some attention_mask value is 0 (only SDPA tells them
// apart). CPU models and binaries without CUDA graphs get an error (errors.Is
// ErrUnsupported).
func (m *Model) CaptureTexts(batch, length int, masked, normalize bool) (*TextGraph, error) {
	if err := checkGraphs(Options{Device: m.dev, DType: m.dtype, CUDAGraphs: 1}); err != nil && !emulateGraphs {
		return nil, err
	}
	if batch < 1 || length < 1 || length > m.cfg.Text.MaxPositionEmbeddings {
		return nil, &InputError{"input_ids", fmt.Sprintf("batch %d of length %d: want at least 1 text of 1 to %d tokens",
			batch, length, m.cfg.Text.MaxPositionEmbeddings)}
	}
	tg := &TextGraph{m: m, batch: batch, length: length, masked: masked || m.attn != AttnSDPA, normalize: normalize}
	err := m.do(func() error {
		err := tg.capture()
		if err != nil {
			tg.free()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return tg, nil
}

func (tg *TextGraph) capture() error {
	m, b, l := tg.m, int64(tg.batch), int64(tg.length)
	dev := m.dev.gotch()
	var err error
	zeros := func(dst **ts.Tensor, shape []int64, dt gotch.DType) {
		if err == nil {
			*dst, err = ts.Zeros(shape, dt, dev)
		}
	}
	zeros(&tg.ids, []int64{b, l}, gotch.Int64)
	zeros(&tg.idx, []int64{b}, gotch.Int64)
	switch {
	case m.attn != AttnSDPA:
		zeros(&tg.mask, []int64{b, 1, l, l}, m.dtype.gotch())
	case tg.masked:
		zeros(&tg.mask, []int64{b, 1, l, l}, gotch.Bool)
	}
	if err != nil {
		return torchError("zeros", err)
	}
	mask := &attnMask{t: tg.mask, causal: m.attn == AttnSDPA && tg.mask == nil && l > 1}
	tg.cap, err = m.capture(func(g *graph) *ts.Tensor {
		return m.features(g, g.linear(m.TextModel.forwardOn(g, tg.ids, mask, tg.idx), &m.TextProjection), tg.normalize)
	})
	return err
}

// Batch, Length and Masked say which batches Run takes.
func (tg *TextGraph) Batch() int   { return tg.batch }
func (tg *TextGraph) Length() int  { return tg.length }
func (tg *TextGraph) Masked() bool { return tg.masked }

// Run fills the graph's inputs from tok (Batch texts of Length tokens; under SDPA,
// padded or not as Masked says), replays it and copies the output back.
func (tg *TextGraph) Run(tok Tokens) (Matrix, error) {
	m := tg.m
	if err := tok.check(m.cfg.Text); err != nil {
		return Matrix{}, err
	}
	if tok.Batch != tg.batch || tok.Len != tg.length {
		return Matrix{}, &InputError{"input_ids", fmt.Sprintf("batch of %d texts of %d tokens, the graph was captured for %d of %d",
			tok.Batch, tok.Len, tg.batch, tg.length)}
	}
	var sdpa []bool
	if m.attn == AttnSDPA {
		if sdpa = sdpaMask(tok); (sdpa != nil) != tg.masked {
			return Matrix{}, &InputError{"attention_mask", fmt.Sprintf("padded %v, the graph was captured for padded %v", sdpa != nil, tg.masked)}
		}
	}
	var out Matrix
	err := m.do(func() error {
		if tg.cap == nil {
			return ErrClosed
		}
		err := torch.CopyFrom(tg.ids, tok.InputIDs)
		if err == nil {
			err = torch.CopyFrom(tg.idx, poolRows(tok, m.cfg.Text))
		}
		if err == nil && tg.mask != nil {
			if m.attn == AttnSDPA {
				err = torch.CopyFrom(tg.mask, sdpa)
			} else {
				err = torch.CopyFrom(tg.mask, attentionMask(tok, m.dtype.minValue()))
			}
		}
		if err != nil {
			return torchError("copy_", err)
		}
		if err := tg.cap.replay(); err != nil {
			return err
		}
		g := &graph{s: &torch.Scope{}, dtype: m.dtype, dev: m.dev}
		return g.copyOut(map[*Matrix]*ts.Tensor{&out: tg.cap.out})
	})
	return out, err
}

// Close frees the graph, its memory and its tensors. Idempotent; before the model's Close.
func (tg *TextGraph) Close() error {
	return tg.m.closeGraph(tg.free)
}

func (tg *TextGraph) free() {
	tg.cap.close()
	tg.cap = nil
	for _, t := range []*ts.Tensor{tg.ids, tg.idx, tg.mask} {
		if t != nil {
			_ = t.Drop()
		}
	}
	tg.ids, tg.idx, tg.mask = nil, nil, nil
}
