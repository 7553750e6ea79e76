package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/serve/servetest"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// matrix collects the outcome of each cell, printed as a table at the end (go test -v).
type matrix struct {
	rows [][3]string
}

func (m *matrix) add(input, library, server string) {
	m.rows = append(m.rows, [3]string{input, library, server})
}

func (m *matrix) log(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| input | library | server |\n|---|---|---|\n")
	for _, r := range m.rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r[0], r[1], r[2])
	}
	t.Log(b.String())
}

func short(err error) string {
	s := err.Error()
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return strings.ReplaceAll(s, "|", "/")
}

// errorReply checks an error answer: the status, a JSON {"error": "..."} body.
func errorReply(t *testing.T, code int, body []byte, want int, name string) string {
	t.Helper()
	assert.Equal(t, want, code, "%s: %s", name, body)
	if code == 200 {
		return "200"
	}
	var e struct {
		Error string `json:"error"`
	}
	if assert.NoError(t, json.Unmarshal(body, &e), "%s: %s", name, body) {
		assert.NotEmpty(t, e.Error, name)
	}
	return fmt.Sprintf("%d %q", code, strings.ReplaceAll(trunc(e.Error, 70), "|", "/"))
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// The bad-input matrix over the library and the server: every cell gives a clear
// error (a typed error; a 4xx with a JSON reason), nothing crashes, and the server
// stays healthy with no 5xx. The command's column is cmd/zeroshot/badinput_test.go.
func TestBadInputMatrix(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	s, hs := newTestServer(t, c, Options{MaxLabels: 256})
	url := hs.URL + "/v1/zero-shot-image-classification"
	var m matrix
	good := readFile(t, "testdata", "pipeline", "chelsea.png")
	goodImg, err := preprocess.Decode(good, c.Profile().PipelineOptions())
	require.NoError(t, err)

	images, err := servetest.Images("..")
	require.NoError(t, err)
	for _, im := range images {
		// Library: Decode gives the typed error; a decodable one classifies.
		var lib string
		img, err := preprocess.Decode(im.Data, c.Profile().PipelineOptions())
		if im.Kind == 0 {
			require.NoError(t, err, im.Name)
			res, err := c.Classify(context.Background(), img, zeroshot.Request{Labels: []string{"cat", "dog"}})
			require.NoError(t, err, im.Name)
			lib = fmt.Sprintf("decodes (as Pillow), classifies: %s %.3f", res[0].Label, res[0].Score)
		} else {
			var ie *preprocess.ImageError
			require.True(t, errors.As(err, &ie), "%s: %v", im.Name, err)
			assert.Equal(t, im.Kind, ie.Kind, im.Name)
			lib = fmt.Sprintf("*ImageError %s", ie.Kind)
		}
		code, _, body := post(t, url, "application/json", classifyBody(im.Data, []string{"cat", "dog"}, ""))
		want := im.Status
		srv := errorReply(t, code, body, want, im.Name)
		// The same image as a multipart upload.
		ct, mp := multipartBody(t, map[string][]string{"candidate_labels": {"cat,dog"}}, map[string][]byte{"image": im.Data})
		code, _, body = post(t, url, ct, mp)
		errorReply(t, code, body, want, im.Name+" (multipart)")
		m.add(im.Name, lib, srv)
	}

	for _, lc := range servetest.LabelCases() {
		var lib string
		_, err := c.Classify(context.Background(), goodImg, zeroshot.Request{Labels: lc.Labels, Template: lc.Template})
		var le *zeroshot.LabelError
		var te *zeroshot.TemplateError
		switch {
		case lc.ServerOnly:
			lib = "n/a (a server limit)"
			if err != nil {
				lib = "error: " + short(err)
			}
		case errors.As(err, &le):
			lib = "*LabelError: " + short(err)
		case errors.As(err, &te):
			lib = "*TemplateError: " + short(err)
		default:
			t.Errorf("%s: library error %v (%T), want a LabelError or TemplateError", lc.Name, err, err)
			lib = fmt.Sprint(err)
		}
		var code int
		var body []byte
		if validUTF8(lc.Labels) {
			code, _, body = post(t, url, "application/json", classifyBody(good, lc.Labels, lc.Template))
		} else {
			// JSON cannot carry invalid UTF-8 (codecs write U+FFFD): send form fields.
			ct, mp := multipartBody(t, map[string][]string{"candidate_labels": lc.Labels}, map[string][]byte{"image": good})
			code, _, body = post(t, url, ct, mp)
		}
		m.add(lc.Name, lib, errorReply(t, code, body, lc.Status, lc.Name))
	}

	// Request-level rows: the server's decoding.
	b64 := base64.StdEncoding.EncodeToString(good)
	big := bytes.Repeat([]byte("A"), 21<<20)
	for _, rc := range []struct {
		name, ct string
		body     []byte
		status   int
	}{
		{"empty body", "application/json", nil, 400},
		{"invalid JSON", "application/json", []byte(`{"inputs": "abc", "parameters": {`), 400},
		{"JSON array instead of object", "application/json", []byte(`[1, 2]`), 400},
		{"inputs not a string", "application/json", []byte(`{"inputs": 42, "parameters": {"candidate_labels": ["a"]}}`), 400},
		{"inputs not base64", "application/json", []byte(`{"inputs": "!!!not base64!!!", "parameters": {"candidate_labels": ["a"]}}`), 400},
		{"inputs base64 of impossible length", "application/json", []byte(`{"inputs": "` + b64[:len(b64)/8*4+1] + `", "parameters": {"candidate_labels": ["a"]}}`), 400},
		{"inputs truncated base64 (a truncated PNG)", "application/json", []byte(`{"inputs": "` + b64[:len(b64)/8*4] + `", "parameters": {"candidate_labels": ["a"]}}`), 422},
		{"inputs a URL (not fetched)", "application/json", []byte(`{"inputs": "http://127.0.0.1/cat.png", "parameters": {"candidate_labels": ["a"]}}`), 400},
		{"missing parameters", "application/json", []byte(`{"inputs": "` + b64 + `"}`), 400},
		{"candidate_labels not strings", "application/json", []byte(`{"inputs": "` + b64 + `", "parameters": {"candidate_labels": [1, 2]}}`), 400},
		{"negative top_k", "application/json", []byte(`{"inputs": "` + b64 + `", "parameters": {"candidate_labels": ["a"], "top_k": -1}}`), 400},
		{"unknown Content-Type", "text/csv", []byte("a,b"), 415},
		{"multipart without boundary", "multipart/form-data", []byte("x"), 400},
		{"body over 20 MiB", "application/json", big, 413},
	} {
		code, _, body := post(t, url, rc.ct, rc.body)
		m.add(rc.name, "n/a (HTTP)", errorReply(t, code, body, rc.status, rc.name))
	}
	ct, mp := multipartBody(t, map[string][]string{"candidate_labels": {"a,b"}}, nil)
	code, _, body := post(t, url, ct, mp)
	m.add("multipart without an image", "n/a (HTTP)", errorReply(t, code, body, 400, "multipart without an image"))
	ct, mp = multipartBody(t, map[string][]string{"candidate_labels": {"a,b"}, "inputs": {b64}}, map[string][]byte{"image": good})
	code, _, body = post(t, url, ct, mp)
	m.add("multipart with two images", "n/a (HTTP)", errorReply(t, code, body, 400, "multipart with two images"))
	code, _, body = post(t, hs.URL+"/v1/embeddings", "application/json", []byte(`{"texts": ["ok", ""]}`))
	m.add("embeddings: empty text", "n/a (HTTP)", errorReply(t, code, body, 400, "empty text"))
	code, _, body = post(t, hs.URL+"/v1/embeddings", "application/json", []byte(`{"images": ["`+base64.StdEncoding.EncodeToString(images[0].Data)+`"]}`))
	m.add("embeddings: corrupt image", "n/a (HTTP)", errorReply(t, code, body, 422, "embeddings corrupt image"))
	code, _, body = post(t, hs.URL+"/v1/embeddings", "application/json", []byte(`{}`))
	m.add("embeddings: nothing to embed", "n/a (HTTP)", errorReply(t, code, body, 400, "embeddings empty"))
	code, _, body = post(t, hs.URL+"/v1/embeddings", "application/json", []byte(`{"texts": ["`+strings.Repeat("word ", 80)+`"]}`))
	m.add("embeddings: text over 77 tokens", "n/a (HTTP)", errorReply(t, code, body, 400, "embeddings long text"))

	// Models: the library refuses each broken directory with an error (the command's
	// column, `serve --model` exiting non-zero, is in cmd/zeroshot).
	src := filepath.Join("..", "testdata", "models", "tiny-l14")
	for i, mc := range servetest.ModelCases() {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("m%d", i))
		path, skip, err := mc.Make(src, dir)
		require.NoError(t, err, mc.Name)
		if skip != "" {
			m.add(mc.Name, "skipped: "+skip, "n/a")
			continue
		}
		cl, err := zeroshot.Open(path, zeroshot.Options{Model: clip.Options{Threads: 1}})
		servetest.Restore(dir)
		if !assert.Error(t, err, mc.Name) {
			cl.Close()
			continue
		}
		m.add(mc.Name, fmt.Sprintf("%T: %s", unwrapAll(err), short(err)), "n/a: the server needs a model (serve exits 1)")
	}

	// The server is still healthy, answers, and gave no 5xx.
	code, _, _ = get(t, hs.URL+"/healthz")
	assert.Equal(t, 200, code)
	code, _, body = post(t, url, "application/json", classifyBody(good, []string{"cat", "dog"}, ""))
	assert.Equal(t, 200, code, string(body))
	s.metrics.mu.Lock()
	for k, n := range s.metrics.requests {
		assert.Less(t, k.code, 500, "%d answers %d", n, k.code)
	}
	s.metrics.mu.Unlock()
	m.log(t)
}

// unwrapAll returns the outermost typed error worth naming (skipping fmt wrappers).
func unwrapAll(err error) error {
	for {
		if _, ok := err.(interface{ Unwrap() error }); !ok {
			return err
		}
		switch err.(type) {
		case *clip.FileError, *clip.FormatError, *clip.ConfigError, *clip.WeightsError:
			return err
		}
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		if strings.HasPrefix(fmt.Sprintf("%T", err), "*fmt.") {
			err = next
			continue
		}
		return err
	}
}

func validUTF8(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
