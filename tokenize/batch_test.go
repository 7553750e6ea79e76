package tokenize

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEncodeBatch(t *testing.T) {
	tok := clip(t)
	long := strings.Repeat("cat ", 80) // 80 words: 82 ids
	for _, tc := range []struct {
		name    string
		texts   []string
		opt     Options
		ids     [][]int
		mask    [][]int
		tooLong *TooLongError
	}{
		{
			name:  "longest",
			texts: []string{"a photo of a cat", "a dog"},
			ids:   [][]int{{49406, 320, 1125, 539, 320, 2368, 49407}, {49406, 320, 1929, 49407, 49407, 49407, 49407}},
			mask:  [][]int{{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0}},
		},
		{
			name:  "max length option",
			texts: []string{"a dog"},
			opt:   Options{Padding: PadMaxLength, MaxLength: 6},
			ids:   [][]int{{49406, 320, 1929, 49407, 49407, 49407}},
			mask:  [][]int{{1, 1, 1, 1, 0, 0}},
		},
		{
			name:  "truncate keeps the end-of-text token",
			texts: []string{"a photo of a cat"},
			opt:   Options{Truncate: true, MaxLength: 5},
			ids:   [][]int{{49406, 320, 1125, 539, 49407}},
			mask:  [][]int{{1, 1, 1, 1, 1}},
		},
		{
			name:    "too long",
			texts:   []string{"a dog", long},
			tooLong: &TooLongError{Index: 1, Text: long, Tokens: 82, Max: 77},
		},
		{
			name:    "too long, padding to max length",
			texts:   []string{long},
			opt:     Options{Padding: PadMaxLength},
			tooLong: &TooLongError{Index: 0, Text: long, Tokens: 82, Max: 77},
		},
		{
			name: "empty batch",
			ids:  [][]int{},
			mask: [][]int{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tok.EncodeBatch(tc.texts, tc.opt)
			if tc.tooLong != nil {
				var e *TooLongError
				require.True(t, errors.As(err, &e), "%v", err)
				require.Equal(t, tc.tooLong, e)
				require.Contains(t, err.Error(), "82 tokens")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ids, b.IDs)
			require.Equal(t, tc.mask, b.AttentionMask)
		})
	}
}

func TestEncodeBatchTruncateAll77(t *testing.T) {
	b, err := clip(t).EncodeBatch([]string{strings.Repeat("cat ", 100), "<|endoftext|>"}, Options{Truncate: true})
	require.NoError(t, err)
	require.Len(t, b.IDs[0], 77)
	require.Equal(t, 49407, b.IDs[0][76])
	require.Equal(t, []int{49406, 49407, 49407}, b.IDs[1][:3])
	require.Equal(t, []int{1, 1, 1, 0}, b.AttentionMask[1][:4])
}

func TestEncodeBatchBadOptions(t *testing.T) {
	_, err := clip(t).EncodeBatch([]string{"a"}, Options{Truncate: true, MaxLength: 1})
	require.Error(t, err)
	noMax := *clip(t)
	noMax.maxLength = 0
	_, err = noMax.EncodeBatch([]string{"a"}, Options{Padding: PadMaxLength})
	require.Error(t, err)
	b, err := noMax.EncodeBatch([]string{strings.Repeat("a ", 100)}, Options{})
	require.NoError(t, err, "no model_max_length: no limit")
	require.Len(t, b.IDs[0], 102)
	noPad := *clip(t)
	noPad.pad = -1
	_, err = noPad.EncodeBatch([]string{"a"}, Options{})
	require.Error(t, err)
}

func TestAccessors(t *testing.T) {
	tok := clip(t)
	require.Equal(t, 77, tok.MaxLength())
	require.Equal(t, 49406, tok.BOS())
	require.Equal(t, 49407, tok.EOS())
	require.Equal(t, 49407, tok.PadID())
	require.Equal(t, 49408, tok.VocabSize())
}
