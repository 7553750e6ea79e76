package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// pipelineCase is one case of testdata/pipeline/<model>.json: the output of Hugging
// Face's pipeline(image, candidate_labels=labels[, hypothesis_template=template]).
type pipelineCase struct {
	Image         string            `json:"image"`
	Labels        []string          `json:"labels"`
	Template      string            `json:"template"`
	TemplateGiven bool              `json:"template_given"`
	Pipeline      []zeroshot.Result `json:"pipeline"`
}

// pipelineGolden is a testdata/pipeline/<name>.json: its cases, and the file they came
// from (make parity's local copy where it has one: golden.Path), which sets the bound
// scores are checked against (golden.Check).
type pipelineGolden struct {
	Path  string
	Cases []pipelineCase
}

// pipelineCases reads the goldens of the default parity profile (what the CLI computes
// without --parity) for the linked libtorch.
func pipelineCases(t *testing.T, model string) pipelineGolden {
	t.Helper()
	return pipelineCasesFile(t, golden.DefaultPipelineFile(model, torch.Version()))
}

func pipelineCasesFile(t *testing.T, name string) pipelineGolden {
	t.Helper()
	g := pipelineGolden{Path: golden.Path(t, filepath.Join(repoRoot, "testdata"), "pipeline/"+name)}
	b, err := os.ReadFile(g.Path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &g))
	require.NotEmpty(t, g.Cases)
	return g
}

// checkResults asserts the pipeline's labels in its order, and its scores within the
// golden's bound (golden.Check); it returns how many scores are bit-identical.
func checkResults(t *testing.T, path, what string, want, got []zeroshot.Result) int {
	t.Helper()
	require.Len(t, got, len(want), what)
	ws, gs := make([]float64, len(want)), make([]float64, len(got))
	for i := range want {
		assert.Equal(t, want[i].Label, got[i].Label, "%s: rank %d", what, i)
		ws[i], gs[i] = want[i].Score, got[i].Score
	}
	return golden.Check(t, path, what, golden.F32(gs), golden.F32(ws)).Equal
}

func (c pipelineCase) args(model string) []string {
	args := []string{"classify", "--model", model, "--threads", "1", "--offline", "--format", "json",
		"--allow-duplicates", "--labels", strings.Join(c.Labels, ",")}
	if c.TemplateGiven {
		args = append(args, "--template", c.Template)
	}
	return args
}

// maxDelta compares results with the pipeline's: same labels in the same order, and
// returns the largest score difference.
func maxDelta(t *testing.T, what string, want, got []zeroshot.Result) float64 {
	t.Helper()
	require.Len(t, got, len(want), what)
	d := 0.0
	for i := range want {
		assert.Equal(t, want[i].Label, got[i].Label, "%s: rank %d", what, i)
		d = math.Max(d, math.Abs(want[i].Score-got[i].Score))
	}
	return d
}

// End to end: `zeroshot classify --format json` prints what the pipeline returns, for
// every golden case of both fixture models: one image at a time (the pipeline's
// one-image shape, --batch-size irrelevant), and each image within a directory run of
// all the pipeline images (a list of lists, batched forwards of 3 images).
func TestClassifyPipelineParity(t *testing.T) {
	v := torch.Version()
	profiles := []struct {
		name  string
		flags []string
		file  func(model string) string
	}{
		{"default", nil, func(m string) string { return golden.DefaultPipelineFile(m, v) }},
		{"--parity 4.54", []string{"--parity", "4.54"}, func(m string) string { return golden.PipelineFile(m, v) }},
	}
	if _, err := os.Stat(filepath.Join(pipelineDir, "tiny-l14"+golden.V5Suffix(v)+".json")); err == nil {
		profiles = append(profiles, struct {
			name  string
			flags []string
			file  func(model string) string
		}{"--parity 5", []string{"--parity", "5"}, func(m string) string { return m + golden.V5Suffix(v) + ".json" }})
	} else {
		t.Logf("libtorch %s: no transformers 5 goldens, --parity 5 not compared", v)
	}
	for _, prof := range profiles {
		for _, model := range []string{"tiny-l14", "odd"} {
			t.Run(prof.name+"/"+model, func(t *testing.T) {
				dir := filepath.Join(repoRoot, "testdata", "models", model)
				var batched float64
				n, exact := 0, 0
				g := pipelineCasesFile(t, prof.file(model))
				for _, c := range g.Cases {
					img := filepath.Join(pipelineDir, c.Image)
					var got []zeroshot.Result
					args := append(c.args(dir), prof.flags...)
					require.NoError(t, json.Unmarshal([]byte(zsOK(t, append(args, img)...)), &got))
					exact += checkResults(t, g.Path, fmt.Sprintf("%s %s %v", model, c.Image, c.Labels), c.Pipeline, got)

					// The directory: chelsea.png, gradient.png, rotated6.jpg, in one batch.
					var all [][]zeroshot.Result
					out := zsOK(t, append(args, "--batch-size", "8", pipelineDir)...)
					require.NoError(t, json.Unmarshal([]byte(out), &all))
					names := []string{"chelsea.png", "gradient.png", "rotated6.jpg"}
					require.Len(t, all, len(names))
					for i, name := range names {
						if name == c.Image {
							batched = math.Max(batched, maxDelta(t, c.Image+" in a batch", c.Pipeline, all[i]))
						}
					}
					n += len(c.Pipeline)
				}
				t.Logf("%s %s: %d scores; one image: %d bit-identical (%s); in batches of 3: max |Δ| %.3g",
					prof.name, model, n, exact, g.Path, batched)
				assert.LessOrEqual(t, batched, 1e-5)
			})
		}
	}
}

// The formats: the table for people, JSON in the pipeline's shapes, JSONL records.
func TestClassifyFormats(t *testing.T) {
	base := []string{"classify", "--model", tinyModel, "--threads", "1", "--batch-size", "1", "--labels", "cat,dog,fox,owl"}
	table := zsOK(t, append(base, chelsea)...) // the default for one image on stdout
	assert.Equal(t, "score   label\n0.3451  cat\n0.2853  dog\n0.2076  fox\n0.1619  owl\n", table)

	dir := copyTree(t, map[string]string{
		"a.png": chelsea, "b/bad.png": filepath.Join(imageFiles, "bad_truncated.png"),
		"c.jpg": filepath.Join(pipelineDir, "rotated6.jpg")})
	code, multi, stderr := zsRun(t, append(base, "--format", "table", "--top-k", "2", dir)...)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "skipped "+filepath.Join(dir, "b", "bad.png"))
	want := strings.Join([]string{
		filepath.Join(dir, "a.png"), "  score   label", "  0.3451  cat", "  0.2853  dog", "",
		filepath.Join(dir, "b", "bad.png"), "  error: png: truncated: image file is truncated: png: invalid format: not enough pixel data", "",
		filepath.Join(dir, "c.jpg")}, "\n")
	assert.True(t, strings.HasPrefix(multi, want), multi)

	// JSON: a list of lists in image order, null for the bad file.
	_, js, _ := zsRun(t, append(base, "--format", "json", dir)...)
	var lists []*[]zeroshot.Result
	require.NoError(t, json.Unmarshal([]byte(js), &lists), js)
	require.Len(t, lists, 3)
	assert.Nil(t, lists[1])
	assert.Len(t, *lists[0], 4)

	// JSONL is the default for a directory; the score is the pipeline's (golden), in
	// the shortest form that round-trips, as Python's json writes floats.
	cats := pipelineCases(t, "tiny-l14")
	catScore := cats.Cases[0].Pipeline[0]
	require.Equal(t, "cat", catScore.Label)
	_, jl, _ := zsRun(t, append(base, "--top-k", "1", dir)...)
	lines := strings.Split(strings.TrimSpace(jl), "\n")
	require.Len(t, lines, 3)
	var rec struct {
		Image   string
		Results []zeroshot.Result
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec), lines[0])
	require.Len(t, rec.Results, 1)
	assert.Equal(t, `{"image":"`+filepath.Join(dir, "a.png")+`","results":[{"score":`+strconv.FormatFloat(rec.Results[0].Score, 'g', -1, 64)+`,"label":"cat"}]}`, lines[0])
	checkResults(t, cats.Path, "a.png (JSONL)", []zeroshot.Result{catScore}, rec.Results)
	assert.Equal(t, `{"image":"`+filepath.Join(dir, "b", "bad.png")+`","error":"png: truncated: image file is truncated: png: invalid format: not enough pixel data"}`, lines[1])

	// Several IMAGE arguments keep their order (a list of lists even for files).
	_, js2, _ := zsRun(t, append(base, "--format", "json", filepath.Join(dir, "c.jpg"), filepath.Join(dir, "a.png"))...)
	require.NoError(t, json.Unmarshal([]byte(js2), &lists))
	require.Len(t, lists, 2)
	checkResults(t, cats.Path, "a.png (JSON, 2nd argument)", []zeroshot.Result{catScore}, (*lists[1])[:1])

	// Labels keep < > & unescaped, as Python's json.dumps writes them.
	out := zsOK(t, "classify", "--model", tinyModel, "--labels", "cat & dog,<owl>", "--format", "json", chelsea)
	assert.Contains(t, out, `"label":"cat & dog"`)
	assert.Contains(t, out, `"label":"<owl>"`)
}

// --labels-file (comments, blank lines, BOM, CRLF), --top-k, --templates, --label-cache.
func TestClassifyLabelOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "labels.txt")
	require.NoError(t, os.WriteFile(file, []byte("\xef\xbb\xbf# animals\r\ncat\r\n\r\n  dog  \n# not a label\nfox\nowl"), 0o644))
	base := []string{"classify", "--model", tinyModel, "--threads", "1", "--format", "json", chelsea}
	fromFile := zsOK(t, append(base, "--labels-file", file)...)
	assert.Equal(t, zsOK(t, append(base, "--labels", "cat, dog ,fox,owl")...), fromFile)

	var top []zeroshot.Result
	require.NoError(t, json.Unmarshal([]byte(zsOK(t, append(base, "--labels-file", file, "--top-k", "2")...)), &top))
	require.Len(t, top, 2)
	assert.Equal(t, "cat", top[0].Label)

	// Prompt ensembles: a built-in set, or a file of templates.
	for _, set := range []string{"imagenet80", "simple7"} {
		var res []zeroshot.Result
		require.NoError(t, json.Unmarshal([]byte(zsOK(t, append(base, "--labels", "cat,dog", "--templates", set)...)), &res))
		assert.InDelta(t, 1, res[0].Score+res[1].Score, 1e-6, set)
	}
	tmpl := filepath.Join(dir, "templates.txt")
	require.NoError(t, os.WriteFile(tmpl, []byte("# mine\na photo of a {}.\n\nart of the {}.\n"), 0o644))
	ens := zsOK(t, append(base, "--labels", "cat,dog", "--templates", tmpl)...)
	assert.NotEqual(t, zsOK(t, append(base, "--labels", "cat,dog", "--template", "a photo of a {}.")...), ens)

	// The disk label cache: one file per label set, the same scores from it.
	cache := filepath.Join(dir, "cache")
	first := zsOK(t, append(base, "--labels", "cat,dog,fox", "--label-cache", cache)...)
	files, _ := filepath.Glob(filepath.Join(cache, "*.labels"))
	assert.Len(t, files, 1)
	assert.Equal(t, first, zsOK(t, append(base, "--labels", "cat,dog,fox", "--label-cache", cache)...))
}

// Bad input: a clear message and exit 2 before any model is loaded for what the flags
// say, exit 2 for labels the tokenizer rejects, exit 1 for a missing model.
func TestClassifyBadInput(t *testing.T) {
	long := strings.TrimSpace(strings.Repeat("word ", 80))
	dir := t.TempDir()
	emptyFile := filepath.Join(dir, "empty.txt")
	require.NoError(t, os.WriteFile(emptyFile, []byte("# nothing\n\n"), 0o644))
	ok := []string{"--model", tinyModel, "--threads", "1"}
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no labels", []string{chelsea}, 2, "no labels"},
		{"both label flags", []string{"--labels", "a", "--labels-file", emptyFile, chelsea}, 2, "exclusive"},
		{"empty labels file", []string{"--labels-file", emptyFile, chelsea}, 2, "no lines"},
		{"missing labels file", []string{"--labels-file", filepath.Join(dir, "nope"), chelsea}, 2, "no such file"},
		{"empty label", []string{"--labels", "cat,,dog", chelsea}, 2, "label 2 is empty"},
		{"duplicate label", []string{"--labels", "cat,dog,cat", chelsea}, 2, `label 3 "cat": duplicate of label 1`},
		{"label over 77 tokens", []string{"--labels", "cat," + long, chelsea}, 2, "the model takes at most 77"},
		{"template without {}", []string{"--labels", "a,b", "--template", "a photo", chelsea}, 2, "no '{}' placeholder"},
		{"template with two {}", []string{"--labels", "a,b", "--template", "{} and {}", chelsea}, 2, "more than one '{}'"},
		{"both template flags", []string{"--labels", "a,b", "--template", "{}", "--templates", "simple7", chelsea}, 2, "exclusive"},
		{"unknown template set", []string{"--labels", "a,b", "--templates", "imagenet81", chelsea}, 2, "not a built-in set"},
		{"no images", []string{"--labels", "a,b"}, 2, "no images"},
		{"missing image", []string{"--labels", "a,b", filepath.Join(dir, "nope.png")}, 2, "no such file"},
		{"directory without images", []string{"--labels", "a,b", dir}, 2, "no image files"},
		{"bad format", []string{"--labels", "a,b", "--format", "xml", chelsea}, 2, "--format"},
		{"bad progress", []string{"--labels", "a,b", "--progress", "loud", chelsea}, 2, "--progress"},
		{"batch size 0", []string{"--labels", "a,b", "--batch-size", "0", chelsea}, 2, "--batch-size"},
		{"negative top-k", []string{"--labels", "a,b", "--top-k", "-1", chelsea}, 2, "--top-k"},
		{"force without output", []string{"--labels", "a,b", "--force", chelsea}, 2, "--force goes with --output"},
		{"bad shard", []string{"--labels", "a,b", "--shard", "3/3", chelsea}, 2, "out of range"},
		{"shards without auto", []string{"--labels", "a,b", "--shards", "2", chelsea}, 2, "--shards goes with --shard auto"},
		{"bad device", []string{"--labels", "a,b", "--device", "tpu", chelsea}, 2, "tpu"},
		{"bad dtype", []string{"--labels", "a,b", "--dtype", "int8", chelsea}, 2, "int8"},
		{"negative threads", []string{"--labels", "a,b", "--threads", "-2", chelsea}, 2, "--threads"},
		{"unknown flag", []string{"--labels", "a,b", "--colour", chelsea}, 2, "colour"},
		{"missing model", []string{"--labels", "a,b", "--model", filepath.Join(dir, "no-model"), chelsea}, 1, "no-model"},
		{"fp16 on the CPU", []string{"--labels", "a,b", "--dtype", "fp16", chelsea}, 1, "float16"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"classify"}, ok...)
			code, out, stderr := zsRun(t, append(args, tc.args...)...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.msg)
			assert.True(t, strings.HasPrefix(stderr, "zeroshot classify: ") || strings.Contains(stderr, "\nzeroshot classify: ") || tc.name == "unknown flag", stderr)
			assert.Empty(t, out)
		})
	}
}

// -h explains the command and exits 0.
func TestClassifyHelp(t *testing.T) {
	code, _, stderr := zsRun(t, "classify", "-h")
	assert.Equal(t, 0, code)
	for _, s := range []string{"--labels-file", "--shard", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
		"FILE.partial", "Exit status", "3 some images could not be read", "jsonl"} {
		assert.Contains(t, stderr, s)
	}
}

// --device cuda: the CPU results (within float noise) where CUDA is there, else a
// clear error.
func TestClassifyDevice(t *testing.T) {
	args := []string{"classify", "--model", tinyModel, "--labels", "cat,dog", "--format", "json", chelsea}
	cpu := zsOK(t, append(args, "--device", "cpu")...)
	code, out, stderr := zsRun(t, append(args, "--device", "cuda")...)
	if !torch.CUDAAvailable() {
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "CUDA")
		return
	}
	require.Equal(t, 0, code, stderr)
	var a, b []zeroshot.Result
	require.NoError(t, json.Unmarshal([]byte(cpu), &a))
	require.NoError(t, json.Unmarshal([]byte(out), &b))
	for i := range a {
		assert.Equal(t, a[i].Label, b[i].Label)
		assert.InDelta(t, a[i].Score, b[i].Score, 1e-4)
	}
}
