package tokenize

import (
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzEncode: any bytes (invalid UTF-8 included) encode without panic to ids in the
// vocabulary, start- and end-wrapped; invalid UTF-8 encodes as its U+FFFD replacement does;
// a batch of it pads or errors; decoding gives valid UTF-8; both BPE merge loops agree.
//
//	go test ./tokenize/ -run '^$' -fuzz FuzzEncode -fuzztime 5m
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "a photo of a cat", "it's <|endoftext|> 😀\u00a0x", "\xff\xe2\x82",
		"e\u0301\u0316\u0301", "İSTANBUL ΣΑΣ", "\U0001e130\u0316", "'''s", "ﬁ\u3000１２"} {
		f.Add([]byte(s))
	}
	tok := clip(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		s := string(b)
		ids := tok.Encode(s)
		if len(ids) < 2 || ids[0] != tok.BOS() || ids[len(ids)-1] != tok.EOS() {
			t.Fatalf("%+q: %v", s, ids)
		}
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("%+q: id %d", s, id)
			}
		}
		if v := toValidUTF8(s); !utf8.ValidString(v) || utf8.ValidString(s) && v != s {
			t.Fatalf("%+q → %+q", s, v)
		} else if !slices.Equal(tok.Encode(v), ids) {
			t.Fatalf("%+q: not the ids of its replacement %+q", s, v)
		}
		splitWords(string(normalize(nil, toValidUTF8(s))), func(word string) {
			syms := make([]int32, len(word))
			for i := range word {
				syms[i] = tok.words.first[word[i]]
			}
			syms[len(syms)-1] = tok.words.last[word[len(word)-1]]
			if a, b := tok.words.mergeScan(slices.Clone(syms)), tok.words.mergeHeap(syms); !slices.Equal(a, b) {
				t.Fatalf("%+q: word %+q merges to %v by scan, %v by heap", s, word, a, b)
			}
		})
		if d := tok.Decode(ids, true); !utf8.ValidString(d) {
			t.Fatalf("%+q: decoded %+q", s, d)
		}
		batch, err := tok.EncodeBatch([]string{s, "a"}, Options{})
		if err == nil && (len(batch.IDs[0]) != len(batch.IDs[1]) || !slices.Equal(batch.IDs[0][:len(ids)], ids)) {
			t.Fatalf("%+q: batch %v", s, batch.IDs)
		}
		if err != nil && len(ids) <= tok.MaxLength() {
			t.Fatalf("%+q: %v", s, err)
		}
	})
}
