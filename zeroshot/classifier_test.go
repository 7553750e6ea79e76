package zeroshot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

func fixtureImage(t testing.TB, name string) preprocess.RGB {
	t.Helper()
	img, err := preprocess.Load(filepath.Join("..", "testdata", "pipeline", name), preprocess.PipelineOptions)
	require.NoError(t, err)
	return img
}

func TestBadRequests(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	img := fixtureImage(t, "gradient.png")
	cases := []struct {
		name string
		req  Request
		want any
	}{
		{"no labels", Request{}, &LabelError{}},
		{"empty label", Request{Labels: []string{"cat", " "}}, &LabelError{}},
		{"duplicate", Request{Labels: []string{"cat", "dog", "cat"}}, &LabelError{}},
		{"no placeholder", Request{Labels: []string{"cat"}, Template: "a photo"}, &TemplateError{}},
		{"two placeholders", Request{Labels: []string{"cat"}, Template: "{} {}"}, &TemplateError{}},
		{"bad ensemble member", Request{Labels: []string{"cat"}, Templates: []string{"a {}", "b"}}, &TemplateError{}},
		{"too long", Request{Labels: []string{"cat", strings.Repeat("word ", 80)}}, &LabelError{}},
	}
	for _, tc := range cases {
		_, err := c.Classify(context.Background(), img, tc.req)
		require.Error(t, err, tc.name)
		switch tc.want.(type) {
		case *LabelError:
			var le *LabelError
			assert.True(t, errors.As(err, &le), "%s: %v", tc.name, err)
		case *TemplateError:
			var te *TemplateError
			assert.True(t, errors.As(err, &te), "%s: %v", tc.name, err)
		}
	}
	// The over-length error names the label and its token count.
	_, err := c.Classify(context.Background(), img, Request{Labels: []string{"ok", strings.Repeat("word ", 80)}})
	var tl *tokenize.TooLongError
	require.True(t, errors.As(err, &tl))
	assert.Contains(t, err.Error(), "label 2")
	assert.Contains(t, err.Error(), "at most 77")
}

func TestTopKAndSingleLabel(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	img := fixtureImage(t, "chelsea.png")
	all, err := c.Classify(context.Background(), img, Request{Labels: []string{"cat", "dog", "fox", "owl"}})
	require.NoError(t, err)
	top2, err := c.Classify(context.Background(), img, Request{Labels: []string{"cat", "dog", "fox", "owl"}, TopK: 2})
	require.NoError(t, err)
	assert.Equal(t, all[:2], top2)
	one, err := c.Classify(context.Background(), img, Request{Labels: []string{"cat"}})
	require.NoError(t, err)
	assert.Equal(t, []Result{{Score: 1, Label: "cat"}}, one)
}

// Label embeddings are computed once per label set and reused, in memory and on disk,
// with the same bits as a fresh computation.
func TestLabelCache(t *testing.T) {
	dir := t.TempDir()
	m, err := clip.Load(filepath.Join("..", "testdata", "models", "tiny-l14"), clip.Options{Threads: 1})
	require.NoError(t, err)
	defer m.Close()
	proc, err := loadImageProcessor(filepath.Join("..", "testdata", "models", "tiny-l14"), BackendPIL)
	require.NoError(t, err)
	tok, err := tokenize.Load(filepath.Join("..", "testdata", "models", "tiny-l14"))
	require.NoError(t, err)

	req := Request{Labels: []string{"cat", "dog", "a fox"}}
	c1 := New(m, proc, tok, Options{LabelCacheDir: dir})
	a, err := c1.LabelEmbeddings(req)
	require.NoError(t, err)
	b, err := c1.LabelEmbeddings(req)
	require.NoError(t, err)
	assert.Same(t, a, b, "second call must come from the cache")
	files, _ := filepath.Glob(filepath.Join(dir, "*"+labelsExt))
	assert.Len(t, files, 1)

	c2 := New(m, proc, tok, Options{LabelCacheDir: dir}) // a new process, in effect
	d, err := c2.LabelEmbeddings(req)
	require.NoError(t, err)
	assert.Equal(t, a.Embeds, d.Embeds, "disk cache must give the same bits")

	// A damaged cache file is recomputed, not trusted.
	require.NoError(t, os.WriteFile(files[0], []byte("{"), 0o644))
	c3 := New(m, proc, tok, Options{LabelCacheDir: dir})
	e, err := c3.LabelEmbeddings(req)
	require.NoError(t, err)
	assert.Equal(t, a.Embeds, e.Embeds)

	// The LRU stays bounded.
	small := New(m, proc, tok, Options{LabelCacheSize: 2})
	for _, l := range []string{"a", "b", "c", "d"} {
		_, err := small.LabelEmbeddings(Request{Labels: []string{l}})
		require.NoError(t, err)
	}
	assert.Equal(t, 2, small.labels.order.Len())
}

// A prompt ensemble of one template is that template; of several, a unit vector per label.
func TestPromptEnsemble(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	labels := []string{"cat", "dog"}
	one, err := c.LabelEmbeddings(Request{Labels: labels, Templates: []string{"a photo of a {}."}})
	require.NoError(t, err)
	plain, err := c.LabelEmbeddings(Request{Labels: labels, Template: "a photo of a {}."})
	require.NoError(t, err)
	assert.Equal(t, plain.Embeds, one.Embeds)

	ens, err := c.LabelEmbeddings(Request{Labels: labels, Templates: ImageNet80})
	require.NoError(t, err)
	require.Equal(t, 2, ens.Embeds.Rows)
	for r := 0; r < 2; r++ {
		var ss float64
		for _, v := range ens.Embeds.Row(r) {
			ss += float64(v) * float64(v)
		}
		assert.InDelta(t, 1, ss, 1e-5)
	}
	got, err := c.Classify(context.Background(), fixtureImage(t, "chelsea.png"), Request{Labels: labels, Templates: ImageNet80})
	require.NoError(t, err)
	assert.InDelta(t, 1, got[0].Score+got[1].Score, 1e-6)
}

// Batched images give the one-image results exactly (on CPU each image is its own
// forward), and a Classifier used from 16 goroutines at once gives the sequential
// results exactly.
func TestBatchAndConcurrency(t *testing.T) {
	c := openFixture(t, "odd")
	imgs := []preprocess.RGB{fixtureImage(t, "chelsea.png"), fixtureImage(t, "rotated6.jpg"), fixtureImage(t, "gradient.png")}
	req := Request{Labels: []string{"cat", "dog", "fox", "owl"}}
	batch, err := c.ClassifyBatch(context.Background(), imgs, req)
	require.NoError(t, err)
	seq := make([][]Result, len(imgs))
	for i, img := range imgs {
		seq[i], err = c.Classify(context.Background(), img, req)
		require.NoError(t, err)
		require.Len(t, batch[i], 4)
		for j := range seq[i] {
			assert.Equal(t, seq[i][j].Label, batch[i][j].Label)
			assert.Equal(t, seq[i][j].Score, batch[i][j].Score)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			i := g % len(imgs)
			got, err := c.Classify(context.Background(), imgs[i], req)
			if err != nil {
				errs <- err
				return
			}
			assert.Equal(t, seq[i], got, "goroutine %d", g)
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCancelledContext(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Classify(ctx, fixtureImage(t, "gradient.png"), Request{Labels: []string{"a", "b"}})
	assert.ErrorIs(t, err, context.Canceled)
}
