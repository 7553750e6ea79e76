package clip

import (
	"math"

	"github.com/sugarme/gotch/ts"
)

// Attention is CLIPAttention with transformers' eager implementation, the one
// transformers 4.54 picks on torch 2.1.0 (its SDPA path needs torch >= 2.1.1).
type Attention struct {
	KProj, VProj, QProj, OutProj Linear
	heads, headDim               int64
	scale                        *ts.Scalar // head_dim**-0.5 (a Python float, cast to the op's dtype)
}

func (a *Attention) bind(b *binder, name string, hidden, heads int64) {
	a.heads, a.headDim = heads, hidden/heads
	a.QProj.bind(b, name+".q_proj", hidden, hidden, true)
	a.KProj.bind(b, name+".k_proj", hidden, hidden, true)
	a.VProj.bind(b, name+".v_proj", hidden, hidden, true)
	a.OutProj.bind(b, name+".out_proj", hidden, hidden, true)
	// Python's head_dim**-0.5 and Go's Pow can differ in the last bit of a float64, but
	// libtorch rounds the scalar to float32 first, where they agree (checked to 1024).
	b.scalar(&a.scale, math.Pow(float64(a.headDim), -0.5))
}

// forward is CLIPAttention.forward + eager_attention_forward. mask is the additive
// [B, 1, L, L] mask (causal + padding) or nil.
func (a *Attention) forward(g *graph, x, mask *ts.Tensor) *ts.Tensor {
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

	// Each [B, H, L, L] step is freed once the next exists (views share storage, so
	// dropping a view's handle only drops a reference).
	step := func(next, prev *ts.Tensor) *ts.Tensor { g.release(prev); return next }
	w := g.matmul(q, g.transpose(k, -1, -2))
	w = step(g.mulScalar(w, a.scale), w)
	if mask != nil {
		w = step(g.add(w, mask), w)
	}
	w = step(g.softmaxFloat(w, -1), w)
	w = step(g.to(w, g.dtype.gotch()), w) // softmax(dtype=float32).to(query.dtype)
	out := g.matmul(w, v)
	g.release(w)
	out = g.contiguous(g.transpose(out, 1, 2))
	out = g.contiguous(g.reshape(out, bsz, seq, embed))
	return g.linear(out, &a.OutProj)
}
