package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// With the bare labels (--template "{}"), the example's probabilities are the golden
// manual flow's: processor(text=labels, images=Image.open(path), padding=True) → model →
// logits_per_image.softmax(dim=1).
func TestManualExample(t *testing.T) {
	for _, model := range []string{"tiny-l14", "odd"} {
		t.Run(model, func(t *testing.T) {
			var out bytes.Buffer
			err := run([]string{"--model", filepath.Join("..", "..", "testdata", "models", model),
				"--image", filepath.Join("..", "chelsea.png"), "--template", "{}"}, &out, io.Discard)
			require.NoError(t, err)
			var got []result
			require.NoError(t, json.Unmarshal(out.Bytes(), &got))
			path, labels, probs := manualGolden(t, model)
			require.Len(t, got, len(labels))
			byLabel := map[string]float64{}
			for i, r := range got {
				if i > 0 {
					assert.GreaterOrEqual(t, got[i-1].Score, r.Score, "sorted best first")
				}
				byLabel[r.Label] = r.Score
			}
			have := make([]float64, len(labels)) // in the golden's (the labels') order
			for j, l := range labels {
				s, ok := byLabel[l]
				require.True(t, ok, "label %q printed", l)
				have[j] = s
			}
			// The example runs libtorch's default thread count (the machine's cores); the goldens
			// were made with one thread, and MKL's GEMM sums in another order on more threads.
			golden.CheckWithin(t, path, model+" chelsea.png vs the manual flow", golden.F32(have), golden.F32(probs), golden.CrossCPU)
		})
	}
}

// The default, the tutorial's template, gives a distribution over the same labels.
func TestManualExampleTemplate(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"--model", filepath.Join("..", "..", "testdata", "models", "tiny-l14"),
		"--image", filepath.Join("..", "chelsea.png")}, &out, io.Discard)
	require.NoError(t, err)
	var got []result
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	require.Len(t, got, 4)
	sum := 0.0
	for _, r := range got {
		sum += r.Score
	}
	assert.InDelta(t, 1, sum, 1e-6)
	assert.Error(t, run([]string{"--model", filepath.Join("..", "..", "testdata", "models", "tiny-l14"),
		"--image", filepath.Join("..", "chelsea.png"), "--template", "no placeholder"}, io.Discard, io.Discard))
}

func manualGolden(t *testing.T, model string) (string, []string, []float64) {
	t.Helper()
	path := golden.Path(t, filepath.Join("..", "..", "testdata"), "pipeline/"+golden.DefaultPipelineFile(model, torch.Version()))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var g struct {
		Cases []struct {
			Image  string   `json:"image"`
			Labels []string `json:"labels"`
			Manual struct {
				Probs []float64 `json:"probs"`
			} `json:"manual"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &g))
	for _, c := range g.Cases {
		if c.Image == "chelsea.png" && strings.Join(c.Labels, ",") == "cat,dog,fox,owl" {
			return path, c.Labels, c.Manual.Probs
		}
	}
	t.Fatal("no golden case")
	return "", nil, nil
}
