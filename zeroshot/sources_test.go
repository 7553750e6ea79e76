package zeroshot

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/source"
)

// The same bytes by URL, by data: URL and by path give the same bits, in every profile
// (the "4.54" PIL path, the "5" torchvision path, the "5" PIL backend): scores and
// embeddings, in the same batches. A source that cannot be read is an outcome naming
// its URL and the reason; the run goes on.
func TestSourcesMatchFiles(t *testing.T) {
	names := []string{"photo_chelsea.jpg", "jpeg_exif_6.jpg", "png_rgba.png", "gif_p.gif", "webp_lossy.webp", "tiff_orient8.tif"}
	srv := httptest.NewServer(http.StripPrefix("/img/", http.FileServer(http.Dir(filepath.Join("..", "testdata", "images", "files")))))
	defer srv.Close()
	var paths []string
	var srcs []Source
	for i, n := range names {
		p := imageFile(n)
		paths = append(paths, p)
		if i%3 == 2 {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			srcs = append(srcs, source.Parse("data:image/x;base64,"+base64.StdEncoding.EncodeToString(b), nil))
		} else {
			srcs = append(srcs, source.Parse(srv.URL+"/img/"+n, nil))
		}
	}
	req := Request{Labels: []string{"cat", "dog", "fox", "owl"}}
	ctx := context.Background()
	for _, opts := range []Options{{Parity: Parity454}, {Parity: Parity5}, {Parity: Parity5, Backend: BackendPIL}} {
		c := openFixtureWith(t, "tiny-l14", opts)
		t.Run(c.Profile().String(), func(t *testing.T) {
			each := EachOptions{BatchSize: 4, Decoders: 2, Readers: 3}
			var byPath, bySource []FileResult
			require.NoError(t, c.ClassifyEach(ctx, paths, req, each, func(b []FileResult) error { byPath = append(byPath, b...); return nil }))
			require.NoError(t, c.ClassifySources(ctx, srcs, req, each, func(b []FileResult) error { bySource = append(bySource, b...); return nil }))
			require.Len(t, bySource, len(paths))
			for i := range paths {
				require.NoError(t, bySource[i].Err)
				require.Equal(t, srcs[i].Name(), bySource[i].Path)
				require.Equal(t, byPath[i].Results, bySource[i].Results, "%s: bit for bit", names[i])
			}
			var pxPath, pxSource [][]float32
			require.NoError(t, c.each(ctx, source.Files(paths), each, func(b []decoded) error {
				for _, d := range b {
					pxPath = append(pxPath, d.px)
				}
				return nil
			}))
			require.NoError(t, c.each(ctx, srcs, each, func(b []decoded) error {
				for _, d := range b {
					pxSource = append(pxSource, d.px)
				}
				return nil
			}))
			require.Equal(t, pxPath, pxSource, "pixel_values, bit for bit")
			var embPath, embSource []FileEmbedding
			eo := EmbedOptions{EachOptions: each}
			require.NoError(t, c.EmbedEach(ctx, paths, eo, func(b []FileEmbedding) error { embPath = append(embPath, b...); return nil }))
			require.NoError(t, c.EmbedSources(ctx, srcs, eo, func(b []FileEmbedding) error { embSource = append(embSource, b...); return nil }))
			for i := range paths {
				require.Equal(t, embPath[i].Embedding, embSource[i].Embedding, "%s: bit for bit", names[i])
			}
		})
	}

	// Failures are outcomes; the others are classified.
	c := openFixture(t, "tiny-l14")
	mixed := []Source{source.Parse(srv.URL+"/img/missing.jpg", nil), srcs[0], source.Parse(srv.URL+"/img/bad_random.bin", nil),
		source.Parse(srv.URL+"/img/bad_truncated.png", nil), source.Parse("data:image/png;base64,@@", nil)}
	var got []FileResult
	require.NoError(t, c.ClassifySources(ctx, mixed, req, EachOptions{BatchSize: 2}, func(b []FileResult) error { got = append(got, b...); return nil }))
	require.Len(t, got, len(mixed))
	require.ErrorIs(t, got[0].Err, source.ErrStatus)
	require.EqualError(t, got[0].Err, srv.URL+"/img/missing.jpg: HTTP 404 Not Found")
	require.NoError(t, got[1].Err)
	require.Len(t, got[1].Results, 4)
	require.ErrorIs(t, got[2].Err, source.ErrNotImage)
	require.ErrorIs(t, got[3].Err, preprocess.ErrTruncated, "sniffed as a PNG, then cut short: the decoder says so")
	require.Contains(t, got[3].Err.Error(), srv.URL+"/img/bad_truncated.png: png: truncated")
	require.ErrorIs(t, got[4].Err, source.ErrBadSource)

	// The caller's cancellation stops the run, as for files.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := c.ClassifySources(cctx, srcs, req, EachOptions{}, func([]FileResult) error { return nil })
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}
