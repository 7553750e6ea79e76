package zeroshot

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// pipelineGolden is testdata/pipeline/<model>.json, written by testdata/gen/gen_pipeline.py.
type pipelineGolden struct {
	Model string `json:"model"`
	Cases []struct {
		Image         string   `json:"image"`
		Labels        []string `json:"labels"`
		Template      string   `json:"template"`
		TemplateGiven bool     `json:"template_given"`
		Pipeline      []Result `json:"pipeline"`
		Manual        struct {
			Logits []float64 `json:"logits_per_image"`
			Probs  []float64 `json:"probs"`
		} `json:"manual"`
	} `json:"cases"`
}

var fixtureModels = []string{"tiny-l14", "odd"}

func readGolden(t *testing.T, name string) pipelineGolden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pipeline", golden.PipelineFile(name, torch.Version())))
	require.NoError(t, err)
	var g pipelineGolden
	require.NoError(t, json.Unmarshal(b, &g))
	return g
}

func openFixture(t *testing.T, name string) *Classifier {
	t.Helper()
	c, err := Open(filepath.Join("..", "testdata", "models", name), Options{Model: clip.Options{Threads: 1}})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// The pipeline's output, case by case: same labels in the same order, scores equal.
func TestPipelineParity(t *testing.T) {
	for _, name := range fixtureModels {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			c := openFixture(t, name)
			var maxDiff float64
			exact, total := 0, 0
			for _, tc := range g.Cases {
				req := Request{Labels: tc.Labels, AllowDuplicates: true}
				if tc.TemplateGiven {
					req.Template = tc.Template
				}
				got, err := c.ClassifyFiles(context.Background(),
					[]string{filepath.Join("..", "testdata", "pipeline", tc.Image)}, req)
				require.NoError(t, err, tc.Image)
				require.Len(t, got[0], len(tc.Pipeline))
				for i, want := range tc.Pipeline {
					assert.Equal(t, want.Label, got[0][i].Label, "%s %v: rank %d", tc.Image, tc.Labels, i)
					d := math.Abs(want.Score - got[0][i].Score)
					maxDiff = math.Max(maxDiff, d)
					if d == 0 {
						exact++
					}
					total++
				}
			}
			t.Logf("%s: %d cases, scores max |Δ| %.3g, %d of %d bit-identical", name, len(g.Cases), maxDiff, exact, total)
			assert.LessOrEqual(t, maxDiff, 1e-5)
		})
	}
}

// The tutorial's manual flow: processor(text, images, padding=True) → model → softmax.
func TestManualFlowParity(t *testing.T) {
	for _, name := range fixtureModels {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			dir := filepath.Join("..", "testdata", "models", name)
			p, err := LoadProcessor(dir)
			require.NoError(t, err)
			m, err := clip.Load(dir, clip.Options{Threads: 1})
			require.NoError(t, err)
			defer m.Close()
			var maxLogit, maxProb float64
			for _, tc := range g.Cases {
				img, err := preprocess.Load(filepath.Join("..", "testdata", "pipeline", tc.Image), preprocess.ManualOptions)
				require.NoError(t, err)
				px, tok, err := p.Process([]preprocess.RGB{img}, tc.Labels, tokenize.Options{})
				require.NoError(t, err)
				out, err := m.Forward(px, tok)
				require.NoError(t, err)
				probs, err := Softmax(out.LogitsPerImage)
				require.NoError(t, err)
				for i := range tc.Labels {
					maxLogit = math.Max(maxLogit, math.Abs(tc.Manual.Logits[i]-float64(out.LogitsPerImage.Data[i])))
					maxProb = math.Max(maxProb, math.Abs(tc.Manual.Probs[i]-float64(probs.Data[i])))
				}
			}
			t.Logf("%s: logits max |Δ| %.3g, probs max |Δ| %.3g", name, maxLogit, maxProb)
			assert.LessOrEqual(t, maxLogit, 1e-4)
			assert.LessOrEqual(t, maxProb, 1e-5)
		})
	}
}
