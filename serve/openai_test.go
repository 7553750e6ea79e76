package serve

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

type openAIAnswer struct {
	Object string `json:"object"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Model string `json:"model"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

// rows decodes the embeddings, float arrays or base64 strings alike.
func (a *openAIAnswer) rows(t *testing.T) [][]float32 {
	t.Helper()
	out := make([][]float32, len(a.Data))
	for i, d := range a.Data {
		require.Equal(t, "embedding", d.Object)
		require.Equal(t, i, d.Index)
		var s string
		if json.Unmarshal(d.Embedding, &s) == nil {
			b, err := base64.StdEncoding.DecodeString(s)
			require.NoError(t, err)
			require.Zero(t, len(b)%4)
			for j := 0; j < len(b); j += 4 {
				out[i] = append(out[i], math.Float32frombits(binary.LittleEndian.Uint32(b[j:])))
			}
			continue
		}
		require.NoError(t, json.Unmarshal(d.Embedding, &out[i]))
	}
	return out
}

type openAIErr struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// OpenAI's request shape on /v1/embeddings: the texts' embeddings are the server's own
// (and the library's) bit for bit, as float arrays and as base64; usage counts CLIP
// tokens.
func TestOpenAIEmbeddings(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{ModelName: "clip-test"})
	texts := []string{"a cat", "a photo of a dog", "a cat", "ünïcödé 猫"}
	l, err := c.LabelEmbeddings(zeroshot.Request{Labels: texts, Template: "{}", AllowDuplicates: true})
	require.NoError(t, err)
	tokens := 0
	for _, ids := range c.Tokenizer.EncodeAll(texts) {
		tokens += len(ids)
	}
	for _, path := range []string{"/v1/embeddings", "/embeddings"} {
		for _, format := range []string{"", "float", "base64"} {
			req := map[string]any{"input": texts, "model": "text-embedding-3-small"}
			if format != "" {
				req["encoding_format"] = format
			}
			if format == "float" {
				req["dimensions"] = 64
			}
			body, _ := json.Marshal(req)
			code, hdr, b := post(t, hs.URL+path, "application/json", body)
			require.Equal(t, 200, code, string(b))
			assert.Equal(t, "application/json", hdr.Get("Content-Type"))
			var a openAIAnswer
			require.NoError(t, json.Unmarshal(b, &a))
			assert.Equal(t, "list", a.Object)
			assert.Equal(t, "clip-test", a.Model, "the answer names the model that answered")
			assert.Equal(t, tokens, a.Usage.PromptTokens)
			assert.Equal(t, tokens, a.Usage.TotalTokens)
			if format == "base64" {
				assert.True(t, strings.HasPrefix(string(a.Data[0].Embedding), `"`), "base64 is a string")
			}
			rows := a.rows(t)
			require.Len(t, rows, len(texts))
			for i := range texts {
				assert.Equal(t, l.Embeds.Row(i), rows[i], "%s %q: text %d", path, format, i)
			}
		}
	}

	// One string: the one-text batch, as the library embeds it alone.
	one, err := c.LabelEmbeddings(zeroshot.Request{Labels: []string{"a cat"}, Template: "{}"})
	require.NoError(t, err)
	code, _, b := post(t, hs.URL+"/v1/embeddings", "application/json", []byte(`{"input": "a cat", "model": "m", "encoding_format": "float"}`))
	require.Equal(t, 200, code, string(b))
	var a openAIAnswer
	require.NoError(t, json.Unmarshal(b, &a))
	assert.Equal(t, [][]float32{one.Embeds.Row(0)}, a.rows(t))
	assert.Equal(t, len(c.Tokenizer.Encode("a cat")), a.Usage.PromptTokens)
}

// Requests in OpenAI's shape that cannot be served get OpenAI's error shape, naming
// the parameter.
func TestOpenAIEmbeddingErrors(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{MaxTexts: 4})
	long := strings.Repeat("cat ", 80)
	for _, tc := range []struct {
		body, param, msg string
		code             int
	}{
		{`{"input": ["a cat"], "model": "m", "dimensions": 32}`, "dimensions", `"dimensions" 32: this model's embeddings have 64 dimensions`, 400},
		{`{"input": ["a cat"], "model": "m", "dimensions": 0}`, "dimensions", "must be at least 1", 400},
		{`{"input": ["a cat"], "model": "m", "encoding_format": "binary"}`, "encoding_format", `"encoding_format" "binary": "float" or "base64"`, 400},
		{`{"input": [[49406, 2368, 49407]], "model": "m"}`, "input", "check_embedding_ctx_length=False", 400},
		{`{"input": [49406, 2368, 49407], "model": "m"}`, "input", "token ids", 400},
		{`{"input": [], "model": "m"}`, "input", "empty array", 400},
		{`{"input": null, "model": "m"}`, "input", "is null", 400},
		{`{"input": ["a", null], "model": "m"}`, "input", `"input"[1] must be a string`, 400},
		{`{"input": {"text": "a"}, "model": "m"}`, "input", "a string or an array of strings", 400},
		{`{"input": ["a cat"], "texts": ["a dog"]}`, "input", "cannot be combined", 400},
		{`{"input": ["a", "b", "c", "d", "e"], "model": "m"}`, "input", "5 texts: at most 4 per request", 400},
		{`{"input": "", "model": "m"}`, "", "text 1", 400},
		{`{"input": ["a cat", "` + long + `"], "model": "m"}`, "", "text 2", 400},
	} {
		code, _, b := post(t, hs.URL+"/v1/embeddings", "application/json", []byte(tc.body))
		assert.Equal(t, tc.code, code, "%s: %s", tc.body, b)
		var e openAIErr
		if !assert.NoError(t, json.Unmarshal(b, &e), string(b)) {
			continue
		}
		assert.Contains(t, e.Error.Message, tc.msg, tc.body)
		assert.Equal(t, "invalid_request_error", e.Error.Type, tc.body)
		if tc.param != "" && assert.NotNil(t, e.Error.Param, tc.body) {
			assert.Equal(t, tc.param, *e.Error.Param, tc.body)
		}
	}
	// The server's own shape keeps its own errors.
	code, _, b := post(t, hs.URL+"/v1/embeddings", "application/json", []byte(`{"texts": []}`))
	assert.Equal(t, 400, code)
	assert.JSONEq(t, `{"error": "nothing to embed: send \"images\" (base64) and/or \"texts\""}`, string(b))
}

func TestOpenAIModels(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{ModelName: "clip-test"})
	code, _, b := get(t, hs.URL+"/v1/models")
	require.Equal(t, 200, code, string(b))
	var m struct {
		Object string `json:"object"`
		Data   []struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "list", m.Object)
	require.Len(t, m.Data, 1)
	assert.Equal(t, "clip-test", m.Data[0].ID)
	assert.Equal(t, "model", m.Data[0].Object)
}
