package zeroshot

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
)

func randomUnit(r *rand.Rand, rows, cols int) clip.Matrix {
	m := clip.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := 0; i < rows; i++ {
		var ss float64
		row := m.Row(i)
		for j := range row {
			row[j] = float32(r.NormFloat64())
			ss += float64(row[j]) * float64(row[j])
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / math.Sqrt(ss))
		}
	}
	return m
}

// Scores against many labels, computed in label slabs and softmax groups, equal the
// unsplit computation bit for bit (two or more images, batched; one image is never
// split). Per image, each image's scores are its one-image logits'.
func TestScoreInSlabs(t *testing.T) {
	if !golden.Unpinned(t) {
		return
	}
	c := openFixtureWith(t, "tiny-l14", Options{Parity: Parity454, Batching: BatchingBatched})
	perImg := New(c.Model, c.Processor, c.Tokenizer, Options{Parity: Parity454, Batching: BatchingPerImage})
	r := rand.New(rand.NewSource(5))
	d := c.Model.Config().ProjectionDim
	for trial := 0; trial < 8; trial++ {
		n, images := 1+r.Intn(3000), 1+r.Intn(9)
		labels := &Labels{Embeds: randomUnit(r, n, d)}
		for i := 0; i < n; i++ {
			labels.Labels = append(labels.Labels, fmt.Sprint("label ", i))
		}
		img := randomUnit(r, images, d)
		perImage, _, err := c.Model.Logits(img, labels.Embeds)
		require.NoError(t, err)
		probs, err := Softmax(perImage)
		require.NoError(t, err)
		topK := []int{0, 1, 5, n}[r.Intn(4)]
		want := make([][]Result, images)
		for i := range want {
			want[i] = rank(labels.Labels, probs.Row(i), topK)
		}
		setVar(t, &scoreSlab, 1+r.Intn(500))
		setVar(t, &softmaxElems, 1+r.Intn(3*n))
		got, err := c.Score(img, labels, topK)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%d images × %d labels, slab %d, softmax %d, top-k %d", images, n, scoreSlab, softmaxElems, topK)

		got, err = perImg.Score(img, labels, topK)
		require.NoError(t, err)
		for i := 0; i < images; i++ {
			one := clip.Matrix{Rows: 1, Cols: d, Data: img.Row(i)}
			alone, _, err := c.Model.Logits(one, labels.Embeds)
			require.NoError(t, err)
			p, err := Softmax(alone)
			require.NoError(t, err)
			assert.Equal(t, rank(labels.Labels, p.Row(0), topK), got[i], "per image: image %d of %d", i, images)
		}
	}
}

// Top-k by heap selection is the stable sort's first k, ties (many, here) included.
func TestRankTopK(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for trial := 0; trial < 3000; trial++ {
		n := 1 + r.Intn(60)
		labels := make([]string, n)
		probs := make([]float32, n)
		levels := 1 + r.Intn(6) // few distinct scores: many ties
		for i := range probs {
			labels[i] = fmt.Sprint(i)
			probs[i] = float32(r.Intn(levels)) / 7
		}
		k := r.Intn(n + 2)
		all := make([]Result, n)
		for i := range all {
			all[i] = Result{Score: float64(probs[i]), Label: labels[i]}
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].Score > all[j].Score })
		want := all
		if k > 0 && k < n {
			want = all[:k]
		}
		require.Equal(t, want, rank(labels, probs, k), "n=%d k=%d %v", n, k, probs)
	}
}
