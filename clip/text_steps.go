package clip

import "github.com/sugarme/gotch/ts"

// The text side in two steps, for label sets too large for one forward: the text tower
// runs on chunks of texts (TextPoolerOutput) and the projection on the gathered pooled
// rows (ProjectText). ProjectText(TextPoolerOutput(tok)) is GetTextFeatures(tok), and
// with normalize TextEmbeds(tok), bit for bit: the pooled rows go through float32
// unchanged (bfloat16 and float16 values are exact in float32).

// TextPoolerOutput is CLIPTextModel's pooler_output: the final layer norm's output at
// each text's end-of-text position, [texts, text hidden size], before the projection.
func (m *Model) TextPoolerOutput(tok Tokens) (Matrix, error) {
	if err := tok.check(m.cfg.Text); err != nil {
		return Matrix{}, err
	}
	var out Matrix
	err := m.run(func(g *graph) error {
		return g.copyOut(map[*Matrix]*ts.Tensor{&out: m.TextModel.forward(g, tok)})
	})
	return out, err
}

// ProjectText applies text_projection to pooler outputs (TextPoolerOutput's rows) and,
// with normalize, the L2 normalization of text_embeds. The rows are independent: rows
// projected in one call or in several differ at most in the last float bits, and only
// when a call has few rows (BLAS kernels for a handful of rows sum in another order).
func (m *Model) ProjectText(pooled Matrix, normalize bool) (Matrix, error) {
	if err := pooled.check("pooler_output", m.cfg.Text.HiddenSize, "text hidden_size"); err != nil {
		return Matrix{}, err
	}
	var out Matrix
	err := m.run(func(g *graph) error {
		f := g.linear(g.floats(pooled.Data, pooled.shape(), m.dtype.gotch()), &m.TextProjection)
		if normalize {
			f = m.normalize(g, f)
		}
		return g.copyOut(map[*Matrix]*ts.Tensor{&out: f})
	})
	return out, err
}
