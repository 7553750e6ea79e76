package serve

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// The parts of one classification, and the whole over HTTP (loopback, one client).
func BenchmarkParts(b *testing.B) {
	c := openClassifier(b, "tiny-l14")
	img := readFile(b, "testdata", "pipeline", "chelsea.png")
	req := zeroshot.Request{Labels: []string{"cat", "dog", "fox", "owl"}}
	labels, err := c.LabelEmbeddings(req)
	if err != nil {
		b.Fatal(err)
	}
	pv, err := c.Processor.PreprocessData(img, c.Profile().PipelineOptions())
	if err != nil {
		b.Fatal(err)
	}
	px := clip.Pixels{Data: pv, Batch: 1, Channels: 3, Height: 224, Width: 224}
	emb, err := c.Model.ImageEmbeds(px)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode+preprocess", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.Processor.PreprocessData(img, c.Profile().PipelineOptions())
		}
	})
	b.Run("image-forward", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.Model.ImageEmbeds(px)
		}
	})
	b.Run("image-forward-batch8", func(b *testing.B) {
		px8 := clip.Pixels{Batch: 8, Channels: 3, Height: 224, Width: 224}
		for j := 0; j < 8; j++ {
			px8.Data = append(px8.Data, pv...)
		}
		for i := 0; i < b.N; i++ {
			c.Model.ImageEmbeds(px8)
		}
	})
	b.Run("score", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.Score(emb, labels, 0)
		}
	})
	b.Run("http", func(b *testing.B) {
		_, hs := newTestServer(b, c, Options{})
		body := classifyBody(img, req.Labels, "")
		for i := 0; i < b.N; i++ {
			resp, err := http.Post(hs.URL+"/v1/zero-shot-image-classification", "application/json", bytes.NewReader(body))
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
	_ = context.Background
}

// The authentication of one request (parse the header, hash the token, compare it with
// every accepted digest), with 1 and 100 accepted tokens: the precise cost that the
// req/s of TestSecurityReport cannot resolve.
func BenchmarkAuthenticate(b *testing.B) {
	c := openClassifier(b, "tiny-l14")
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			toks := make([]string, n)
			for i := range toks {
				toks[i] = randomToken(b)
			}
			p := filepath.Join(b.TempDir(), "tokens")
			writeTokens(b, p, toks...)
			tokens, err := LoadTokens(p)
			if err != nil {
				b.Fatal(err)
			}
			s := New(c, Options{Tokens: tokens})
			defer s.Close()
			req := httptest.NewRequest("POST", "/v1/zero-shot-image-classification", nil)
			req.Header.Set("Authorization", "Bearer "+toks[n-1])
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := s.authenticate(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
