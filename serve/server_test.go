package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func openClassifier(t testing.TB, name string) *zeroshot.Classifier {
	t.Helper()
	c, err := zeroshot.Open(filepath.Join("..", "testdata", "models", name), zeroshot.Options{Model: clip.Options{Threads: 1}})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func newTestServer(t testing.TB, c *zeroshot.Classifier, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(c, opts)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return s, hs
}

func readFile(t testing.TB, path ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{".."}, path...)...))
	require.NoError(t, err)
	return b
}

func classifyBody(img []byte, labels []string, template string) []byte {
	params := map[string]any{"candidate_labels": labels}
	if template != "" {
		params["hypothesis_template"] = template
	}
	b, _ := json.Marshal(map[string]any{"inputs": base64.StdEncoding.EncodeToString(img), "parameters": params})
	return b
}

func post(t testing.TB, url, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

func decodeResults(t testing.TB, b []byte) []zeroshot.Result {
	t.Helper()
	var res []zeroshot.Result
	require.NoError(t, json.Unmarshal(b, &res), string(b))
	return res
}

type pipelineGolden struct {
	Cases []struct {
		Image         string            `json:"image"`
		Labels        []string          `json:"labels"`
		Template      string            `json:"template"`
		TemplateGiven bool              `json:"template_given"`
		Pipeline      []zeroshot.Result `json:"pipeline"`
	} `json:"cases"`
}

// The HTTP answer is the pipeline's (golden) and bit-identical to Classifier.Classify.
func TestClassifyMatchesPipeline(t *testing.T) {
	for _, model := range []string{"tiny-l14", "odd"} {
		t.Run(model, func(t *testing.T) {
			c := openClassifier(t, model)
			_, hs := newTestServer(t, c, Options{})
			var g pipelineGolden
			path := golden.Path(t, filepath.Join("..", "testdata"), "pipeline/"+golden.DefaultPipelineFile(model, torch.Version()))
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &g))
			n := 0
			for _, tc := range g.Cases {
				if hasDuplicates(tc.Labels) {
					continue // the server refuses duplicate labels (400); the pipeline takes them
				}
				tmpl := ""
				if tc.TemplateGiven {
					tmpl = tc.Template
				}
				img := readFile(t, "testdata", "pipeline", tc.Image)
				code, hdr, b := post(t, hs.URL+"/v1/zero-shot-image-classification", "application/json", classifyBody(img, tc.Labels, tmpl))
				require.Equal(t, 200, code, string(b))
				assert.Equal(t, "application/json", hdr.Get("Content-Type"))
				got := decodeResults(t, b)
				require.Len(t, got, len(tc.Pipeline))
				var want, have []float64
				for i, w := range tc.Pipeline {
					assert.Equal(t, w.Label, got[i].Label)
					want, have = append(want, w.Score), append(have, got[i].Score)
				}
				golden.Check(t, path, tc.Image+" "+strings.Join(tc.Labels, ","), golden.F32(have), golden.F32(want))
				dec, err := preprocess.Decode(img, c.Profile().PipelineOptions())
				require.NoError(t, err)
				lib, err := c.Classify(context.Background(), dec, zeroshot.Request{Labels: tc.Labels, Template: tmpl})
				require.NoError(t, err)
				assert.Equal(t, lib, got, "HTTP answer must equal Classify bit for bit")
				n++
			}
			assert.GreaterOrEqual(t, n, 4)
		})
	}
}

func hasDuplicates(labels []string) bool {
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l] {
			return true
		}
		seen[l] = true
	}
	return false
}

func multipartBody(t testing.TB, fields map[string][]string, files map[string][]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, data := range files {
		fw, err := mw.CreateFormFile(name, name+".bin")
		require.NoError(t, err)
		fw.Write(data)
	}
	for name, vs := range fields {
		for _, v := range vs {
			require.NoError(t, mw.WriteField(name, v))
		}
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), buf.Bytes()
}

// JSON, multipart (repeated, comma-separated and JSON-array labels) and a raw body
// give the same answer.
func TestRequestShapes(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{})
	url := hs.URL + "/v1/zero-shot-image-classification"
	img := readFile(t, "testdata", "pipeline", "chelsea.png")
	labels := []string{"cat", "dog", "fox"}
	code, _, b := post(t, url, "application/json", classifyBody(img, labels, "a photo of {}"))
	require.Equal(t, 200, code, string(b))
	want := decodeResults(t, b)
	require.Len(t, want, 3)

	for name, fields := range map[string]map[string][]string{
		"repeated":   {"candidate_labels": labels, "hypothesis_template": {"a photo of {}"}},
		"comma":      {"candidate_labels": {"cat, dog,fox"}, "hypothesis_template": {"a photo of {}"}},
		"json-array": {"candidate_labels": {`["cat","dog","fox"]`}, "hypothesis_template": {"a photo of {}"}},
		"parameters": {"parameters": {`{"candidate_labels":["cat","dog","fox"],"hypothesis_template":"a photo of {}"}`}},
	} {
		ct, body := multipartBody(t, fields, map[string][]byte{"image": img})
		code, _, b := post(t, url, ct, body)
		require.Equal(t, 200, code, "%s: %s", name, b)
		assert.Equal(t, want, decodeResults(t, b), name)
	}
	code, _, b = post(t, url+"?candidate_labels=cat,dog,fox&hypothesis_template=a+photo+of+%7B%7D", "image/png", img)
	require.Equal(t, 200, code, string(b))
	assert.Equal(t, want, decodeResults(t, b))

	// Data URL, URL-safe base64 without padding, top_k.
	body, _ := json.Marshal(map[string]any{"inputs": "data:image/png;base64," + base64.StdEncoding.EncodeToString(img),
		"parameters": map[string]any{"candidate_labels": labels, "hypothesis_template": "a photo of {}", "top_k": 2}})
	code, _, b = post(t, url, "application/json", body)
	require.Equal(t, 200, code, string(b))
	assert.Equal(t, want[:2], decodeResults(t, b))
	body, _ = json.Marshal(map[string]any{"inputs": base64.RawURLEncoding.EncodeToString(img),
		"parameters": map[string]any{"candidate_labels": labels, "hypothesis_template": "a photo of {}"}})
	code, _, b = post(t, url, "application/json", body)
	require.Equal(t, 200, code, string(b))
	assert.Equal(t, want, decodeResults(t, b))
}

func TestEmbeddings(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{})
	imgs := [][]byte{readFile(t, "testdata", "pipeline", "chelsea.png"), readFile(t, "testdata", "pipeline", "gradient.png")}
	texts := []string{"a cat", "a dog", "a cat"}
	body, _ := json.Marshal(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(imgs[0]),
		base64.StdEncoding.EncodeToString(imgs[1])}, "texts": texts})
	code, _, b := post(t, hs.URL+"/v1/embeddings", "application/json", body)
	require.Equal(t, 200, code, string(b))
	var got EmbedResponse
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, 64, got.Dim)
	require.Len(t, got.ImageEmbeds, 2)
	require.Len(t, got.TextEmbeds, 3)
	for i, data := range imgs {
		img, err := preprocess.Decode(data, c.Profile().PipelineOptions())
		require.NoError(t, err)
		pv, err := c.Processor.Preprocess(img)
		require.NoError(t, err)
		e, err := c.Model.ImageEmbeds(clip.Pixels{Data: pv, Batch: 1, Channels: 3, Height: 224, Width: 224})
		require.NoError(t, err)
		assert.InDeltaSlice(t, toF64(e.Data), toF64(got.ImageEmbeds[i]), 1e-6)
	}
	l, err := c.LabelEmbeddings(zeroshot.Request{Labels: texts, Template: "{}", AllowDuplicates: true})
	require.NoError(t, err)
	for i := range texts {
		assert.Equal(t, l.Embeds.Row(i), got.TextEmbeds[i])
	}

	// Multipart: files "image", fields "text".
	ct, mp := multipartBody(t, map[string][]string{"text": {"a cat"}}, map[string][]byte{"image": imgs[0]})
	code, _, b = post(t, hs.URL+"/v1/embeddings", ct, mp)
	require.Equal(t, 200, code, string(b))
	var got2 EmbedResponse
	require.NoError(t, json.Unmarshal(b, &got2))
	// One text alone vs in a batch of three: other GEMM shapes, last-bit differences.
	assert.InDeltaSlice(t, toF64(got.TextEmbeds[0]), toF64(got2.TextEmbeds[0]), 1e-6)
	assert.InDeltaSlice(t, toF64(got.ImageEmbeds[0]), toF64(got2.ImageEmbeds[0]), 1e-6)
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// The server path from 16 goroutines at once gives the sequential answers: same labels
// in the same order, scores equal up to batched-GEMM noise (and counted bit-identical).
func TestConcurrentClients(t *testing.T) {
	c := openClassifier(t, "odd")
	s, hs := newTestServer(t, c, Options{MaxBatch: 8, MaxQueue: 64})
	url := hs.URL + "/v1/zero-shot-image-classification"
	images := []string{"chelsea.png", "rotated6.jpg", "gradient.png"}
	labelSets := [][]string{{"cat", "dog", "fox", "owl"}, {"red", "green", "blue"}}
	type key struct{ img, labels int }
	bodies := map[key][]byte{}
	seq := map[key][]zeroshot.Result{}
	for i, name := range images {
		img := readFile(t, "testdata", "pipeline", name)
		for j, ls := range labelSets {
			k := key{i, j}
			bodies[k] = classifyBody(img, ls, "")
			code, _, b := post(t, url, "application/json", bodies[k])
			require.Equal(t, 200, code, string(b))
			seq[k] = decodeResults(t, b)
		}
	}
	const goroutines, perG = 16, 12
	var wg sync.WaitGroup
	var exact, total, diff atomic.Int64
	var maxDiff atomic.Uint64
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < perG; r++ {
				k := key{(g + r) % len(images), (g/2 + r) % len(labelSets)}
				resp, err := http.Post(url, "application/json", bytes.NewReader(bodies[k]))
				if !assert.NoError(t, err) {
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !assert.Equal(t, 200, resp.StatusCode, string(b)) {
					return
				}
				var got []zeroshot.Result
				if !assert.NoError(t, json.Unmarshal(b, &got)) {
					return
				}
				want := seq[k]
				if !assert.Len(t, got, len(want)) {
					return
				}
				for i := range want {
					assert.Equal(t, want[i].Label, got[i].Label, "goroutine %d", g)
					d := math.Abs(want[i].Score - got[i].Score)
					assert.LessOrEqual(t, d, 1e-6)
					for {
						old := maxDiff.Load()
						if d <= math.Float64frombits(old) || maxDiff.CompareAndSwap(old, math.Float64bits(d)) {
							break
						}
					}
					total.Add(1)
					if d == 0 {
						exact.Add(1)
					} else {
						diff.Add(1)
					}
				}
			}
		}(g)
	}
	wg.Wait()
	s.metrics.mu.Lock()
	batches, images1 := s.metrics.batch.n, s.metrics.batch.sum
	s.metrics.mu.Unlock()
	t.Logf("%d requests from %d goroutines: %d forwards for %.0f images (mean batch %.2f); scores %d of %d bit-identical to sequential, max |Δ| %.3g",
		goroutines*perG, goroutines, batches, images1, images1/float64(batches), exact.Load(), total.Load(), math.Float64frombits(maxDiff.Load()))
	assert.Less(t, float64(batches), images1, "concurrent requests must share forwards")
}

// With MaxBatch 1 concurrent answers are bit-identical to the sequential ones.
func TestConcurrentUnbatchedExact(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{MaxBatch: 1})
	url := hs.URL + "/v1/zero-shot-image-classification"
	body := classifyBody(readFile(t, "testdata", "pipeline", "chelsea.png"), []string{"cat", "dog", "fox", "owl"}, "")
	code, _, b := post(t, url, "application/json", body)
	require.Equal(t, 200, code)
	want := decodeResults(t, b)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(url, "application/json", bytes.NewReader(body))
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var got []zeroshot.Result
			assert.NoError(t, json.Unmarshal(b, &got))
			assert.Equal(t, want, got)
		}()
	}
	wg.Wait()
}

// slowForward makes every forward take at least d (to fill the queue deterministically).
func slowForward(s *Server, d time.Duration) {
	inner := s.forwardFn
	s.forwardFn = func(px clip.Pixels) (clip.Matrix, error) {
		time.Sleep(d)
		return inner(px)
	}
}

// A full queue answers 503 with Retry-After at once; the server stays healthy and
// answers again when the burst is over. (All requests come from one address: without
// ClientShare -1 the client's share, half the queue, would answer 429 first; see
// TestClientShare.)
func TestOverloadSheds(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	s := New(c, Options{MaxBatch: 2, MaxQueue: 4, ClientShare: -1})
	slowForward(s, 100*time.Millisecond)
	hs := httptest.NewServer(s.Handler())
	defer func() { hs.Close(); s.Close() }()
	url := hs.URL + "/v1/zero-shot-image-classification"
	body := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"red", "green"}, "")
	var wg sync.WaitGroup
	codes := make([]int, 24)
	retry := make([]string, 24)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := http.Post(url, "application/json", bytes.NewReader(body))
			if !assert.NoError(t, err) {
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			codes[i], retry[i] = resp.StatusCode, resp.Header.Get("Retry-After")
			if resp.StatusCode == 503 {
				assert.Contains(t, string(b), `"error"`)
			}
		}(i)
	}
	wg.Wait()
	n := map[int]int{}
	for i, c := range codes {
		n[c]++
		if c == 503 {
			assert.Equal(t, "1", retry[i])
		}
	}
	t.Logf("24 concurrent requests, queue 4: %v", n)
	assert.Equal(t, 24, n[200]+n[503], "only 200 and 503: %v", n)
	assert.Positive(t, n[503])
	assert.GreaterOrEqual(t, n[200], 4)
	code, _, _ := get(t, hs.URL+"/healthz")
	assert.Equal(t, 200, code)
	code, _, b := post(t, url, "application/json", body)
	assert.Equal(t, 200, code, string(b))
	_, _, m := get(t, hs.URL+"/metrics")
	assert.Contains(t, string(m), fmt.Sprintf(`zeroshot_rejected_total{reason="queue_full"} %d`, n[503]))
}

func get(t testing.TB, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestTimeout(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	s := New(c, Options{Timeout: 50 * time.Millisecond})
	slowForward(s, 300*time.Millisecond)
	hs := httptest.NewServer(s.Handler())
	defer func() { hs.Close(); s.Close() }()
	body := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"red", "green"}, "")
	code, _, b := post(t, hs.URL+"/v1/zero-shot-image-classification", "application/json", body)
	assert.Equal(t, 504, code, string(b))
	assert.Contains(t, string(b), "timed out")
}

// SIGTERM-like shutdown: requests in flight and queued finish with 200, readyz turns
// 503 meanwhile, new connections are refused, Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	s := New(c, Options{MaxBatch: 2})
	slowForward(s, 400*time.Millisecond)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, 10*time.Second) }()

	body := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"red", "green"}, "")
	const n = 6
	codes := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			resp, err := http.Post(url+"/v1/zero-shot-image-classification", "application/json", bytes.NewReader(body))
			if err != nil {
				codes <- -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	// All n handlers running (the first forward takes 400ms, so none has finished).
	require.Eventually(t, func() bool { return s.metrics.inflight.Load() >= n }, 5*time.Second, time.Millisecond, "requests in flight")
	cancel()
	require.Eventually(t, func() bool { return s.draining.Load() }, time.Second, time.Millisecond)
	for i := 0; i < n; i++ {
		assert.Equal(t, 200, <-codes, "request %d in flight at shutdown", i)
	}
	require.NoError(t, <-served)
	_, err = http.Get(url + "/healthz")
	assert.Error(t, err, "the listener is closed")
	code, _, _ := func() (int, http.Header, []byte) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/zero-shot-image-classification", bytes.NewReader(body)))
		return rec.Code, rec.Header(), rec.Body.Bytes()
	}()
	assert.Equal(t, 503, code, "after Close")
}

func TestHealthMetricsRoutes(t *testing.T) {
	c := openClassifier(t, "tiny-l14")
	_, hs := newTestServer(t, c, Options{MaxQueue: 7})
	code, _, b := get(t, hs.URL+"/healthz")
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"status":"ok"}`, string(b))
	code, _, b = get(t, hs.URL+"/readyz")
	assert.Equal(t, 200, code, string(b))
	body := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"red", "green"}, "")
	code, _, _ = post(t, hs.URL+"/v1/zero-shot-image-classification", "application/json", body)
	require.Equal(t, 200, code)
	code, _, _ = post(t, hs.URL+"/v1/zero-shot-image-classification", "application/json", []byte("{"))
	require.Equal(t, 400, code)

	code, hdr, m := get(t, hs.URL+"/metrics")
	require.Equal(t, 200, code)
	assert.True(t, strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4"))
	text := string(m)
	for _, want := range []string{
		`zeroshot_http_requests_total{endpoint="classify",code="200"} 1`,
		`zeroshot_http_requests_total{endpoint="classify",code="400"} 1`,
		`zeroshot_http_request_duration_seconds_bucket{endpoint="classify",le="+Inf"} 2`,
		`zeroshot_http_request_duration_seconds_count{endpoint="classify"} 2`,
		`zeroshot_batch_size_bucket{le="1"} 1`,
		`zeroshot_batch_size_count 1`,
		`zeroshot_queue_depth 0`,
		`zeroshot_queue_capacity 7`,
		"# TYPE zeroshot_batch_size histogram",
		"process_resident_memory_bytes ",
	} {
		assert.Contains(t, text, want)
	}
	// Every sample line is `name{labels} value` or `name value`.
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		assert.Len(t, f, 2, line)
	}

	code, _, b = get(t, hs.URL+"/nope")
	assert.Equal(t, 404, code)
	assert.Contains(t, string(b), `"error"`)
	code, hdr, _ = get(t, hs.URL+"/v1/zero-shot-image-classification")
	assert.Equal(t, 405, code)
	assert.Equal(t, "POST", hdr.Get("Allow"))
}
