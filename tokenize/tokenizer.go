package tokenize

import (
	"github.com/sugarme/tokenizer/model/bpe"
)

// Tokenizer turns text into CLIP token ids. Create one with Load or LoadFS. It is safe for
// concurrent use by multiple goroutines.
type Tokenizer struct {
	model      *bpe.BPE // the library's BPE model: vocabulary, merges, suffix
	words      *wordBPE
	raw        matcher // added tokens matched before normalization
	normalized matcher // added tokens matched in the normalized text
	added      map[int]addedToken
	bos, eos   int // wrapped around every text (post_processor's cls and sep)
	pad        int // -1: no pad token
	maxLength  int // model_max_length; 0: no limit
}

// Encode returns the ids of text, start- and end-of-text tokens included, as
// CLIPTokenizerFast(text)["input_ids"] gives them: no length limit, no padding.
func (t *Tokenizer) Encode(text string) []int {
	return t.appendIDs(make([]int, 0, len(text)/3+4), text)
}

// EncodeAll returns the ids of each text, as Encode does.
func (t *Tokenizer) EncodeAll(texts []string) [][]int {
	out := make([][]int, len(texts))
	for i, s := range texts {
		out[i] = t.Encode(s)
	}
	return out
}

func (t *Tokenizer) appendIDs(dst []int, text string) []int {
	text = toValidUTF8(text)
	dst = append(dst, t.bos)
	var buf []byte
	t.raw.split(text, func(piece string) {
		buf = normalize(buf[:0], piece)
		t.normalized.split(string(buf), func(s string) {
			splitWords(s, func(word string) { dst = t.words.appendWord(dst, word) })
		}, func(id int) { dst = append(dst, id) })
	}, func(id int) { dst = append(dst, id) })
	return append(dst, t.eos)
}

// MaxLength is the tokenizer's model_max_length (77 for CLIP), or 0 if it has none.
func (t *Tokenizer) MaxLength() int { return t.maxLength }

// BOS is the id put before every text (<|startoftext|>).
func (t *Tokenizer) BOS() int { return t.bos }

// EOS is the id put after every text (<|endoftext|>).
func (t *Tokenizer) EOS() int { return t.eos }

// PadID is the id of the padding token, or -1 if the tokenizer has none.
func (t *Tokenizer) PadID() int { return t.pad }

// VocabSize is the number of ids, added tokens included.
func (t *Tokenizer) VocabSize() int {
	n := len(*t.model.Vocab)
	for id := range t.added {
		if _, ok := (*t.model.VocabR)[id]; !ok {
			n++
		}
	}
	return n
}
