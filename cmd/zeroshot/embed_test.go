package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// goldenTexts are the texts of testdata/models/<model>/golden (index.json) without the
// empty one (a texts file cannot carry it): the goldens *_nonempty hold their rows,
// computed as one batch padded to the longest, as embed computes them.
var goldenTexts = []string{"a photo of a cat", "a photo of a dog", "This is a photo of a fox.", "an owl",
	"a very small brown bear sitting in the tall grass"}

func readNPY(t *testing.T, path string) ([]float32, []int) {
	t.Helper()
	data, shape, err := golden.Float32s(path)
	require.NoError(t, err)
	return data, shape
}

// Text embeddings equal transformers' get_text_features / text_embeds bit for bit (the
// goldens of the same batch, padded to the longest, as here).
func TestEmbedTextsGolden(t *testing.T) {
	dir := t.TempDir()
	lines := append([]string{"# golden texts"}, goldenTexts...)
	textsFile := filepath.Join(dir, "texts.txt")
	require.NoError(t, os.WriteFile(textsFile, []byte(strings.Join(lines, "\n")), 0o644))
	for _, model := range []string{"tiny-l14", "odd"} {
		mdir := filepath.Join(repoRoot, "testdata", "models", model)
		for _, tc := range []struct{ flag, golden string }{{"", "text_features"}, {"--normalized", "text_embeds"}} {
			out := filepath.Join(dir, model+tc.golden+".npy")
			args := []string{"embed", "--model", mdir, "--threads", "1", "--texts-file", textsFile, "--out", out}
			if tc.flag != "" {
				args = append(args, tc.flag)
			}
			stdout := zsOK(t, args...)
			assert.Equal(t, strings.Join(lines[1:], "\n")+"\n", stdout, "the rows, listed")
			got, shape := readNPY(t, out)
			path := golden.Path(t, filepath.Join(repoRoot, "testdata"), "models/"+model+"/golden"+golden.DefaultSuffix(torch.Version())+"/"+tc.golden+"_nonempty.npy")
			want, wshape := readNPY(t, path)
			require.Equal(t, wshape, shape)
			golden.Check(t, path, model+" "+tc.golden, got, want)
		}
	}
}

// JSONL output carries each text or image with its embedding; image embeddings are the
// model's on the pipeline's pixels; normalized ones have unit length.
func TestEmbedJSONLAndImages(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	zsOK(t, "embed", "--model", tinyModel, "--texts", "a photo of a cat,an owl", "--out", out, "--batch-size", "1")
	npy := filepath.Join(dir, "t.npy")
	zsOK(t, "embed", "--model", tinyModel, "--texts", "a photo of a cat", "--out", npy, "--format", "npy")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var recs []embedRecord
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r embedRecord
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		recs = append(recs, r)
	}
	require.Len(t, recs, 2)
	assert.Equal(t, "an owl", *recs[1].Text)
	cat, _ := readNPY(t, npy)
	assert.Equal(t, cat, recs[0].Embedding, "JSON keeps float32 values exactly")

	// Images: one at a time equals clip's GetImageFeatures on the processor's pixels.
	m, err := clip.Load(tinyModel, clip.Options{})
	require.NoError(t, err)
	defer m.Close()
	proc, err := zeroshot.LoadProcessor(tinyModel)
	require.NoError(t, err)
	img, err := preprocess.Load(chelsea, preprocess.PipelineOptions)
	require.NoError(t, err)
	px, _, err := proc.Process([]preprocess.RGB{img}, nil, tokenize.Options{})
	require.NoError(t, err)
	want, err := m.GetImageFeatures(px)
	require.NoError(t, err)
	imgOut := filepath.Join(dir, "i.jsonl")
	zsOK(t, "embed", "--model", tinyModel, "--images", chelsea, "--out", imgOut)
	b, err = os.ReadFile(imgOut)
	require.NoError(t, err)
	var rec embedRecord
	require.NoError(t, json.Unmarshal(b, &rec))
	assert.Equal(t, chelsea, rec.Image)
	assert.Equal(t, want.Data, rec.Embedding)

	// A directory in batches, as .npy parts and their index; --normalized rows are the
	// unit vectors of the features.
	feat, norm := filepath.Join(dir, "f.npy"), filepath.Join(dir, "n.npy")
	listed := zsOK(t, "embed", "--model", tinyModel, "--images", pipelineDir, "--out", feat, "--batch-size", "2")
	assert.Empty(t, listed, "the index lists the images")
	zsOK(t, "embed", "--model", tinyModel, "--images", pipelineDir, "--out", norm, "--normalized", "--batch-size", "2")
	f, shape := readNPY(t, filepath.Join(dir, "f-00000.npy"))
	n, _ := readNPY(t, filepath.Join(dir, "n-00000.npy"))
	require.Equal(t, []int{3, 64}, shape)
	assert.Len(t, readIndex(t, filepath.Join(dir, "f.index.jsonl")), 3)
	for r := 0; r < 3; r++ {
		var ss float64
		for _, v := range f[r*64 : (r+1)*64] {
			ss += float64(v) * float64(v)
		}
		for j := 0; j < 64; j++ {
			assert.InDelta(t, float64(f[r*64+j])/math.Sqrt(ss), n[r*64+j], 1e-5)
		}
	}
}

func TestEmbedBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "e.npy")
	long := strings.TrimSpace(strings.Repeat("word ", 80))
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no --output", []string{"--texts", "a"}, 2, "--output FILE is required"},
		{"part rows 0", []string{"--out", out, "--images", chelsea, "--part-rows", "0"}, 2, "--part-rows"},
		{"bad progress", []string{"--out", out, "--images", chelsea, "--progress", "loud"}, 2, "--progress"},
		{"shard of texts", []string{"--out", out, "--texts", "a", "--shard", "0/2"}, 2, "go with --images"},
		{"bad shard", []string{"--out", out, "--images", chelsea, "--shard", "2/2"}, 2, "out of range"},
		{"shards without auto", []string{"--out", out, "--images", chelsea, "--shards", "2"}, 2, "--shards goes with --shard auto"},
		{"no source", []string{"--out", out}, 2, "exactly one of"},
		{"two sources", []string{"--out", out, "--texts", "a", "--images", chelsea}, 2, "exactly one of"},
		{"--images without files", []string{"--out", out, "--images"}, 2, "no IMAGE"},
		{"files without --images", []string{"--out", out, chelsea}, 2, "need --images"},
		{"empty text", []string{"--out", out, "--texts", "a,,b"}, 2, "is empty"},
		{"text too long", []string{"--out", out, "--texts", "a," + long}, 2, "text 2"},
		{"bad format", []string{"--out", out, "--texts", "a", "--format", "csv"}, 2, "--format"},
		{"batch 0", []string{"--out", out, "--texts", "a", "--batch-size", "0"}, 2, "--batch-size"},
		{"missing texts file", []string{"--out", out, "--texts-file", filepath.Join(dir, "nope")}, 2, "no such file"},
		{"bad dtype", []string{"--out", out, "--texts", "a", "--dtype", "x"}, 2, "dtype"},
		{"bad device", []string{"--out", out, "--texts", "a", "--device", "tpu"}, 2, "tpu"},
		{"missing model", []string{"--out", out, "--texts", "a", "--model", filepath.Join(dir, "none")}, 1, "none"},
	}
	for _, tc := range cases {
		code, stdout, stderr := zsRun(t, append([]string{"embed", "--model", tinyModel, "--threads", "1"}, tc.args...)...)
		assert.Equal(t, tc.code, code, "%s: %s", tc.name, stderr)
		assert.Contains(t, stderr, tc.msg, tc.name)
		assert.Empty(t, stdout, tc.name)
		assert.NoFileExists(t, out, tc.name)
	}
}
