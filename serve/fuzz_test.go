package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// FuzzDecodeRequest feeds arbitrary Content-Types, query strings and bodies to the
// request decoders of both endpoints (with and without a body limit): they never
// panic, every error maps to a 4xx, and what they accept is usable (an image, 1 to
// MaxLabels valid labels, …). Seeds: testdata/fuzz/FuzzDecodeRequest.
//
//	go test ./serve -run '^$' -fuzz '^FuzzDecodeRequest$' -fuzztime 60s
func FuzzDecodeRequest(f *testing.F) {
	lim := Limits{MaxLabels: 16, MaxLabelBytes: 256, MaxImages: 4, MaxTexts: 16}
	f.Fuzz(func(t *testing.T, mode byte, contentType, query string, body []byte) {
		q, _ := url.ParseQuery(query)
		var r = bytes.NewReader(body)
		var rd interface{ Read([]byte) (int, error) } = r
		if mode&2 != 0 {
			rd = http.MaxBytesReader(httptest.NewRecorder(), nopCloser{r}, 512)
		}
		var err error
		if mode&1 == 0 {
			var req *ClassifyRequest
			req, err = DecodeClassify(contentType, rd, q, lim)
			if err == nil {
				switch {
				case len(req.Image) == 0:
					t.Fatal("accepted without an image")
				case len(req.Labels) == 0 || len(req.Labels) > lim.MaxLabels:
					t.Fatalf("accepted %d labels", len(req.Labels))
				case req.TopK < 0:
					t.Fatalf("accepted top_k %d", req.TopK)
				case !utf8.ValidString(req.Template):
					t.Fatal("accepted a template that is not UTF-8")
				}
				for _, l := range req.Labels {
					if !utf8.ValidString(l) || len(l) > lim.MaxLabelBytes {
						t.Fatalf("accepted label %q", l)
					}
				}
			}
		} else {
			var req *EmbedRequest
			req, err = DecodeEmbed(contentType, rd, lim)
			if err == nil {
				switch {
				case len(req.Images) == 0 && len(req.Texts) == 0:
					t.Fatal("accepted nothing to embed")
				case len(req.Images) > lim.MaxImages || len(req.Texts) > lim.MaxTexts:
					t.Fatalf("accepted %d images, %d texts", len(req.Images), len(req.Texts))
				}
				for _, img := range req.Images {
					if len(img) == 0 {
						t.Fatal("accepted an empty image")
					}
				}
				for _, s := range req.Texts {
					if !utf8.ValidString(s) || len(s) > lim.MaxLabelBytes {
						t.Fatalf("accepted text %q", s)
					}
				}
			}
		}
		if err != nil {
			var re *RequestError
			var mb *http.MaxBytesError
			if !errors.As(err, &re) && !errors.As(err, &mb) {
				t.Fatalf("error %v (%T) is neither a RequestError nor the body limit", err, err)
			}
			if code := status(err); code < 400 || code > 499 {
				t.Fatalf("error %v maps to %d", err, code)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
	})
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// FuzzHandler sends arbitrary requests through the whole server (decoding, labels,
// image decoding, batching, the tiny-l14 model, scoring): every answer is a 200 with
// JSON or a 4xx with {"error": …}; never a 5xx, never a panic. Seeds:
// testdata/fuzz/FuzzHandler.
//
//	go test ./serve -run '^$' -fuzz '^FuzzHandler$' -fuzztime 60s
func FuzzHandler(f *testing.F) {
	c, err := zeroshot.Open(filepath.Join("..", "testdata", "models", "tiny-l14"), zeroshot.Options{Model: clip.Options{Threads: 1}})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	s := New(c, Options{MaxBodyBytes: 1 << 20, MaxPixels: 1 << 20, MaxLabels: 16, MaxImages: 4, MaxTexts: 16})
	defer s.Close()
	h := s.Handler()
	paths := []string{"/v1/zero-shot-image-classification", "/v1/embeddings", "/v1/zero-shot-image-classification?candidate_labels=a,b", "/healthz"}
	f.Fuzz(func(t *testing.T, mode byte, contentType string, body []byte) {
		path := paths[int(mode)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code, out := rec.Code, rec.Body.Bytes()
		switch {
		case code == 200:
			if !json.Valid(out) {
				t.Fatalf("200 with invalid JSON: %q", out)
			}
		case code >= 400 && code < 500:
			// The server's error shape, or OpenAI's for a request in OpenAI's shape.
			var e struct {
				Error json.RawMessage `json:"error"`
			}
			var msg string
			var oe struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(out, &e); err == nil && json.Unmarshal(e.Error, &msg) != nil && json.Unmarshal(e.Error, &oe) == nil {
				msg = oe.Message
			}
			if msg == "" {
				t.Fatalf("%d without a JSON error: %q", code, out)
			}
		default:
			t.Fatalf("%s %s: %d %s", contentType, path, code, out)
		}
	})
}

// FuzzAuthorization feeds arbitrary Authorization headers (none, one or two) to
// ParseBearer and through a server that accepts one token: nothing panics; a token is
// accepted only from exactly one "Bearer <b64token>" header and only if it is the
// accepted token; every refusal is a 401 with WWW-Authenticate: Bearer and the JSON
// error shape, whose message is one of the fixed reasons (it never repeats the input).
// Seeds: testdata/fuzz/FuzzAuthorization.
//
//	go test ./serve -run '^$' -fuzz '^FuzzAuthorization$' -fuzztime 60s
func FuzzAuthorization(f *testing.F) {
	c, err := zeroshot.Open(filepath.Join("..", "testdata", "models", "tiny-l14"), zeroshot.Options{Model: clip.Options{Threads: 1}})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	const valid = "fuzz-token-0123456789abcdef"
	p := filepath.Join(f.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte(valid+"\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	tokens, err := LoadTokens(p)
	if err != nil {
		f.Fatal(err)
	}
	s := New(c, Options{Tokens: tokens})
	defer s.Close()
	h := s.Handler()
	reasons := map[string]bool{}
	for _, v := range [][]string{nil, {""}, {"Basic x"}, {"Bearer"}, {"Bearer\tx"}, {"Bearer " + strings.Repeat("a", MaxTokenLen+1)}, {"Bearer @"}, {"a", "b"}} {
		_, err := ParseBearer(v)
		reasons[err.Error()] = true
	}
	reasons["invalid bearer token"] = true
	reasons["tokens in the URL are not accepted (URLs end up in logs): "+sendBearer] = true
	f.Fuzz(func(t *testing.T, n byte, h1, h2 string) {
		var values []string
		switch n % 3 {
		case 1:
			values = []string{h1}
		case 2:
			values = []string{h1, h2}
		}
		tok, err := ParseBearer(values)
		if err == nil {
			scheme, _, _ := strings.Cut(strings.Trim(h1, " \t"), " ")
			switch {
			case len(values) != 1 || !strings.EqualFold(scheme, "Bearer"):
				t.Fatalf("accepted %q", values)
			case tok == "" || len(tok) > MaxTokenLen || !isB64Token(tok):
				t.Fatalf("accepted token %q from %q", tok, values)
			}
			if again, err := ParseBearer([]string{"Bearer " + tok}); err != nil || again != tok {
				t.Fatalf("%q does not parse back: %q %v", tok, again, err)
			}
		} else {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Kind < AuthMissing || ae.Kind > AuthInvalid {
				t.Fatalf("%q: error %v (%T)", values, err, err)
			}
			if !reasons[ae.Reason] {
				t.Fatalf("%q: unexpected reason %q", values, ae.Reason)
			}
		}
		// The same through the handler (an empty body: 400 once authenticated).
		req := httptest.NewRequest(http.MethodPost, "/v1/zero-shot-image-classification", nil)
		for _, v := range values {
			req.Header.Add("Authorization", v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		authorized := err == nil && tok == valid
		var e struct {
			Error string `json:"error"`
		}
		if jerr := json.Unmarshal(rec.Body.Bytes(), &e); jerr != nil || e.Error == "" {
			t.Fatalf("%q: %d without a JSON error: %q", values, rec.Code, rec.Body.Bytes())
		}
		switch {
		case authorized && rec.Code != http.StatusBadRequest:
			t.Fatalf("%q: the valid token got %d %s", values, rec.Code, rec.Body.Bytes())
		case !authorized && rec.Code != http.StatusUnauthorized:
			t.Fatalf("%q: accepted without the valid token: %d %s", values, rec.Code, rec.Body.Bytes())
		case !authorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer "):
			t.Fatalf("%q: 401 without WWW-Authenticate: Bearer", values)
		case !authorized && !reasons[e.Error]:
			t.Fatalf("%q: 401 with unexpected reason %q", values, e.Error)
		}
	})
}
