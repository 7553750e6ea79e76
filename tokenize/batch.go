package tokenize

import (
	"errors"
	"fmt"

	"github.com/sugarme/tokenizer"
)

// Padding says how EncodeBatch pads.
type Padding int

const (
	// PadLongest pads every text to the longest in the batch (padding=True): what the
	// zero-shot pipeline does.
	PadLongest Padding = iota
	// PadMaxLength pads every text to the maximum length (padding="max_length").
	PadMaxLength
)

// Options are EncodeBatch's settings. The zero value is the pipeline's: pad to the longest
// text, and a text over model_max_length is an error.
type Options struct {
	Padding Padding
	// Truncate cuts a text over the maximum length to its first MaxLength-1 ids and the
	// end-of-text token (truncation=True). Off, such a text is a *TooLongError.
	Truncate bool
	// MaxLength overrides the tokenizer's model_max_length when > 0.
	MaxLength int
}

// Batch is the model's text input: one row per text, all rows as long.
type Batch struct {
	IDs           [][]int
	AttentionMask [][]int // 1 for a text's ids, 0 for padding
}

// EncodeBatch encodes texts for the model, padded to a common length with the pad token.
// An error names the first text that is too long (*TooLongError, see errors.As).
func (t *Tokenizer) EncodeBatch(texts []string, opt Options) (*Batch, error) {
	limit := t.maxLength
	if opt.MaxLength > 0 {
		limit = opt.MaxLength
	}
	if opt.Truncate && limit < 2 {
		return nil, fmt.Errorf("tokenize: truncation to %d ids cannot keep the start and end tokens", limit)
	}
	if opt.Padding == PadMaxLength && limit == 0 {
		return nil, errors.New("tokenize: padding to the maximum length, but the tokenizer has no model_max_length")
	}
	if t.pad < 0 {
		return nil, errors.New("tokenize: padding, but the tokenizer has no pad token")
	}
	rows := make([][]int, len(texts))
	longest := 0
	for i, s := range texts {
		ids := t.Encode(s)
		if limit > 0 && len(ids) > limit {
			if !opt.Truncate {
				return nil, &TooLongError{Index: i, Text: s, Tokens: len(ids), Max: limit}
			}
			ids = append(ids[:limit-1], t.eos)
		}
		rows[i] = ids
		longest = max(longest, len(ids))
	}
	params := tokenizer.PaddingParams{
		Strategy:  *tokenizer.NewPaddingStrategy(tokenizer.WithBatchLongest()),
		Direction: tokenizer.Right,
		PadId:     t.pad,
	}
	params.PadToken, _ = t.tokenString(t.pad)
	if opt.Padding == PadMaxLength {
		params.Strategy = *tokenizer.NewPaddingStrategy(tokenizer.WithFixed(limit))
		longest = limit
	}
	encs := tokenizer.PadEncodings(encodings(rows, longest), params)
	b := &Batch{IDs: make([][]int, len(encs)), AttentionMask: make([][]int, len(encs))}
	for i := range encs {
		b.IDs[i], b.AttentionMask[i] = encs[i].Ids, encs[i].AttentionMask
	}
	return b, nil
}

// encodings are the library's Encodings of rows, all attended, with room for padding to
// length: the library's padding appends to seven slices one element at a time, so each
// slice is carved from one array per field here. Only Ids and AttentionMask are read.
func encodings(rows [][]int, length int) []tokenizer.Encoding {
	n := len(rows) * length
	ids, types, special, mask, words := make([]int, n), make([]int, n), make([]int, n), make([]int, n), make([]int, n)
	tokens, offsets := make([]string, n), make([][]int, n)
	encs := make([]tokenizer.Encoding, len(rows))
	for i, row := range rows {
		lo, hi := i*length, (i+1)*length
		k := lo + len(row)
		copy(ids[lo:], row)
		for j := lo; j < k; j++ {
			mask[j] = 1
		}
		encs[i] = tokenizer.Encoding{
			Ids:              ids[lo:k:hi],
			TypeIds:          types[lo:k:hi],
			Tokens:           tokens[lo:k:hi],
			Offsets:          offsets[lo:k:hi],
			SpecialTokenMask: special[lo:k:hi],
			AttentionMask:    mask[lo:k:hi],
			Words:            words[lo:k:hi],
		}
	}
	return encs
}
