package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scripted is a server that answers with the next of its answers (the last one
// repeats) and records what it was sent.
type scripted struct {
	mu      sync.Mutex
	answers []answer
	got     []*http.Request
	bodies  []string
}

type answer struct {
	code       int
	retryAfter string
	body       string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	a := s.answers[min(len(s.got), len(s.answers)-1)]
	s.got = append(s.got, r)
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.code)
	io.WriteString(w, a.body)
}

// request is request i again, its body readable.
func (s *scripted) request(t *testing.T, i int) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.got[i].Clone(context.Background())
	r.Body = io.NopCloser(strings.NewReader(s.bodies[i]))
	return r
}

func (s *scripted) sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// newScripted starts the server and a client whose waits are recorded, not slept.
func newScripted(t *testing.T, opts Options, answers ...answer) (*Client, *scripted, *[]time.Duration) {
	t.Helper()
	s := &scripted{answers: answers}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	c, err := New(hs.URL, opts)
	require.NoError(t, err)
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return c, s, &waits
}

const okClassify = `[{"score":0.75,"label":"cat"},{"score":0.25,"label":"dog"}]`

var req = ClassifyRequest{Image: []byte("\x89PNG…"), Labels: []string{"cat", "dog"}}

// 429 and 503 are sent again after their Retry-After (seconds or an HTTP date); the
// answer after is the result.
func TestRetryHonoursRetryAfter(t *testing.T) {
	date := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	c, s, waits := newScripted(t, Options{},
		answer{503, "2", `{"error":"server overloaded: the request queue is full, retry later"}`},
		answer{429, date, `{"error":"too many requests from this client"}`},
		answer{200, "", okClassify})
	res, err := c.Classify(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, []Result{{0.75, "cat"}, {0.25, "dog"}}, res)
	assert.Equal(t, 3, s.sent())
	require.Len(t, *waits, 2)
	assert.Equal(t, 2*time.Second, (*waits)[0])
	assert.InDelta(t, 20, (*waits)[1].Seconds(), 2, "an HTTP date is a wait until then")
	for i := 1; i < 3; i++ {
		assert.Equal(t, s.bodies[0], s.bodies[i], "a retry sends the same body")
	}
}

// Without Retry-After the waits back off, 0.5s, 1s, 2s (±20 %); after MaxRetries the
// last refusal is the error, saying how many attempts were made.
func TestRetriesRunOut(t *testing.T) {
	c, s, waits := newScripted(t, Options{}, answer{503, "", `{"error":"server shutting down"}`})
	_, err := c.Classify(context.Background(), req)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 503, se.StatusCode)
	assert.Equal(t, "server shutting down", se.Message)
	assert.Equal(t, 4, se.Attempts)
	assert.Equal(t, 4, s.sent())
	require.Len(t, *waits, 3)
	for i, base := range []float64{0.5, 1, 2} {
		assert.InDelta(t, base, (*waits)[i].Seconds(), base*0.2+1e-9, "wait %d", i)
	}
	assert.Equal(t, "zeroshot server: 503 Service Unavailable: server shutting down (after 4 attempts)", err.Error())

	c, s, _ = newScripted(t, Options{MaxRetries: -1}, answer{429, "1", `{"error":"too many"}`})
	_, err = c.Classify(context.Background(), req)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 429, se.StatusCode)
	assert.Equal(t, time.Second, se.RetryAfter)
	assert.Equal(t, 1, s.sent(), "MaxRetries < 0: never sent again")
}

// Other errors are not retried: the request would fail the same way.
func TestNoRetryOfClientErrors(t *testing.T) {
	for _, code := range []int{400, 401, 404, 413, 415, 422, 500, 504} {
		c, s, waits := newScripted(t, Options{}, answer{code, "1", fmt.Sprintf(`{"error":"error %d"}`, code)})
		_, err := c.Classify(context.Background(), req)
		var se *Error
		require.ErrorAs(t, err, &se, code)
		assert.Equal(t, code, se.StatusCode)
		assert.Equal(t, fmt.Sprintf("error %d", code), se.Message)
		assert.Equal(t, 1, s.sent(), code)
		assert.Empty(t, *waits, code)
	}
}

// A wait that would pass the context's deadline, or MaxRetryWait, is not begun: the
// refusal is returned at once rather than a timeout later.
func TestNoHopelessWait(t *testing.T) {
	c, s, waits := newScripted(t, Options{}, answer{503, "5", `{"error":"full"}`}, answer{200, "", okClassify})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.Classify(ctx, req)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 5*time.Second, se.RetryAfter)
	assert.Equal(t, 1, s.sent())
	assert.Empty(t, *waits)

	c, s, waits = newScripted(t, Options{MaxRetryWait: 10 * time.Second}, answer{429, "60", `{"error":"full"}`}, answer{200, "", okClassify})
	_, err = c.Classify(context.Background(), req)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 429, se.StatusCode)
	assert.Equal(t, 1, s.sent())
	assert.Empty(t, *waits)
}

// Cancelling while waiting to retry ends the call with the context's error, and the
// refusal it was waiting after is still there for errors.As.
func TestCancelWhileWaiting(t *testing.T) {
	c, s, _ := newScripted(t, Options{}, answer{503, "30", `{"error":"full"}`}, answer{200, "", okClassify})
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleepContext(ctx, d) // the real wait, ended by the cancel
	}
	_, err := c.Classify(ctx, req)
	require.ErrorIs(t, err, context.Canceled)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 503, se.StatusCode)
	assert.Equal(t, 1, s.sent())
}

// Cancelling a request in flight ends the call at once, and the server sees its
// request's context end (the connection is closed).
func TestCancelInFlight(t *testing.T) {
	arrived, gone := make(chan struct{}), make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // net/http notices a closed connection once the body is read
		close(arrived)
		<-r.Context().Done()
		close(gone)
	}))
	defer hs.Close()
	c, err := New(hs.URL, Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err = c.Embed(ctx, EmbedRequest{Texts: []string{"a cat"}})
	require.ErrorIs(t, err, context.Canceled)
	<-gone
}

// The token goes in the Authorization header, and only there; the requests are the
// server's multipart shapes.
func TestRequestsSent(t *testing.T) {
	token := "0123456789abcdef-token"
	c, s, _ := newScripted(t, Options{Token: token}, answer{200, "", okClassify})
	_, err := c.Classify(context.Background(), ClassifyRequest{Image: []byte("img"), Labels: []string{"a, b", "c"}, Template: "a {}", TopK: 1})
	require.NoError(t, err)
	r := s.request(t, 0)
	assert.Equal(t, "Bearer "+token, r.Header.Get("Authorization"))
	assert.Equal(t, "/v1/zero-shot-image-classification", r.URL.Path)
	assert.Empty(t, r.URL.RawQuery)
	require.NoError(t, r.ParseMultipartForm(1<<20))
	assert.JSONEq(t, `{"candidate_labels":["a, b","c"],"hypothesis_template":"a {}","top_k":1}`, r.MultipartForm.Value["parameters"][0])
	require.Len(t, r.MultipartForm.File["image"], 1)

	c, s, _ = newScripted(t, Options{}, answer{200, "", `{"model":"m","dim":2,"image_embeds":[[0.6,0.8]],"text_embeds":[[1,0],[0,1]]}`})
	e, err := c.Embed(context.Background(), EmbedRequest{Images: [][]byte{[]byte("img")}, Texts: []string{"x", "y"}})
	require.NoError(t, err)
	assert.Equal(t, &Embeddings{Model: "m", Dim: 2, Images: [][]float32{{0.6, 0.8}}, Texts: [][]float32{{1, 0}, {0, 1}}}, e)
	r = s.request(t, 0)
	assert.Empty(t, r.Header.Get("Authorization"), "no token, no header")
	assert.Equal(t, "/v1/embeddings", r.URL.Path)
	require.NoError(t, r.ParseMultipartForm(1<<20))
	assert.Equal(t, []string{"x", "y"}, r.MultipartForm.Value["text"])
}

func TestErrorMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"invalid bearer token"}`:                                             "invalid bearer token",
		`{"error":{"message":"\"dimensions\" 32: no","type":"invalid_request_error"}}`: `"dimensions" 32: no`,
		"<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>":                       "<html><body> <h1>502 Bad Gateway</h1> </body></html>",
		"":                       "(no message)",
		strings.Repeat("é", 300): strings.Repeat("é", 100) + "…",
	} {
		assert.Equal(t, want, errorMessage([]byte(body)), body)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"1":                             time.Second,
		" 120 ":                         2 * time.Minute,
		"-1":                            0,
		"soon":                          0,
		"Sat, 28 Nov 2026 12:00:30 GMT": 30 * time.Second,
		"Sat, 28 Nov 2026 11:00:00 GMT": 0, // in the past
	} {
		assert.Equal(t, want, retryAfter(v, now), v)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct{ url, token, msg string }{
		{"127.0.0.1:8080", "", `base URL "127.0.0.1:8080"`},
		{"ftp://host", "", "want http://host:port"},
		{"http://", "", "want http://host:port"},
		{"http://host/?x=1", "", "no query"},
		{"http://host", "two words", "whitespace"},
		{"http://host", "tok\r\nX-Evil: 1", "whitespace"},
	} {
		_, err := New(tc.url, Options{Token: tc.token})
		if assert.Error(t, err, tc.url) {
			assert.Contains(t, err.Error(), tc.msg, tc.url)
			assert.NotContains(t, err.Error(), "tok\r", "the token is never quoted")
		}
	}
	c, err := New("https://host:8443/zeroshot/", Options{})
	require.NoError(t, err)
	assert.Equal(t, "/zeroshot", c.base.Path, "a path prefix is kept, without its trailing slash")
	assert.True(t, errors.Is(sleepContext(canceled(), time.Hour), context.Canceled))
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
