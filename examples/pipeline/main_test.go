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

type result struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// The example prints what Hugging Face's pipeline gives for examples/chelsea.png
// (testdata/pipeline/chelsea.png is the same file), on both fixture models.
func TestPipelineExample(t *testing.T) {
	for _, model := range []string{"tiny-l14", "odd"} {
		t.Run(model, func(t *testing.T) {
			var out bytes.Buffer
			err := run([]string{"--model", filepath.Join("..", "..", "testdata", "models", model),
				"--image", filepath.Join("..", "chelsea.png")}, &out, io.Discard)
			require.NoError(t, err)
			var got []result
			require.NoError(t, json.Unmarshal(out.Bytes(), &got))
			path, want := pipelineGolden(t, model, "chelsea.png", "cat,dog,fox,owl")
			require.Len(t, got, len(want))
			var ws, gs []float64
			for i := range want {
				assert.Equal(t, want[i].Label, got[i].Label)
				ws, gs = append(ws, want[i].Score), append(gs, got[i].Score)
			}
			// The example runs libtorch's default thread count (the machine's cores); the goldens
			// were made with one thread, and MKL's GEMM sums in another order on more threads.
			golden.CheckWithin(t, path, model+" chelsea.png vs the pipeline", golden.F32(gs), golden.F32(ws), golden.CrossCPU)
		})
	}
}

func TestPipelineExampleBadInput(t *testing.T) {
	model := filepath.Join("..", "..", "testdata", "models", "tiny-l14")
	for _, args := range [][]string{
		{"--model", model, "--image", "nope.png"},
		{"--model", model, "--image", filepath.Join("..", "chelsea.png"), "--labels", "a,a"},
		{"--model", "no/such-dir-or-id", "--image", filepath.Join("..", "chelsea.png"), "--labels", "a"},
	} {
		t.Setenv("HF_HUB_OFFLINE", "1")
		assert.Error(t, run(args, io.Discard, io.Discard), "%v", args)
	}
}

// pipelineGolden returns the golden file and the pipeline's output for image and labels
// from testdata/pipeline (make parity's local copy where it has one).
func pipelineGolden(t *testing.T, model, image, labels string) (string, []result) {
	t.Helper()
	path := golden.Path(t, filepath.Join("..", "..", "testdata"), "pipeline/"+golden.DefaultPipelineFile(model, torch.Version()))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var g struct {
		Cases []struct {
			Image    string   `json:"image"`
			Labels   []string `json:"labels"`
			Pipeline []result `json:"pipeline"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &g))
	for _, c := range g.Cases {
		if c.Image == image && strings.Join(c.Labels, ",") == labels {
			return path, c.Pipeline
		}
	}
	t.Fatalf("no golden case for %s %s", image, labels)
	return "", nil
}
