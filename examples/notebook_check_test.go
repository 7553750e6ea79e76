package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

var tinyModel = filepath.Join("..", "testdata", "models", "tiny-l14")

// scoreLine is a "0.3451  cat" row of the pipeline and manual cells.
var scoreLine = regexp.MustCompile(`^(\d\.\d{4})  (\S.*)$`)

// checkNotebookOutput checks what the notebook's three cells print on the tiny model,
// in order: the pipeline cell's rows against the Python pipeline's golden, the manual
// cell's against the golden of the tutorial's manual flow (processor → model → softmax),
// both to the 4 decimals printed, and the prompt-ensemble cell against the library run
// in this process (Python has no such pipeline to compare with). It returns the 8 score
// rows (pipeline, then manual), which the charts must show.
func checkNotebookOutput(t *testing.T, text string) []string {
	t.Helper()
	assert.NotContains(t, text, "error:")
	var rows []string
	for _, line := range strings.Split(text, "\n") {
		if scoreLine.MatchString(line) {
			rows = append(rows, line)
		}
	}
	require.Len(t, rows, 8, "4 rows from the pipeline cell, 4 from the manual cell:\n%s", text)
	path, pipe, manual := goldenCase(t, "chelsea.png", "cat,dog,fox,owl")
	slack := golden.ScoreSlack(path)
	maxDiff := math.Max(checkRows(t, "pipeline", rows[:4], pipe, slack), checkRows(t, "manual", rows[4:], manual, slack))
	t.Logf("pipeline and manual cells: labels in the golden order, max |Δ| %.2g (printed to 4 decimals)", maxDiff)

	want := ensembleOutput(t)
	assert.Contains(t, text, want, "the prompt-ensemble cell")
	return rows
}

// displays are what a notebook run displayed besides text: SVG documents, and the
// sizes of the images.
type displays struct {
	svgs   []string
	images []image.Point
}

// svgText is a text element of the notebooks' bar charts.
var svgText = regexp.MustCompile(`<text [^>]*>([^<]*)</text>`)

// checkDisplays checks what the pipeline and manual cells display: the image (chelsea.png,
// 451×300) once, and one bar chart each whose rows, label then score, are the rows the
// cell printed (rows: pipeline's 4, then manual's 4), with a bar per row.
func checkDisplays(t *testing.T, rows []string, shown displays) {
	t.Helper()
	assert.Equal(t, []image.Point{image.Pt(451, 300)}, shown.images, "the pipeline cell shows chelsea.png")
	require.Len(t, shown.svgs, 2, "a bar chart from the pipeline cell and one from the manual cell")
	for i, svg := range shown.svgs {
		assert.True(t, strings.HasPrefix(svg, "<svg ") && strings.HasSuffix(svg, "</svg>"), "chart %d: %.80s", i, svg)
		var got []string
		texts := svgText.FindAllStringSubmatch(svg, -1)
		for j := 0; j+1 < len(texts); j += 2 {
			got = append(got, texts[j+1][1]+"  "+html.UnescapeString(texts[j][1]))
		}
		assert.Equal(t, rows[4*i:4*i+4], got, "chart %d: its labels and scores are the cell's rows", i)
		assert.Equal(t, 4, strings.Count(svg, "<rect "), "chart %d: a bar per label", i)
	}
	t.Logf("displays: image %v, %d bar charts with the printed rows", shown.images, len(shown.svgs))
}

// checkRows compares printed rows with (label, score) pairs, best first: each printed
// score is the golden's rounded to 4 decimals, within slack (golden.ScoreSlack: what
// another CPU may move a probability by); it returns the largest difference.
func checkRows(t *testing.T, cell string, rows []string, want []scored, slack float64) float64 {
	t.Helper()
	var maxDiff float64
	for i, row := range rows {
		m := scoreLine.FindStringSubmatch(row)
		score, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		assert.Equal(t, want[i].Label, m[2], "%s cell, row %d", cell, i)
		d := math.Abs(score - want[i].Score)
		maxDiff = math.Max(maxDiff, d)
		assert.LessOrEqual(t, d, 0.5e-4+slack, "%s cell, %s: printed %s, golden %.7f", cell, m[2], m[1], want[i].Score)
	}
	return maxDiff
}

type scored struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// goldenCase returns, for image and labels on the tiny model, the Python pipeline's
// output and the manual flow's probabilities ranked the same way.
func goldenCase(t *testing.T, image, labels string) (path string, pipeline, manual []scored) {
	t.Helper()
	// The goldens of the libtorch this process links: the notebooks' kernels get the same
	// TORCH from make's environment.
	path = golden.Path(t, filepath.Join("..", "testdata"), "pipeline/"+golden.PipelineFile("tiny-l14", torch.Version()))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var g struct {
		Cases []struct {
			Image    string   `json:"image"`
			Labels   []string `json:"labels"`
			Given    bool     `json:"template_given"`
			Pipeline []scored `json:"pipeline"`
			Manual   struct {
				Probs []float64 `json:"probs"`
			} `json:"manual"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &g))
	for _, c := range g.Cases {
		if c.Image != image || strings.Join(c.Labels, ",") != labels || c.Given {
			continue
		}
		for i, l := range c.Labels {
			manual = append(manual, scored{Score: c.Manual.Probs[i], Label: l})
		}
		sort.SliceStable(manual, func(a, b int) bool { return manual[a].Score > manual[b].Score })
		return path, c.Pipeline, manual
	}
	t.Fatalf("no golden case for %s %s", image, labels)
	return "", nil, nil
}

// ensembleOutput is what the notebook's last cell prints, computed here with the library.
func ensembleOutput(t *testing.T) string {
	t.Helper()
	c, err := zeroshot.Open(tinyModel, zeroshot.Options{})
	require.NoError(t, err)
	defer c.Close()
	req := zeroshot.Request{Labels: []string{"cat", "dog", "fox", "owl"}, Templates: zeroshot.ImageNet80, TopK: 2}
	var b strings.Builder
	for _, opts := range []preprocess.Options{preprocess.PipelineOptions, preprocess.ManualOptions} {
		img, err := preprocess.Load("chelsea.png", opts)
		require.NoError(t, err)
		res, err := c.Classify(context.Background(), img, req)
		require.NoError(t, err)
		fmt.Fprintln(&b, res)
	}
	emb, err := c.LabelEmbeddings(req)
	require.NoError(t, err)
	fmt.Fprintf(&b, "label embeddings: %d labels × %d dimensions, from %d templates\n", emb.Embeds.Rows, emb.Embeds.Cols, len(emb.Templates))
	return b.String()
}
