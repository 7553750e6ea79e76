package clip

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// graph runs one forward pass: every op's result goes into the current scope, and
// the first error sticks — later ops become no-ops returning nil, so the graph code
// reads like the Python it mirrors and checks g.err once at the end. Each method is
// one error-returning gotch call (never a Must*), and nil never reaches gotch.
// A graph belongs to one worker call; it is not safe for concurrent use.
type graph struct {
	s     *torch.Scope
	err   error
	dtype DType
	dev   Device
	attn  AttnImplementation
}

func (g *graph) keep(op string, t *ts.Tensor, err error) *ts.Tensor {
	if err != nil {
		if g.err == nil {
			g.err = torchError(op, err)
		}
		return nil
	}
	return g.s.Add(t)
}

// live reports whether the graph has no error and none of xs is nil.
func (g *graph) live(xs ...*ts.Tensor) bool {
	if g.err != nil {
		return false
	}
	for _, x := range xs {
		if x == nil {
			g.err = errNilTensor
			return false
		}
	}
	return true
}

// scoped runs fn in a fresh scope, frees everything fn made except its result, and
// moves the result to the current scope: it bounds the memory of one encoder layer.
func (g *graph) scoped(fn func() *ts.Tensor) *ts.Tensor {
	outer, inner := g.s, &torch.Scope{}
	g.s = inner
	out := fn()
	g.s = outer
	if out != nil && g.err == nil {
		inner.Keep(out)
		outer.Add(out)
	} else {
		out = nil
	}
	inner.Free()
	return out
}

// release frees t now (it must be in the current scope and no longer needed).
func (g *graph) release(t *ts.Tensor) {
	if t != nil {
		g.s.Keep(t)
		_ = t.Drop()
	}
}

func orNone(t *ts.Tensor) *ts.Tensor {
	if t == nil {
		return ts.None
	}
	return t
}

func (g *graph) linear(x *ts.Tensor, l *Linear) *ts.Tensor {
	if !g.live(x) {
		return nil
	}
	t, err := ts.Linear(x, l.Weight, orNone(l.Bias))
	return g.keep("linear", t, err)
}

func (g *graph) layerNorm(x *ts.Tensor, l *LayerNorm) *ts.Tensor {
	if !g.live(x) {
		return nil
	}
	t, err := ts.LayerNorm(x, []int64{l.dim}, l.Weight, l.Bias, l.Eps, true)
	return g.keep("layer_norm", t, err)
}

func (g *graph) conv2d(x *ts.Tensor, c *Conv2d) *ts.Tensor {
	if !g.live(x) {
		return nil
	}
	t, err := ts.Conv2d(x, c.Weight, ts.None, []int64{c.stride, c.stride}, []int64{0, 0}, []int64{1, 1}, 1)
	return g.keep("conv2d", t, err)
}

func (g *graph) embedding(ids *ts.Tensor, e *Embedding) *ts.Tensor {
	if !g.live(ids) {
		return nil
	}
	t, err := ts.Embedding(e.Weight, ids, -1, false, false)
	return g.keep("embedding", t, err)
}

func (g *graph) matmul(a, b *ts.Tensor) *ts.Tensor {
	if !g.live(a, b) {
		return nil
	}
	t, err := a.Matmul(b, false)
	return g.keep("matmul", t, err)
}

func (g *graph) add(a, b *ts.Tensor) *ts.Tensor {
	if !g.live(a, b) {
		return nil
	}
	t, err := a.Add(b, false)
	return g.keep("add", t, err)
}

func (g *graph) mul(a, b *ts.Tensor) *ts.Tensor {
	if !g.live(a, b) {
		return nil
	}
	t, err := a.Mul(b, false)
	return g.keep("mul", t, err)
}

func (g *graph) div(a, b *ts.Tensor) *ts.Tensor {
	if !g.live(a, b) {
		return nil
	}
	t, err := a.Div(b, false)
	return g.keep("div", t, err)
}

func (g *graph) mulScalar(a *ts.Tensor, s *ts.Scalar) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.MulScalar(s, false)
	return g.keep("mul", t, err)
}

func (g *graph) pow(a *ts.Tensor, s *ts.Scalar) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.PowTensorScalar(s, false)
	return g.keep("pow", t, err)
}

// sumLast is torch.sum(a, dim=-1, keepdim=True).
func (g *graph) sumLast(a *ts.Tensor) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.SumDimIntlist([]int64{-1}, true, gotch.Invalid, false)
	return g.keep("sum", t, err)
}

func (g *graph) exp(a *ts.Tensor) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Exp(false)
	return g.keep("exp", t, err)
}

func (g *graph) sigmoid(a *ts.Tensor) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Sigmoid(false)
	return g.keep("sigmoid", t, err)
}

func (g *graph) gelu(a *ts.Tensor, approximate string) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Gelu(approximate, false)
	return g.keep("gelu", t, err)
}

func (g *graph) relu(a *ts.Tensor) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Relu(false)
	return g.keep("relu", t, err)
}

// softmax is softmax(a, dim, dtype=float32), as transformers' eager attention calls it.
func (g *graph) softmaxFloat(a *ts.Tensor, dim int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Softmax(dim, gotch.Float, false)
	return g.keep("softmax", t, err)
}

// sdpa is torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
// dropout_p=0, is_causal=causal, scale=scale); mask may be nil (None).
func (g *graph) sdpa(q, k, v, mask *ts.Tensor, causal bool, scale float64) *ts.Tensor {
	if !g.live(q, k, v) {
		return nil
	}
	t, err := ts.ScaledDotProductAttention(q, k, v, orNone(mask), 0, causal, []float64{scale})
	return g.keep("scaled_dot_product_attention", t, err)
}

// to converts a to dtype d (the same tensor data, new handle, if it already is d).
func (g *graph) to(a *ts.Tensor, d gotch.DType) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Totype(d, false)
	return g.keep("to", t, err)
}

func (g *graph) view(a *ts.Tensor, shape ...int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.View(shape, false)
	return g.keep("view", t, err)
}

func (g *graph) reshape(a *ts.Tensor, shape ...int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Reshape(shape, false)
	return g.keep("reshape", t, err)
}

func (g *graph) transpose(a *ts.Tensor, d0, d1 int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Transpose(d0, d1, false)
	return g.keep("transpose", t, err)
}

// t is Tensor.t() (2-D transpose).
func (g *graph) t(a *ts.Tensor) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.T(false)
	return g.keep("t", t, err)
}

func (g *graph) contiguous(a *ts.Tensor) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Contiguous(false)
	return g.keep("contiguous", t, err)
}

func (g *graph) flatten(a *ts.Tensor, start int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Flatten(start, -1, false)
	return g.keep("flatten", t, err)
}

func (g *graph) expand(a *ts.Tensor, shape ...int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Expand(shape, false, false)
	return g.keep("expand", t, err)
}

func (g *graph) cat(xs []*ts.Tensor, dim int64) *ts.Tensor {
	if !g.live(xs...) {
		return nil
	}
	t, err := ts.Cat(xs, dim)
	return g.keep("cat", t, err)
}

// sel is a.select(dim, i), e.g. last_hidden_state[:, 0, :].
func (g *graph) sel(a *ts.Tensor, dim, i int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Select(dim, i, false)
	return g.keep("select", t, err)
}

func (g *graph) narrow(a *ts.Tensor, dim, start, n int64) *ts.Tensor {
	if !g.live(a) {
		return nil
	}
	t, err := a.Narrow(dim, start, n, false)
	return g.keep("narrow", t, err)
}

func (g *graph) indexSelect(a *ts.Tensor, dim int64, idx *ts.Tensor) *ts.Tensor {
	if !g.live(a, idx) {
		return nil
	}
	t, err := a.IndexSelect(dim, idx, false)
	return g.keep("index_select", t, err)
}

// floats uploads Go data to the model's device, in dtype dt (one copy: torch.Upload).
func (g *graph) floats(data []float32, shape []int64, dt gotch.DType) *ts.Tensor {
	if g.err != nil {
		return nil
	}
	t, err := torch.Upload(data, shape, g.dev.gotch(), dt)
	return g.keep("upload", t, err)
}

// ints uploads int64 data (ids, indices) to the model's device.
func (g *graph) ints(data []int64, shape []int64) *ts.Tensor {
	if g.err != nil {
		return nil
	}
	t, err := torch.Upload(data, shape, g.dev.gotch(), gotch.Int64)
	return g.keep("upload", t, err)
}

// bools uploads a boolean mask to the model's device.
func (g *graph) bools(data []bool, shape []int64) *ts.Tensor {
	if g.err != nil {
		return nil
	}
	t, err := torch.Upload(data, shape, g.dev.gotch(), gotch.Bool)
	return g.keep("upload", t, err)
}
