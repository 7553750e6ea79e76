package serve

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/source"
)

// Without Options.Fetch a URL is refused and nothing is fetched; with it, URLs on the
// allowed hosts are fetched (redirects checked against the list too) and answer as the
// same image sent inline, bit for bit; what cannot be fetched gets the gateway's status.
func TestFetchAllow(t *testing.T) {
	var hits int
	imgs := http.StripPrefix("/img/", http.FileServer(http.Dir(filepath.Join("..", "testdata", "images", "files"))))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.URL.Path {
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "/page":
			w.Write([]byte("<html>no image</html>"))
		default:
			imgs.ServeHTTP(w, r)
		}
	})
	web := httptest.NewServer(mux)
	defer web.Close()
	elsewhere := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	defer elsewhere.Close()
	wu, _ := url.Parse(web.URL)
	eu, _ := url.Parse(elsewhere.URL)

	c := openClassifier(t, "tiny-l14")
	labels := []string{"cat", "dog"}
	img := readFile(t, "testdata", "images", "files", "photo_chelsea.jpg")
	body := func(inputs string) []byte {
		b, _ := json.Marshal(map[string]any{"inputs": inputs, "parameters": map[string]any{"candidate_labels": labels}})
		return b
	}

	// The default: refused, not fetched.
	_, plain := newTestServer(t, c, Options{MaxBatch: 1})
	code, _, b := post(t, plain.URL+"/v1/zero-shot-image-classification", "application/json", body(web.URL+"/img/photo_chelsea.jpg"))
	assert.Equal(t, 400, code)
	assert.Contains(t, string(b), "this server does not fetch URLs (serve --fetch-allow)")
	assert.Zero(t, hits)

	allow, err := source.AllowHosts([]string{wu.Host, eu.Host})
	require.NoError(t, err)
	_, srv := newTestServer(t, c, Options{MaxBatch: 1, Fetch: &source.Fetcher{Allow: allow, Timeout: 500 * time.Millisecond, MaxBytes: 100 << 10}})
	endpoint := srv.URL + "/v1/zero-shot-image-classification"
	code, _, inline := post(t, endpoint, "application/json", classifyBody(img, labels, ""))
	require.Equal(t, 200, code, "%s", inline)
	code, _, byURL := post(t, endpoint, "application/json", body(web.URL+"/img/photo_chelsea.jpg"))
	require.Equal(t, 200, code, "%s", byURL)
	assert.Equal(t, string(inline), string(byURL), "the same image by URL: the same answer, bit for bit")

	for _, tc := range []struct {
		url    string
		status int
		msg    string
	}{
		{"http://127.0.0.2:1/x.jpg", 400, "host 127.0.0.2:1 is not allowed"},
		{elsewhere.URL + "/x", 400, "redirected to http://169.254.169.254/latest/meta-data/, whose host is not allowed"},
		{web.URL + "/img/missing.jpg", 502, "HTTP 404 Not Found"},
		{web.URL + "/slow", 504, "no complete answer within 500ms"},
		{web.URL + "/img/big_4032x3024.jpg", 413, "over the limit of 102400"},
		{web.URL + "/page", 422, "not an image"},
	} {
		code, _, b := post(t, endpoint, "application/json", body(tc.url))
		assert.Equal(t, tc.status, code, "%s: %s", tc.url, b)
		assert.Contains(t, string(b), tc.msg, tc.url)
	}

	// Embeddings: URLs and inline images in one list keep their order.
	eb, _ := json.Marshal(map[string]any{"images": []string{web.URL + "/img/png_rgb.png", base64.StdEncoding.EncodeToString(img)}})
	code, _, out := post(t, srv.URL+"/v1/embeddings", "application/json", eb)
	require.Equal(t, 200, code, "%s", out)
	ib, _ := json.Marshal(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(readFile(t, "testdata", "images", "files", "png_rgb.png")), base64.StdEncoding.EncodeToString(img)}})
	code, _, want := post(t, srv.URL+"/v1/embeddings", "application/json", ib)
	require.Equal(t, 200, code)
	assert.Equal(t, string(want), string(out))

	_, _, metrics := get(t, srv.URL+"/metrics")
	assert.Contains(t, string(metrics), `zeroshot_fetches_total{result="ok"} 2`)
	assert.Contains(t, string(metrics), `zeroshot_fetches_total{result="not_allowed"} 2`)
	assert.True(t, strings.Contains(string(metrics), "zeroshot_fetched_bytes_total "))

	// A Fetcher without Allow fetches from no host.
	_, open := newTestServer(t, c, Options{Fetch: &source.Fetcher{}})
	code, _, b = post(t, open.URL+"/v1/zero-shot-image-classification", "application/json", body(web.URL+"/img/photo_chelsea.jpg"))
	assert.Equal(t, 400, code)
	assert.Contains(t, string(b), "is not allowed")
}
