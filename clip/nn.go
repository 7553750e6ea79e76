package clip

import "github.com/sugarme/gotch/ts"

// The leaf modules. Their tensors are the checkpoint's, named by bind from the
// module path (e.g. "vision_model.encoder.layers.3.mlp.fc1" + ".weight").

// Linear is torch.nn.Linear: y = x·Wᵀ + b, W is [out, in]. Bias is nil when absent.
type Linear struct {
	Weight, Bias *ts.Tensor
}

func (l *Linear) bind(b *binder, name string, out, in int64, bias bool) {
	b.add(&l.Weight, name+".weight", out, in)
	if bias {
		b.add(&l.Bias, name+".bias", out)
	}
}

// LayerNorm is torch.nn.LayerNorm over the last dimension.
type LayerNorm struct {
	Weight, Bias *ts.Tensor
	Eps          float64
	dim          int64
}

func (l *LayerNorm) bind(b *binder, name string, dim int64, eps float64) {
	l.dim, l.Eps = dim, eps
	b.add(&l.Weight, name+".weight", dim)
	b.add(&l.Bias, name+".bias", dim)
}

// Embedding is torch.nn.Embedding: a [num, dim] lookup table.
type Embedding struct {
	Weight *ts.Tensor
}

func (e *Embedding) bind(b *binder, name string, num, dim int64) {
	b.add(&e.Weight, name+".weight", num, dim)
}

// Conv2d is the patch embedding's torch.nn.Conv2d: kernel = stride, no padding, no bias.
type Conv2d struct {
	Weight *ts.Tensor
	stride int64
}

func (c *Conv2d) bind(b *binder, name string, out, in, kernel int64) {
	c.stride = kernel
	b.add(&c.Weight, name+".weight", out, in, kernel, kernel)
}
