package zeroshot

import (
	"context"
	"math"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// randomLabels makes n distinct labels of 1 to words words drawn from a small
// vocabulary, so that label sets have texts of many lengths.
func randomLabels(r *rand.Rand, n, words int) []string {
	vocab := strings.Fields("cat dog red fox owl bear small large photo of a tabby the grey brown striped " +
		"sitting in tall grass on sofa zebra école naïve 東京 🐱 x-ray 3d well-known")
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < n; tries++ {
		if tries > 20*n {
			words, tries = words+1, 0 // too few distinct labels of this length
		}
		w := make([]string, 1+r.Intn(words))
		for i := range w {
			w[i] = vocab[r.Intn(len(vocab))]
		}
		l := strings.Join(w, " ")
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// oneBatch is the pipeline's text pass: every text of the set in one forward, padded
// to the longest.
func oneBatch(t *testing.T, c *Classifier, labels []string, template string) clip.Matrix {
	t.Helper()
	texts := make([]string, len(labels))
	for i, l := range labels {
		s, err := Format(template, l)
		require.NoError(t, err)
		texts[i] = s
	}
	b, err := c.Tokenizer.EncodeBatch(texts, tokenize.Options{})
	require.NoError(t, err)
	emb, err := c.Model.TextEmbeds(tokens(b))
	require.NoError(t, err)
	return emb
}

func setVar(t *testing.T, v *int, x int) {
	old := *v
	*v = x
	t.Cleanup(func() { *v = old })
}

// Label sets embedded in chunks, with projection slabs, equal the one-batch pass bit for
// bit: generated sets of random size and text lengths, random chunk and slab sizes
// (multiples of textAlign), on 1 and 2 model threads.
func TestTextPassChunksEqualOneBatch(t *testing.T) {
	if !golden.Unpinned(t) {
		return
	}
	r := rand.New(rand.NewSource(18))
	for _, name := range fixtureModels {
		for _, threads := range []int{1, 2} {
			c, err := Open(filepath.Join("..", "testdata", "models", name), Options{Model: clip.Options{Threads: threads}})
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			for trial := 0; trial < 6; trial++ {
				labels := randomLabels(r, 1+r.Intn(400), 1+r.Intn(5))
				template := []string{DefaultTemplate, "{}", "a photo of a {}, a type of animal."}[r.Intn(3)]
				batch := textAlign * (1 + r.Intn(3))
				setVar(t, &projectSlab, textAlign*(1+r.Intn(4)))
				want := oneBatch(t, c, labels, template)
				p := textPass{m: c.Model, tok: c.Tokenizer, batch: batch}
				got, err := embedLabels(context.Background(), p, labels, []string{template}, nil)
				require.NoError(t, err)
				require.Equal(t, want.Rows, got.Embeds.Rows)
				same := 0
				for i := 0; i < want.Rows; i++ {
					if bitsEqual(want.Row(i), got.Embeds.Row(i)) {
						same++
					}
				}
				assert.Equal(t, want.Rows, same, "%s, %d threads: %d labels, batch %d, slab %d, template %q: rows bit-identical",
					name, threads, len(labels), batch, projectSlab, template)
			}
		}
	}
}

// The chunks must be padded as the whole set is: padded to their own longest text
// instead, rows come out different, so the test above can tell.
func TestTextPassPaddingMatters(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	labels := []string{"cat", "a very small brown bear sitting in the tall grass", "dog", "owl"}
	want := oneBatch(t, c, labels, DefaultTemplate)
	short := oneBatch(t, c, labels[:1], DefaultTemplate) // "cat" padded to its own length
	assert.False(t, bitsEqual(want.Row(0), short.Row(0)), "padding changes the bits (else padding to the set's longest proves nothing)")
	p := textPass{m: c.Model, tok: c.Tokenizer, batch: 1}
	got, err := embedLabels(context.Background(), p, labels, []string{DefaultTemplate}, nil)
	require.NoError(t, err)
	assert.True(t, bitsEqual(want.Row(0), got.Embeds.Row(0)))
}

// A prompt ensemble over chunks and slabs equals the ensemble of one-batch passes.
func TestTextPassEnsemble(t *testing.T) {
	if !golden.Unpinned(t) {
		return
	}
	setVar(t, &projectSlab, 8)
	c := openFixture(t, "tiny-l14")
	labels := randomLabels(rand.New(rand.NewSource(1)), 37, 4)
	templates := []string{"a photo of a {}.", "{}", "a drawing of the {}, in color."}
	var sum []float64
	for _, tmpl := range templates {
		e := oneBatch(t, c, labels, tmpl)
		if sum == nil {
			sum = make([]float64, len(e.Data))
		}
		for i, v := range e.Data {
			sum[i] += float64(v)
		}
	}
	want := ensemble(sum, len(labels))
	var calls []int
	p := textPass{m: c.Model, tok: c.Tokenizer, batch: 5}
	got, err := embedLabels(context.Background(), p, labels, templates, func(done, total int) {
		assert.Equal(t, 3*37, total)
		calls = append(calls, done)
	})
	require.NoError(t, err)
	assert.Equal(t, want, got.Embeds)
	require.NotEmpty(t, calls)
	assert.Equal(t, 3*37, calls[len(calls)-1], "progress ends at the total")
	assert.IsIncreasing(t, calls)
}

// The automatic chunk follows the device's row budget and never goes below the floor;
// split makes even ranges that cover everything once.
func TestTextBatchAndSplit(t *testing.T) {
	assert.Equal(t, 7, textBatch(7, clip.CPU, 77))
	for _, length := range []int{3, 10, 20, 77} {
		for _, dev := range []clip.Device{clip.CPU, clip.CUDA(0)} {
			b := textBatch(0, dev, length)
			budget := cpuTextRows
			if dev.CUDA {
				budget = cudaTextRows
			}
			assert.Zero(t, b%textAlign, "%v %d", dev, length)
			assert.True(t, b*length <= budget || b == textAlign, "%v %d: %d texts", dev, length, b)
			assert.Greater(t, (b+textAlign)*length, budget, "%v %d: %d texts", dev, length, b)
		}
	}
	r := rand.New(rand.NewSource(3))
	for trial := 0; trial < 2000; trial++ {
		n, size := r.Intn(2000), 1+r.Intn(100)
		if trial%2 == 0 {
			size = textAlign * (1 + r.Intn(4))
		}
		next, parts := 0, 0
		shortest, longest := n, 0
		require.NoError(t, split(n, size, func(lo, hi int) error {
			require.Equal(t, next, lo, "n=%d size=%d", n, size)
			require.Less(t, lo, hi)
			shortest, longest = min(shortest, hi-lo), max(longest, hi-lo)
			next, parts = hi, parts+1
			if size%textAlign == 0 {
				assert.Zero(t, lo%textAlign, "n=%d size=%d: boundary %d", n, size, lo)
				assert.Less(t, hi-lo, size+textAlign)
				if hi < n {
					assert.LessOrEqual(t, hi-lo, size)
				}
			} else {
				assert.LessOrEqual(t, hi-lo, size)
			}
			return nil
		}))
		assert.Equal(t, n, next, "n=%d size=%d", n, size)
		if n == 0 {
			continue
		}
		if size%textAlign == 0 {
			if n >= textAlign {
				assert.GreaterOrEqual(t, shortest, min(n, size/2), "n=%d size=%d: no small last chunk", n, size)
			}
		} else {
			assert.Equal(t, (n+size-1)/size, parts)
			assert.LessOrEqual(t, longest-shortest, 1, "sizes differ by at most one")
		}
	}
}

// A cancelled context stops the pass between forwards; too-long labels are still
// named before anything runs.
func TestTextPassStops(t *testing.T) {
	c := openFixture(t, "tiny-l14")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := textPass{m: c.Model, tok: c.Tokenizer, batch: 2}
	_, err := embedLabels(ctx, p, []string{"a", "b", "c"}, []string{DefaultTemplate}, nil)
	assert.ErrorIs(t, err, context.Canceled)
	long := strings.Repeat("word ", 80)
	_, err = embedLabels(context.Background(), p, []string{"a", "b", long}, []string{DefaultTemplate}, nil)
	var le *LabelError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 2, le.Index)
	assert.Contains(t, err.Error(), "label 3")
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }
