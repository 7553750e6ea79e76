package clip

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The text side in two steps gives the one-step results bit for bit (the goldens'
// texts, fp32 and bf16), and the steps check their inputs.
func TestTextSteps(t *testing.T) {
	skipWithoutFixtures(t)
	for _, name := range fixtureModels {
		for _, dt := range []DType{Float32, BFloat16} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				g := loadGoldens(t, filepath.Join(modelDir(name), "golden"))
				m, err := Load(modelDir(name), Options{DType: dt, Threads: 1})
				require.NoError(t, err)
				defer m.Close()
				for _, tok := range []Tokens{g.tokens, g.tokMax} {
					pooled, err := m.TextPoolerOutput(tok)
					require.NoError(t, err)
					assert.Equal(t, []int{tok.Batch, m.Config().Text.HiddenSize}, []int{pooled.Rows, pooled.Cols})
					feat, err := m.GetTextFeatures(tok)
					require.NoError(t, err)
					got, err := m.ProjectText(pooled, false)
					require.NoError(t, err)
					identical(t, "text_features", got, feat)
					emb, err := m.TextEmbeds(tok)
					require.NoError(t, err)
					got, err = m.ProjectText(pooled, true)
					require.NoError(t, err)
					identical(t, "text_embeds", got, emb)
				}
				_, err = m.TextPoolerOutput(Tokens{})
				var ie *InputError
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, "input_ids", ie.Arg)
				_, err = m.ProjectText(Matrix{Rows: 1, Cols: 5, Data: make([]float32, 5)}, true)
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, "pooler_output", ie.Arg)
				assert.Contains(t, err.Error(), "hidden_size")
			})
		}
	}
}
