package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The largest image each request shape carries under the default body limit (20 MiB):
// base64 in JSON (as Hugging Face's clients send it) takes 4 bytes per 3, so about
// 15 MiB; a multipart upload (the Go client) or a raw body takes the image as it is.
// Exactly at the limit the image is classified; one more base64 quantum, or byte, is a
// 413. (The image is a PNG padded with zeros after its end: decoders stop at IEND.)
func TestLargestImage(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	s, hs := newTestServer(t, c, Options{})
	limit := int(s.opts.MaxBodyBytes)
	require.Equal(t, 20<<20, limit)
	png := readFile(t, "testdata", "pipeline", "gradient.png")
	padded := func(n int) []byte { return append(png[:len(png):len(png)], make([]byte, n-len(png))...) }
	url := hs.URL + "/v1/zero-shot-image-classification"

	// JSON as huggingface_hub sends it (json.dumps: ", " and ": " separators).
	jsonBody := func(img []byte) []byte {
		return []byte(`{"inputs": "` + base64.StdEncoding.EncodeToString(img) + `", "parameters": {"candidate_labels": ["cat", "dog"]}}`)
	}
	overhead := len(jsonBody(nil))
	maxJSON := 3 * ((limit - overhead) / 4)
	code, _, b := post(t, url, "application/json", jsonBody(padded(maxJSON)))
	assert.Equal(t, 200, code, string(b))
	code, _, b = post(t, url, "application/json", jsonBody(padded(maxJSON+1)))
	assert.Equal(t, 413, code, string(b))

	// Multipart, as the Go client sends it.
	multi := func(img []byte) (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("image", "image1")
		fw.Write(img)
		p, _ := json.Marshal(map[string]any{"candidate_labels": []string{"cat", "dog"}})
		mw.WriteField("parameters", string(p))
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	_, empty := multi(nil)
	maxMulti := limit - len(empty)
	ct, body := multi(padded(maxMulti))
	require.Len(t, body, limit)
	code, _, b = post(t, url, ct, body)
	assert.Equal(t, 200, code, string(b))
	ct, body = multi(padded(maxMulti + 1))
	code, _, b = post(t, url, ct, body)
	assert.Equal(t, 413, code, string(b))

	// The image itself as the body.
	code, _, b = post(t, url+"?candidate_labels=cat,dog", "image/png", padded(limit))
	assert.Equal(t, 200, code, string(b))
	code, _, b = post(t, url+"?candidate_labels=cat,dog", "image/png", padded(limit+1))
	assert.Equal(t, 413, code, string(b))

	t.Logf("largest image under --max-body %d: %d bytes as base64 JSON (%.4f MiB; %d bytes of JSON around it), %d as multipart (the Go client), %d as a raw body",
		limit, maxJSON, float64(maxJSON)/(1<<20), overhead, maxMulti, limit)
}
