package clip

import (
	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/libm"
)

// Attention is CLIPAttention, with transformers' eager or SDPA implementation
// (graph.attn): eager is what transformers 4.54 picks on torch 2.1.0 (its SDPA path
// needs torch >= 2.1.1), SDPA what transformers 5 picks.
type Attention struct {
	KProj, VProj, QProj, OutProj Linear
	heads, headDim               int64
	scale                        *ts.Scalar // head_dim**-0.5 (a Python float, cast to the op's dtype)
	scaleF                       float64    // the same Python float, SDPA's scale argument
}

func (a *Attention) bind(b *binder, name string, hidden, heads int64) {
	a.heads, a.headDim = heads, hidden/heads
	a.QProj.bind(b, name+".q_proj", hidden, hidden, true)
	a.KProj.bind(b, name+".k_proj", hidden, hidden, true)
	a.VProj.bind(b, name+".v_proj", hidden, hidden, true)
	a.OutProj.bind(b, name+".out_proj", hidden, hidden, true)
	// Python's head_dim**-0.5 is C pow(); Go's math.Pow can differ in the last bit of
	// the float64, which SDPA takes as is (eager rounds it to float32 first).
	a.scaleF = libm.Pow(float64(a.headDim), -0.5)
	b.scalar(&a.scale, a.scaleF)
}

// forward is CLIPAttention.forward with the graph's implementation. mask is what the
// tower built for it (attnMask): eager's additive [B, 1, L, L] mask (causal + padding),
// SDPA's boolean one or none with is_causal; nil for the vision tower.
func (a *Attention) forward(g *graph, x *ts.Tensor, mask *attnMask) *ts.Tensor {
	if !g.live(x) {
		return nil
	}
	shape, err := x.Size()
	if err != nil {
		g.err = torchError("size", err)
		return nil
	}
	bsz, seq, embed := shape[0], shape[1], shape[2]
	split := func(t *ts.Tensor) *ts.Tensor { // view(B, L, -1, head_dim).transpose(1, 2)
		return g.transpose(g.view(t, bsz, seq, -1, a.headDim), 1, 2)
	}
	q := split(g.linear(x, &a.QProj))
	k := split(g.linear(x, &a.KProj))
	v := split(g.linear(x, &a.VProj))
	var out *ts.Tensor
	if g.attn == AttnSDPA {
		out = a.sdpa(g, q, k, v, mask)
	} else {
		out = a.eager(g, q, k, v, mask)
	}
	// attn_output.transpose(1, 2).contiguous(), then reshape(*input_shape, -1).contiguous()
	out = g.contiguous(g.transpose(out, 1, 2))
	out = g.contiguous(g.reshape(out, bsz, seq, embed))
	return g.linear(out, &a.OutProj)
}

// eager is eager_attention_forward up to its output [B, H, L, head_dim].
func (a *Attention) eager(g *graph, q, k, v *ts.Tensor, mask *attnMask) *ts.Tensor {
	// Each [B, H, L, L] step is freed once the next exists (views share storage, so
	// dropping a view's handle only drops a reference).
	step := func(next, prev *ts.Tensor) *ts.Tensor { g.release(prev); return next }
	w := g.matmul(q, g.transpose(k, -1, -2))
	w = step(g.mulScalar(w, a.scale), w)
	if mask != nil && mask.t != nil {
		w = step(g.add(w, mask.t), w)
	}
	w = step(g.softmaxFloat(w, -1), w)
	w = step(g.to(w, g.dtype.gotch()), w) // softmax(dtype=float32).to(query.dtype)
	out := g.matmul(w, v)
	g.release(w)
	return out
}

// sdpa is sdpa_attention_forward (transformers 5) up to its output [B, H, L, head_dim]:
// q, k, v go as the transposed views CLIPAttention makes (no contiguous copy: the
// kernels see the same strides as in Python), dropout 0, the Python scale; no mask
// and is_causal False for the vision tower (CLIPAttention.is_causal). Its reshape to
// [B, -1, L, head_dim] is the identity here.
func (a *Attention) sdpa(g *graph, q, k, v *ts.Tensor, mask *attnMask) *ts.Tensor {
	if mask == nil {
		return g.sdpa(q, k, v, nil, false, a.scaleF)
	}
	return g.sdpa(q, k, v, mask.t, mask.causal, a.scaleF)
}

// attnMask is the attention mask one tower hands every layer, built for the graph's
// implementation (TextTransformer.mask): for eager, t is the additive float mask; for
// SDPA, t is the boolean mask (true = attend) or nil, and causal the is_causal that
// sdpa_attention_forward computes from them (q_length > 1 and no mask).
type attnMask struct {
	t      *ts.Tensor
	causal bool
}
