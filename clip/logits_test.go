package clip

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
)

func identical(t *testing.T, what string, got, want Matrix) {
	t.Helper()
	require.Equal(t, []int{want.Rows, want.Cols}, []int{got.Rows, got.Cols}, what)
	r, err := golden.Compare(got.Data, want.Data)
	require.NoError(t, err)
	assert.True(t, r.Identical(), "%s: %s", what, r)
}

// The caching flow a pipeline uses — label embeddings computed once, image
// embeddings per image, Logits — gives Forward's bits.
func TestLogitsFromCachedEmbeddings(t *testing.T) {
	skipWithoutFixtures(t)
	for _, name := range fixtureModels {
		for _, dt := range []DType{Float32, BFloat16} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				g := loadGoldens(t, goldenDir(t, modelDir(name)))
				m, err := Load(modelDir(name), Options{DType: dt, Threads: 1})
				require.NoError(t, err)
				defer m.Close()

				labels, err := m.TextEmbeds(g.tokens) // cached once
				require.NoError(t, err)
				full, err := m.Forward(g.pixels, g.tokens)
				require.NoError(t, err)
				identical(t, "text_embeds", labels, full.TextEmbeds)
				imgs, err := m.ImageEmbeds(g.pixels)
				require.NoError(t, err)
				identical(t, "image_embeds", imgs, full.ImageEmbeds)
				perImage, perText, err := m.Logits(imgs, labels)
				require.NoError(t, err)
				identical(t, "logits_per_image", perImage, full.LogitsPerImage)
				identical(t, "logits_per_text", perText, full.LogitsPerText)

				// One image at a time, as the pipeline runs, against a one-image Forward.
				per := g.pixels.Height * g.pixels.Width * g.pixels.Channels
				for i := 0; i < g.pixels.Batch; i++ {
					one := g.pixels
					one.Batch, one.Data = 1, g.pixels.Data[i*per:(i+1)*per]
					want, err := m.Forward(one, g.tokens)
					require.NoError(t, err)
					img, err := m.ImageEmbeds(one)
					require.NoError(t, err)
					got, _, err := m.Logits(img, labels)
					require.NoError(t, err)
					identical(t, "one image", got, want.LogitsPerImage)
				}
			})
		}
	}
}

func TestInputErrors(t *testing.T) {
	skipWithoutFixtures(t)
	g := loadGoldens(t, goldenDir(t, modelDir("odd")))
	m, err := Load(modelDir("odd"), Options{Threads: 1})
	require.NoError(t, err)
	defer m.Close()
	px, tok := g.pixels, g.tokens
	wrongSize := px
	wrongSize.Height, wrongSize.Width = 32, px.Width*2
	tooLong := Tokens{InputIDs: make([]int64, 41), Batch: 1, Len: 41}
	badID := Tokens{InputIDs: []int64{1, 99999}, Batch: 1, Len: 2}
	short := Tokens{InputIDs: []int64{1, 2}, AttentionMask: []int64{1}, Batch: 1, Len: 2}
	for _, tt := range []struct {
		name string
		px   Pixels
		tok  Tokens
		arg  string
	}{
		{"empty pixels", Pixels{}, tok, "pixel_values"},
		{"image size", wrongSize, tok, "pixel_values"},
		{"too long", px, tooLong, "input_ids"},
		{"id out of vocab", px, badID, "input_ids"},
		{"mask length", px, short, "attention_mask"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Forward(tt.px, tt.tok)
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tt.arg, ie.Arg)
		})
	}
	_, _, err = m.Logits(Matrix{Data: make([]float32, 5), Rows: 1, Cols: 5}, Matrix{Data: make([]float32, 24), Rows: 1, Cols: 24})
	assert.Error(t, err)
	// The model still works after bad inputs.
	_, err = m.Forward(px, tok)
	assert.NoError(t, err)
}
