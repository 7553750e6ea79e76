package zeroshot

import (
	"context"
	"encoding/json"
	"fmt"
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

// pipelineGolden is testdata/pipeline/<model>.json, written by testdata/gen/gen_pipeline.py
// (make parity's local copy where it has one: golden.Path).
type pipelineGolden struct {
	path  string // the file read, which sets the bound of golden.Check
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

// goldenProfile is one Python reference whose pipeline goldens exist for the linked
// libtorch, with the Options that reproduce it.
type goldenProfile struct {
	name   string // for the log
	suffix string // of testdata/pipeline/<model><suffix>.json
	opts   Options
}

// goldenProfiles lists them: on libtorch 2.1.0 transformers 4.54 only (no transformers 5
// runs there); on 2.11.0 transformers 5 with eager attention and the PIL backend (which
// is also what the "4.54" profile computes on this libtorch: the fixtures have no
// transparency) and transformers 5 with its defaults (SDPA, torchvision).
func goldenProfiles(t testing.TB) []goldenProfile {
	v := torch.Version()
	base := golden.Suffix(v)
	ps := []goldenProfile{{"4.54", base, Options{Parity: Parity454}}}
	if _, err := os.Stat(filepath.Join("..", "testdata", "pipeline", "tiny-l14"+base+"-v5.json")); err == nil {
		eagerPIL := Options{Parity: Parity5, Backend: BackendPIL}
		eagerPIL.Model.Attention = clip.AttnEager
		ps = append(ps, goldenProfile{"5 backend=pil attention=eager", base, eagerPIL},
			goldenProfile{"5", base + "-v5", Options{Parity: Parity5}})
	} else {
		t.Logf("libtorch %s: no transformers 5 goldens (it needs torch >= 2.2): profile 4.54 only", v)
	}
	return ps
}

func readGolden(t *testing.T, name, suffix string) pipelineGolden {
	t.Helper()
	g := pipelineGolden{path: golden.Path(t, filepath.Join("..", "testdata"), "pipeline/"+name+suffix+".json")}
	b, err := os.ReadFile(g.path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &g))
	return g
}

func openFixture(t *testing.T, name string) *Classifier {
	t.Helper()
	return openFixtureWith(t, name, Options{Parity: Parity454})
}

func openFixtureWith(t *testing.T, name string, opts Options) *Classifier {
	t.Helper()
	opts.Model.Threads = 1
	c, err := Open(filepath.Join("..", "testdata", "models", name), opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// The pipeline's output, case by case, for every profile with goldens on this
// libtorch: same labels in the same order, scores within the golden's bound
// (golden.Check: bit for bit against make parity's local goldens); the log says how
// many are bit-identical.
func TestPipelineParity(t *testing.T) {
	for _, prof := range goldenProfiles(t) {
		for _, name := range fixtureModels {
			t.Run(prof.name+"/"+name, func(t *testing.T) { pipelineParity(t, name, prof) })
		}
	}
}

func pipelineParity(t *testing.T, name string, prof goldenProfile) {
	g := readGolden(t, name, prof.suffix)
	c := openFixtureWith(t, name, prof.opts)
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
		var want, have []float64
		for i, w := range tc.Pipeline {
			assert.Equal(t, w.Label, got[0][i].Label, "%s %v: rank %d", tc.Image, tc.Labels, i)
			want, have = append(want, w.Score), append(have, got[0][i].Score)
		}
		exact += golden.Check(t, g.path, fmt.Sprintf("%s %v scores", tc.Image, tc.Labels), golden.F32(have), golden.F32(want)).Equal
		total += len(want)
	}
	t.Logf("%s %s (%s): %d cases, %d of %d scores bit-identical", prof.name, name, c.Profile(), len(g.Cases), exact, total)
}

// The tutorial's manual flow: processor(text, images, padding=True) → model → softmax,
// for every profile with goldens on this libtorch.
func TestManualFlowParity(t *testing.T) {
	for _, prof := range goldenProfiles(t) {
		for _, name := range fixtureModels {
			t.Run(prof.name+"/"+name, func(t *testing.T) { manualParity(t, name, prof) })
		}
	}
}

func manualParity(t *testing.T, name string, prof goldenProfile) {
	g := readGolden(t, name, prof.suffix)
	dir := filepath.Join("..", "testdata", "models", name)
	p, err := LoadProcessorFor(dir, prof.opts.Parity, prof.opts.Backend)
	require.NoError(t, err)
	pr, err := ResolveProfile(prof.opts.Parity, prof.opts.Backend, prof.opts.Model.Attention)
	require.NoError(t, err)
	m, err := clip.Load(dir, clip.Options{Threads: 1, Attention: pr.Attention})
	require.NoError(t, err)
	defer m.Close()
	var maxLogit float64
	exact, total := 0, 0
	for _, tc := range g.Cases {
		img, err := preprocess.Load(filepath.Join("..", "testdata", "pipeline", tc.Image), p.Options)
		require.NoError(t, err)
		px, tok, err := p.Process([]preprocess.RGB{img}, tc.Labels, tokenize.Options{})
		require.NoError(t, err)
		out, err := m.Forward(px, tok)
		require.NoError(t, err)
		probs, err := Softmax(out.LogitsPerImage)
		require.NoError(t, err)
		what := fmt.Sprintf("%s %v", tc.Image, tc.Labels)
		n := len(tc.Labels)
		rl := golden.Check(t, g.path, what+" logits", out.LogitsPerImage.Data[:n], golden.F32(tc.Manual.Logits))
		rp := golden.Check(t, g.path, what+" probs", probs.Data[:n], golden.F32(tc.Manual.Probs))
		maxLogit = math.Max(maxLogit, rl.MaxAbs)
		exact += rl.Equal + rp.Equal
		total += 2 * n
	}
	t.Logf("%s %s (%s, %s): logits max |Δ| %.3g, %d of %d logits and probabilities bit-identical", prof.name, name, pr, m.Attention(), maxLogit, exact, total)
	assert.LessOrEqual(t, maxLogit, 1e-4) // the gate
}
