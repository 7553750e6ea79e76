package clip

import (
	"fmt"

	"github.com/sugarme/gotch/ts"
)

// EncoderLayer is CLIPEncoderLayer (pre-LayerNorm transformer block).
type EncoderLayer struct {
	SelfAttn   Attention
	LayerNorm1 LayerNorm
	MLP        MLP
	LayerNorm2 LayerNorm
}

// Encoder is CLIPEncoder.
type Encoder struct {
	Layers []EncoderLayer
}

// encoderShape is what both towers' configs say about their encoder.
type encoderShape struct {
	hidden, inter, heads int64
	layers               int
	act                  string
	eps                  float64
}

func (e *Encoder) bind(b *binder, name string, s encoderShape) {
	e.Layers = make([]EncoderLayer, s.layers)
	for i := range e.Layers {
		l, p := &e.Layers[i], fmt.Sprintf("%s.layers.%d", name, i)
		l.SelfAttn.bind(b, p+".self_attn", s.hidden, s.heads)
		l.LayerNorm1.bind(b, p+".layer_norm1", s.hidden, s.eps)
		l.MLP.bind(b, p+".mlp", s.hidden, s.inter, s.act)
		l.LayerNorm2.bind(b, p+".layer_norm2", s.hidden, s.eps)
	}
}

// forward is CLIPEncoderLayer.forward. The attention and the MLP blocks each run in
// their own scope, so their intermediates (q, k, v, the [B, H, L, L] weights; the
// [B, L, intermediate] activations) are freed before the next block starts: for a
// 1,000-label text batch that halves the peak memory, and the ops are the same.
func (l *EncoderLayer) forward(g *graph, h *ts.Tensor, mask *attnMask) *ts.Tensor {
	residual := h
	attn := g.scoped(func() *ts.Tensor { return l.SelfAttn.forward(g, g.layerNorm(residual, &l.LayerNorm1), mask) })
	h = g.add(residual, attn)
	g.release(attn)
	residual = h
	mlp := g.scoped(func() *ts.Tensor { return l.MLP.forward(g, g.layerNorm(residual, &l.LayerNorm2)) })
	h = g.add(residual, mlp)
	g.release(mlp)
	g.release(residual)
	return h
}

// forward runs the layers, each in its own scope, so only one layer's intermediates
// and two hidden states are alive at a time.
func (e *Encoder) forward(g *graph, h *ts.Tensor, mask *attnMask) *ts.Tensor {
	for i := range e.Layers {
		l, in := &e.Layers[i], h
		h = g.scoped(func() *ts.Tensor { return l.forward(g, in, mask) })
		if i > 0 {
			g.release(in)
		}
	}
	return h
}
