package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The classification payload is taken wherever Hugging Face's clients post it: the
// endpoint's root, /v1, the hosted API's /models/<id>; a trailing slash never matters.
// Every path gives the canonical path's answer, bit for bit.
func TestClassifyPaths(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{MaxBatch: 1})
	body := classifyBody(readFile(t, "testdata", "pipeline", "chelsea.png"), []string{"cat", "dog", "fox"}, "")
	code, _, b := post(t, hs.URL+"/v1/zero-shot-image-classification", "application/json", body)
	require.Equal(t, 200, code, string(b))
	want := decodeResults(t, b)
	for _, path := range []string{
		"/", "/v1", "/v1/", "/v1/zero-shot-image-classification/",
		"/models/openai/clip-vit-large-patch14", "/models/openai/clip-vit-large-patch14/", "/models/any-id",
		"/models/openai/clip-vit-large-patch14/pipeline/zero-shot-image-classification",
		"/hf-inference/models/openai/clip-vit-large-patch14",
	} {
		code, _, b := post(t, hs.URL+path, "application/json", body)
		if assert.Equal(t, 200, code, "%s: %s", path, b) {
			assert.Equal(t, want, decodeResults(t, b), path)
		}
	}
	for _, path := range []string{"/models//x", "/models/x/pipeline/feature-extraction", "/v2", "/v1/nope", "/hf-inference"} {
		code, _, b := post(t, hs.URL+path, "application/json", body)
		assert.Equal(t, 404, code, "%s: %s", path, b)
		assert.Contains(t, string(b), "no such endpoint", path)
	}
	for _, path := range []string{"/", "/models/x"} {
		code, hdr, b := get(t, hs.URL+path)
		assert.Equal(t, 405, code, "%s: %s", path, b)
		assert.Equal(t, "POST", hdr.Get("Allow"), path)
	}
	// /models alone is OpenAI's model list (GET /v1/models without the /v1).
	code, hdr, b := post(t, hs.URL+"/models/", "application/json", body)
	assert.Equal(t, 405, code, string(b))
	assert.Equal(t, "GET", hdr.Get("Allow"))
	for _, path := range []string{"/healthz/", "/readyz/", "/metrics/", "/v1/models/"} {
		code, _, b := get(t, hs.URL+path)
		assert.Equal(t, 200, code, "%s: %s", path, b)
	}
	code, _, b = post(t, hs.URL+"/v1/embeddings/", "application/json", []byte(`{"texts": ["a cat"]}`))
	assert.Equal(t, 200, code, string(b))
}
