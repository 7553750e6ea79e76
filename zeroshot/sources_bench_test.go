package zeroshot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/zeroshot-clip/zeroshot/source"
)

// BenchmarkSourcesLatency: 32 images from a server that takes 20 ms to answer each, by
// EachOptions.Readers: downloads in flight overlap each other, decoding and the model
// (tiny-l14). Reported as images/s.
func BenchmarkSourcesLatency(b *testing.B) {
	files := http.StripPrefix("/img/", http.FileServer(http.Dir(filepath.Join("..", "testdata", "images", "files"))))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var srcs []Source
	for i := 0; i < 32; i++ {
		srcs = append(srcs, source.Parse(fmt.Sprintf("%s/img/photo_chelsea.jpg?%d", srv.URL, i), nil))
	}
	c, err := Open(filepath.Join("..", "testdata", "models", "tiny-l14"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := Request{Labels: []string{"cat", "dog"}}
	for _, readers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			for b.Loop() {
				err := c.ClassifySources(context.Background(), srcs, req, EachOptions{Readers: readers}, func(r []FileResult) error {
					for _, x := range r {
						if x.Err != nil {
							return x.Err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
