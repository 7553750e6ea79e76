package clip

import "github.com/sugarme/gotch/ts"

// MLP is CLIPMLP: fc2(act(fc1(x))).
type MLP struct {
	FC1, FC2 Linear
	act      string
	quick    *ts.Scalar // 1.702, for quick_gelu
}

// activations are the hidden_act values supported, as transformers' ACT2FN defines them.
var activations = map[string]bool{"quick_gelu": true, "gelu": true, "gelu_pytorch_tanh": true, "relu": true}

func (m *MLP) bind(b *binder, name string, hidden, inter int64, act string) {
	m.act = act
	m.FC1.bind(b, name+".fc1", inter, hidden, true)
	m.FC2.bind(b, name+".fc2", hidden, inter, true)
	if act == "quick_gelu" {
		b.scalar(&m.quick, 1.702)
	}
}

func (m *MLP) forward(g *graph, x *ts.Tensor) *ts.Tensor {
	h := g.linear(x, &m.FC1)
	switch m.act {
	case "quick_gelu": // QuickGELUActivation: input * torch.sigmoid(1.702 * input)
		// Each [B, L, intermediate] temporary is freed once used: at most three are alive.
		scaled := g.mulScalar(h, m.quick)
		sig := g.sigmoid(scaled)
		g.release(scaled)
		prod := g.mul(h, sig)
		g.release(h)
		g.release(sig)
		h = prod
	case "gelu": // GELUActivation: nn.functional.gelu (exact erf form)
		h = g.gelu(h, "none")
	case "gelu_pytorch_tanh":
		h = g.gelu(h, "tanh")
	case "relu":
		h = g.relu(h)
	}
	return g.linear(h, &m.FC2)
}
