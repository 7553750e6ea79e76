package clip

import "github.com/sugarme/gotch/ts"

// VisionTransformer is CLIPVisionTransformer (the `vision_model.` prefix).
type VisionTransformer struct {
	Embeddings    VisionEmbeddings
	PreLayrnorm   LayerNorm // sic: the checkpoint spells it pre_layrnorm
	Encoder       Encoder
	PostLayernorm LayerNorm
}

func (v *VisionTransformer) bind(b *binder, name string, c VisionConfig) {
	hidden := int64(c.HiddenSize)
	v.Embeddings.bind(b, name+".embeddings", c)
	v.PreLayrnorm.bind(b, name+".pre_layrnorm", hidden, c.LayerNormEps)
	v.Encoder.bind(b, name+".encoder", encoderShape{hidden: hidden, inter: int64(c.IntermediateSize),
		heads: int64(c.NumAttentionHeads), layers: c.NumHiddenLayers, act: c.HiddenAct, eps: c.LayerNormEps})
	v.PostLayernorm.bind(b, name+".post_layernorm", hidden, c.LayerNormEps)
}

// forward returns pooler_output: post_layernorm(last_hidden_state[:, 0, :]).
// pixels: [N, C, H, W] in the model's dtype and device.
func (v *VisionTransformer) forward(g *graph, pixels *ts.Tensor, batch int64) *ts.Tensor {
	h := g.layerNorm(v.Embeddings.forward(g, pixels, batch), &v.PreLayrnorm)
	h = v.Encoder.forward(g, h, nil) // no mask; CLIPAttention.is_causal is False
	return g.layerNorm(g.sel(h, 1, 0), &v.PostLayernorm)
}
