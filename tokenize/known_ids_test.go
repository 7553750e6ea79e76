package tokenize

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	clipOnce sync.Once
	clipTok  *Tokenizer
	clipErr  error
)

// clip is the real CLIP ViT-L/14 tokenizer, from the copy in testdata.
func clip(tb testing.TB) *Tokenizer {
	tb.Helper()
	clipOnce.Do(func() { clipTok, clipErr = Load("../testdata/tokenizer/clip") })
	require.NoError(tb, clipErr)
	return clipTok
}

// The ids of parity-spec §3.4, computed there from vocab.json and merges.txt.
func TestKnownIDs(t *testing.T) {
	tok := clip(t)
	for _, tc := range []struct {
		text string
		ids  []int
	}{
		{"a photo of a cat", []int{49406, 320, 1125, 539, 320, 2368, 49407}},
		{"a photo of a dog", []int{49406, 320, 1125, 539, 320, 1929, 49407}},
		{"This is a photo of cat.", []int{49406, 589, 533, 320, 1125, 539, 2368, 269, 49407}},
		{"This is a photo of dog.", []int{49406, 589, 533, 320, 1125, 539, 1929, 269, 49407}},
		{"Hello, World!  it's 2024", []int{49406, 3306, 267, 1002, 256, 585, 568, 273, 271, 273, 275, 49407}},
		{"naïve café", []int{49406, 1097, 35689, 563, 15304, 49407}},
		{"a\u00a0b", []int{49406, 320, 321, 49407}},
		{"photographie 😀", []int{49406, 36754, 30237, 7334, 49407}},
		{"", []int{49406, 49407}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			require.Equal(t, tc.ids, tok.Encode(tc.text))
		})
	}
}
