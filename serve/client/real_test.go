package client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/serve"
	"github.com/zeroshot-clip/zeroshot/serve/client"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func pipelineImage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pipeline", name))
	require.NoError(t, err)
	return b
}

// The client's answers are the library's, bit for bit (the server runs batch 1), over
// HTTP and HTTPS alike.
func TestClientMatchesLibrary(t *testing.T) {
	for _, base := range []string{serverURL, tlsServerURL} {
		c, err := client.New(base, client.Options{Token: token, TLS: tlsConfig()})
		require.NoError(t, err)
		n := 0
		for _, name := range []string{"chelsea.png", "rotated6.jpg", "gradient.png"} {
			data := pipelineImage(t, name)
			img, err := preprocess.Decode(data, classifier.Profile().PipelineOptions())
			require.NoError(t, err)
			for _, tc := range []struct {
				labels   []string
				template string
			}{
				{[]string{"cat", "dog", "fox", "owl"}, ""},
				{[]string{"a tabby cat", "a car, parked", "[sic]"}, "a photo of {}"},
			} {
				got, err := c.Classify(context.Background(), client.ClassifyRequest{Image: data, Labels: tc.labels, Template: tc.template})
				require.NoError(t, err)
				want, err := classifier.Classify(context.Background(), img, zeroshot.Request{Labels: tc.labels, Template: tc.template})
				require.NoError(t, err)
				require.Len(t, got, len(want))
				for i := range want {
					assert.Equal(t, want[i].Label, got[i].Label, "%s %v", name, tc.labels)
					assert.Equal(t, want[i].Score, got[i].Score, "%s %v", name, tc.labels)
					n++
				}
			}
			top, err := c.Classify(context.Background(), client.ClassifyRequest{Image: data, Labels: []string{"cat", "dog", "fox", "owl"}, TopK: 2})
			require.NoError(t, err)
			assert.Len(t, top, 2)

			e, err := c.Embed(context.Background(), client.EmbedRequest{Images: [][]byte{data}})
			require.NoError(t, err)
			pv, err := classifier.Processor.Preprocess(img)
			require.NoError(t, err)
			cfg := classifier.Processor.Config()
			m, err := classifier.Model.ImageEmbeds(clip.Pixels{Data: pv, Batch: 1, Channels: 3, Height: cfg.CropHeight, Width: cfg.CropWidth})
			require.NoError(t, err)
			assert.Equal(t, m.Data, e.Images[0], name)
		}
		texts := []string{"a cat", "a photo of a dog", "a cat", "ünïcödé 猫"}
		e, err := c.Embed(context.Background(), client.EmbedRequest{Texts: texts})
		require.NoError(t, err)
		assert.Equal(t, "tiny-l14", e.Model)
		assert.Equal(t, 64, e.Dim)
		l, err := classifier.LabelEmbeddings(zeroshot.Request{Labels: texts, Template: "{}", AllowDuplicates: true})
		require.NoError(t, err)
		for i := range texts {
			assert.Equal(t, l.Embeds.Row(i), e.Texts[i], "text %d", i)
		}
		t.Logf("%s: %d scores equal to the library's", base, n)
	}
}

// Without the token, or with another, the server's 401 is an *Error; nothing is
// retried.
func TestClientAuth(t *testing.T) {
	for name, tok := range map[string]string{"none": "", "wrong": "wrong-token-0123456789abcdef"} {
		c, err := client.New(serverURL, client.Options{Token: tok})
		require.NoError(t, err)
		_, err = c.Classify(context.Background(), client.ClassifyRequest{Image: pipelineImage(t, "gradient.png"), Labels: []string{"a", "b"}})
		var se *client.Error
		require.ErrorAs(t, err, &se, name)
		assert.Equal(t, 401, se.StatusCode, name)
		assert.Equal(t, 1, se.Attempts, name)
		assert.NotContains(t, err.Error(), tok+"x", name)
	}
}

// HTTPS: the server's certificate is checked against Options.TLS (or the system's
// roots, which do not hold a self-signed one); plain HTTP to an HTTPS port fails.
func TestClientTLS(t *testing.T) {
	c, err := client.New(tlsServerURL, client.Options{Token: token})
	require.NoError(t, err)
	_, err = c.Embed(context.Background(), client.EmbedRequest{Texts: []string{"a cat"}})
	require.Error(t, err)
	var se *client.Error
	assert.False(t, errors.As(err, &se), "a TLS failure is not a server answer")
	assert.Contains(t, err.Error(), "certificate")

	c, err = client.New(tlsServerURL, client.Options{Token: token, TLS: tlsConfig()})
	require.NoError(t, err)
	_, err = c.Embed(context.Background(), client.EmbedRequest{Texts: []string{"a cat"}})
	require.NoError(t, err)

	c, err = client.New("http"+tlsServerURL[len("https"):], client.Options{Token: token})
	require.NoError(t, err)
	_, err = c.Embed(context.Background(), client.EmbedRequest{Texts: []string{"a cat"}})
	require.ErrorAs(t, err, &se, "Go's TLS server answers plain HTTP with a 400")
	assert.Equal(t, 400, se.StatusCode)
}

// The server's refusals of bad input reach the caller as its status and message.
func TestClientBadInput(t *testing.T) {
	c, err := client.New(serverURL, client.Options{Token: token})
	require.NoError(t, err)
	for _, tc := range []struct {
		req  client.ClassifyRequest
		code int
		msg  string
	}{
		{client.ClassifyRequest{Image: []byte("not an image"), Labels: []string{"a", "b"}}, 422, "unsupported format"},
		{client.ClassifyRequest{Image: nil, Labels: []string{"a", "b"}}, 422, "empty image"},
		{client.ClassifyRequest{Image: pipelineImage(t, "gradient.png")}, 400, "candidate_labels"},
		{client.ClassifyRequest{Image: pipelineImage(t, "gradient.png"), Labels: []string{"a", "a"}}, 400, "duplicate"},
	} {
		_, err := c.Classify(context.Background(), tc.req)
		var se *client.Error
		if assert.ErrorAs(t, err, &se, tc.msg) {
			assert.Equal(t, tc.code, se.StatusCode, se.Message)
			assert.Contains(t, se.Message, tc.msg)
		}
	}
}

// A real server's 503 (here: draining for shutdown) is retried after its Retry-After,
// and, still refused, returned with the server's message.
func TestClientRetriesRealServer(t *testing.T) {
	s := serve.New(classifier, serve.Options{})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	s.Close() // draining: every request gets 503 + Retry-After
	c, err := client.New(hs.URL, client.Options{MaxRetries: 1})
	require.NoError(t, err)
	_, err = c.Embed(context.Background(), client.EmbedRequest{Texts: []string{"a cat"}})
	var se *client.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 503, se.StatusCode)
	assert.Equal(t, "server shutting down", se.Message)
	assert.Equal(t, time.Second, se.RetryAfter)
	assert.Equal(t, 2, se.Attempts)
}
