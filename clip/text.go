package clip

import "github.com/sugarme/gotch/ts"

// TextTransformer is CLIPTextTransformer (the `text_model.` prefix).
type TextTransformer struct {
	Embeddings     TextEmbeddings
	Encoder        Encoder
	FinalLayerNorm LayerNorm
	cfg            TextConfig
}

func (t *TextTransformer) bind(b *binder, name string, c TextConfig) {
	hidden := int64(c.HiddenSize)
	t.cfg = c
	t.Embeddings.bind(b, name+".embeddings", c)
	t.Encoder.bind(b, name+".encoder", encoderShape{hidden: hidden, inter: int64(c.IntermediateSize),
		heads: int64(c.NumAttentionHeads), layers: c.NumHiddenLayers, act: c.HiddenAct, eps: c.LayerNormEps})
	t.FinalLayerNorm.bind(b, name+".final_layer_norm", hidden, c.LayerNormEps)
}

// forward returns pooler_output: final_layer_norm(encoder(...)) at each sequence's
// end-of-text position. tok has been checked by Tokens.check.
func (t *TextTransformer) forward(g *graph, tok Tokens) *ts.Tensor {
	bsz, seq := int64(tok.Batch), int64(tok.Len)
	ids := g.ints(tok.InputIDs, []int64{bsz, seq})
	mask := t.mask(g, tok)
	idx := g.ints(poolRows(tok, t.cfg), []int64{bsz})
	return t.forwardOn(g, ids, mask, idx)
}

// forwardOn is forward on inputs already on the device: ids [B, L], the mask, and the
// rows to pool (poolRows) [B].
func (t *TextTransformer) forwardOn(g *graph, ids *ts.Tensor, mask *attnMask, idx *ts.Tensor) *ts.Tensor {
	if !g.live(ids) {
		return nil
	}
	shape, err := ids.Size()
	if err != nil {
		g.err = torchError("size", err)
		return nil
	}
	bsz, seq := shape[0], shape[1]
	h := t.Embeddings.forward(g, ids, seq)
	h = g.layerNorm(t.Encoder.forward(g, h, mask), &t.FinalLayerNorm)
	// last_hidden_state[arange(B), pool_index]: the same values, gathered from rows.
	return g.indexSelect(g.reshape(h, bsz*seq, -1), 0, idx)
}

// mask builds the attention mask every layer gets, for the graph's implementation.
func (t *TextTransformer) mask(g *graph, tok Tokens) *attnMask {
	bsz, seq := int64(tok.Batch), int64(tok.Len)
	if g.attn == AttnSDPA {
		m := sdpaMask(tok)
		if m == nil { // sdpa_attention_forward: is_causal = q_length > 1 and attention_mask is None
			return &attnMask{causal: seq > 1}
		}
		return &attnMask{t: g.bools(m, []int64{bsz, 1, seq, seq})}
	}
	return &attnMask{t: g.floats(attentionMask(tok, g.dtype.minValue()), []int64{bsz, 1, seq, seq}, g.dtype.gotch())}
}

// sdpaMask is what transformers 5's create_causal_mask gives SDPA for the text
// tower: nil when no position is padded (attention_mask absent or all nonzero:
// _ignore_causal_mask_sdpa, then SDPA's is_causal does the causal part), else the
// boolean [B, 1, L, L] mask causal AND padding (kv <= q and attention_mask[b, kv] != 0,
// the mask cast to bool), in any dtype.
func sdpaMask(tok Tokens) []bool {
	if !tok.Padded() {
		return nil
	}
	b, l := tok.Batch, tok.Len
	out := make([]bool, b*l*l)
	for n := 0; n < b; n++ {
		for i := 0; i < l; i++ {
			row := out[(n*l+i)*l : (n*l+i+1)*l]
			for j := 0; j <= i; j++ {
				row[j] = tok.AttentionMask[n*l+j] != 0
			}
		}
	}
	return out
}

// attentionMask is the [B, 1, L, L] additive mask CLIPTextTransformer hands every
// layer: _prepare_4d_attention_mask (0 where attention_mask == 1, finfo.min
// elsewhere) plus _create_4d_causal_attention_mask (finfo.min above the diagonal),
// summed in float32 as CLIPAttention does: min + min overflows to -inf, as in torch.
// All three values are exact in bfloat16 and float16.
func attentionMask(tok Tokens, min float32) []float32 {
	b, l := tok.Batch, tok.Len
	out := make([]float32, b*l*l)
	for n := 0; n < b; n++ {
		for i := 0; i < l; i++ {
			row := out[(n*l+i)*l : (n*l+i+1)*l]
			for j := range row {
				var pad, causal float32
				if tok.AttentionMask != nil && tok.AttentionMask[n*l+j] != 1 {
					pad = min
				}
				if j > i {
					causal = min
				}
				row[j] = pad + causal
			}
		}
	}
	return out
}

// poolRows returns, for each sequence n, the row n*L + p of the flattened hidden
// states to pool, where p is — as CLIPTextTransformer.forward picks it —
// argmax(input_ids) (the first maximum) when eos_token_id is the legacy 2, else the
// first position holding eos_token_id (0 if there is none, as argmax of all-zeros).
func poolRows(tok Tokens, c TextConfig) []int64 {
	out := make([]int64, tok.Batch)
	for n := range out {
		ids := tok.InputIDs[n*tok.Len : (n+1)*tok.Len]
		p := 0
		for j, id := range ids {
			if c.LegacyEOSPooling() {
				if int32(id) > int32(ids[p]) { // input_ids.to(torch.int).argmax(-1)
					p = j
				}
			} else if id == c.EOSTokenID {
				p = j
				break
			}
		}
		out[n] = int64(n*tok.Len + p)
	}
	return out
}
