package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// clientsPyEnv names the Python of a venv with Hugging Face's and OpenAI's clients
// (requirements-clients.txt; make clients-test builds it and runs this test).
const clientsPyEnv = "ZEROSHOT_CLIENTS_PY"

type pyCase struct {
	Image    string   `json:"image"`
	Labels   []string `json:"labels"`
	Template *string  `json:"template"`
}

type pyEmbeddings struct {
	Rows  [][]float64 `json:"rows"`
	Usage []int       `json:"usage"`
	Model string      `json:"model"`
}

type pyError struct {
	Status  int     `json:"status"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Message string  `json:"message"`
	Body    any     `json:"body"`
}

type pyOutput struct {
	Versions map[string]string            `json:"versions"`
	HF       map[string][]json.RawMessage `json:"hf"`
	HFErrors map[string]*pyError          `json:"hf_errors"`
	OpenAI   map[string]struct {
		Default pyEmbeddings `json:"default"`
		Float   pyEmbeddings `json:"float"`
		Base64  pyEmbeddings `json:"base64"`
		Single  [][]float64  `json:"single"`
	} `json:"openai"`
	OpenAIModels []string            `json:"openai_models"`
	OpenAIErrors map[string]*pyError `json:"openai_errors"`
}

// Hugging Face's InferenceClient and OpenAI's client, unmodified and pinned
// (requirements-clients.txt), against a live server: every URL form people point
// InferenceClient at, OpenAI's embeddings with each encoding, their errors; the answers
// are the library's batch-1 answers, bit for bit (scores as float64, embeddings as
// float32).
func TestPythonClients(t *testing.T) {
	py := os.Getenv(clientsPyEnv)
	if py == "" {
		t.Skipf("%s is not set: `make clients-test` builds the client venv and runs this test", clientsPyEnv)
	}
	c := openClassifier(t, "tiny-l14")
	token := randomToken(t)
	tokenFile := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, tokenFile, token)
	tokens, err := LoadTokens(tokenFile)
	require.NoError(t, err)
	// MaxBatch 1: each answer is a batch-1 forward, as the library's Classify.
	s, _ := newLogged(t, Options{MaxBatch: 1, Tokens: tokens, ModelName: "tiny-l14"})
	l := startLive(t, s, nil)

	cases, want := pyClassifyCases(t, c)
	texts := []string{"a cat", "a photo of a dog", "a cat", "ünïcödé 猫", "x", strings.Repeat("word ", 30)}
	job, err := json.Marshal(map[string]any{"base": l.base, "token": token, "model": "tiny-l14",
		"dim": c.Model.Config().ProjectionDim, "cases": cases, "texts": texts})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "clients", "check.py"))
	home := t.TempDir()
	// No token of the machine's own (HF_TOKEN, ~/.cache/huggingface) may be read or sent.
	cmd.Env = append(os.Environ(), "HF_HOME="+home, "HF_TOKEN=", "HF_HUB_DISABLE_TELEMETRY=1", "HF_HUB_OFFLINE=0",
		"OPENAI_API_KEY=", "OPENAI_BASE_URL=", "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	cmd.Stdin = bytes.NewReader(job)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	stdout, err := cmd.Output()
	require.NoError(t, err, "check.py: %s", stderr.String())
	var out pyOutput
	require.NoError(t, json.Unmarshal(stdout, &out), "check.py: %s", stdout)
	t.Logf("clients: %v; %d HF forms × %d cases in %v", out.Versions, len(out.HF), len(cases), time.Since(t0).Round(time.Millisecond))

	forms := make([]string, 0, len(out.HF))
	for f := range out.HF {
		forms = append(forms, f)
	}
	sort.Strings(forms)
	require.Len(t, forms, 7)
	for _, form := range forms {
		answers := out.HF[form]
		require.Len(t, answers, len(cases), form)
		equal, total, maxD := 0, 0, 0.0
		for i, raw := range answers {
			var got []zeroshot.Result
			if !assert.NoError(t, json.Unmarshal(raw, &got), "%s case %d: %s", form, i, raw) {
				continue
			}
			if !assert.Len(t, got, len(want[i]), "%s case %d", form, i) {
				continue
			}
			for j := range want[i] {
				total++
				d := math.Abs(got[j].Score - want[i][j].Score)
				maxD = max(maxD, d)
				if got[j].Label == want[i][j].Label && d == 0 {
					equal++
				}
			}
		}
		assert.Equal(t, total, equal, form)
		t.Logf("huggingface_hub %s InferenceClient(%s).zero_shot_image_classification: %d of %d scores equal to the library's (labels and float64 scores), max |Δ| %g",
			out.Versions["huggingface_hub"], form, equal, total, maxD)
	}
	if e := out.HFErrors["wrong token"]; assert.NotNil(t, e, "a wrong token must raise") {
		assert.Equal(t, 401, e.Status)
		assert.Contains(t, e.Message, "invalid bearer token")
	}

	pyCheckOpenAI(t, c, &out, texts)
}

// pyClassifyCases are every image of the fixtures the library decodes, each with two
// label sets (the default template, and one given), and the library's answers.
func pyClassifyCases(t *testing.T, c *zeroshot.Classifier) ([]pyCase, [][]zeroshot.Result) {
	var paths []string
	for _, dir := range []string{filepath.Join("..", "testdata", "pipeline"), filepath.Join("..", "testdata", "images", "files")} {
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range ents {
			if zeroshot.IsImageFile(e.Name()) && !strings.HasPrefix(e.Name(), "bad_") {
				paths = append(paths, filepath.Join(dir, e.Name()))
			}
		}
	}
	given := "a photo of {}"
	sets := []pyCase{{Labels: []string{"cat", "dog", "fox", "owl"}}, {Labels: []string{"a tabby cat", "a car, parked"}, Template: &given}}
	var cases []pyCase
	var want [][]zeroshot.Result
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		img, err := preprocess.Decode(data, c.Profile().PipelineOptions())
		if err != nil {
			continue // not an image the pipeline reads (e.g. a multi-page TIFF): not a client question
		}
		abs, err := filepath.Abs(p)
		require.NoError(t, err)
		for _, set := range sets {
			tmpl := ""
			if set.Template != nil {
				tmpl = *set.Template
			}
			res, err := c.Classify(context.Background(), img, zeroshot.Request{Labels: set.Labels, Template: tmpl})
			require.NoError(t, err)
			cases = append(cases, pyCase{Image: abs, Labels: set.Labels, Template: set.Template})
			want = append(want, res)
		}
	}
	require.GreaterOrEqual(t, len(cases), 40)
	return cases, want
}

// pyCheckOpenAI: OpenAI's client's embeddings (its default base64, float, base64
// decoded by hand, one string at a time) are the library's float32 values exactly;
// usage counts CLIP tokens; the refusals are OpenAI's exceptions.
func pyCheckOpenAI(t *testing.T, c *zeroshot.Classifier, out *pyOutput, texts []string) {
	l, err := c.LabelEmbeddings(zeroshot.Request{Labels: texts, Template: "{}", AllowDuplicates: true})
	require.NoError(t, err)
	tokens := 0
	for _, ids := range c.Tokenizer.EncodeAll(texts) {
		tokens += len(ids)
	}
	compare := func(what string, got [][]float64, want func(i int) []float32) {
		require.Len(t, got, len(texts), what)
		equal, total, maxD := 0, 0, 0.0
		for i := range got {
			w := want(i)
			require.Len(t, got[i], len(w), what)
			for j, v := range got[i] {
				total++
				maxD = max(maxD, math.Abs(v-float64(w[j])))
				if math.Float32bits(float32(v)) == math.Float32bits(w[j]) {
					equal++
				}
			}
		}
		assert.Equal(t, total, equal, what)
		t.Logf("openai %s %s: %d of %d floats equal to the library's float32 (max |Δ| as float64 %.3g)", out.Versions["openai"], what, equal, total, maxD)
	}
	batch := func(i int) []float32 { return l.Embeds.Row(i) }
	single := func(i int) []float32 {
		one, err := c.LabelEmbeddings(zeroshot.Request{Labels: texts[i : i+1], Template: "{}"})
		require.NoError(t, err)
		return one.Embeds.Row(0)
	}
	require.Len(t, out.OpenAI, 2)
	for form, got := range out.OpenAI {
		for name, e := range map[string]pyEmbeddings{"default (base64 asked by the client)": got.Default, "encoding_format=float, dimensions=64": got.Float, "encoding_format=base64": got.Base64} {
			compare(form+" "+name+", a list", e.Rows, batch)
			assert.Equal(t, []int{tokens, tokens}, e.Usage, name)
			assert.Equal(t, "tiny-l14", e.Model, name)
		}
		compare(form+" encoding_format=float, one string a call", got.Single, single)
	}
	assert.Equal(t, []string{"tiny-l14"}, out.OpenAIModels)
	for name, want := range map[string]pyError{
		"dimensions": {Status: 400, Type: "BadRequestError", Param: strPtr("dimensions"), Message: "this model's embeddings have 64 dimensions"},
		"token ids":  {Status: 400, Type: "BadRequestError", Param: strPtr("input"), Message: "check_embedding_ctx_length=False"},
		// Refused before the body is read, so in the server's own shape: the client's
		// text is only "Error code: 401", its .body holds the server's message.
		"wrong token": {Status: 401, Type: "AuthenticationError", Message: "Error code: 401", Body: "invalid bearer token"},
	} {
		got := out.OpenAIErrors[name]
		if !assert.NotNil(t, got, "%s must raise", name) {
			continue
		}
		assert.Equal(t, want.Status, got.Status, name)
		assert.Equal(t, want.Type, got.Type, name)
		assert.Equal(t, want.Param, got.Param, name)
		assert.Contains(t, got.Message, want.Message, name)
		if want.Body != nil {
			assert.Equal(t, want.Body, got.Body, name)
		}
		t.Logf("openai %s: %s %d: %s", name, got.Type, got.Status, got.Message)
	}
}

func strPtr(s string) *string { return &s }
