package tokenize

// The pieces of github.com/sugarme/tokenizer v0.3.0 that tokenize replaces, each with the
// library's behaviour on CLIP's tokenizer.json and what Hugging Face gives instead. If one
// of these tests fails after a library upgrade, the library may have been fixed and the
// replacement can go.

import (
	"testing"

	"github.com/stretchr/testify/require"
	sugar "github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/model/bpe"
	"github.com/sugarme/tokenizer/normalizer"
	"github.com/sugarme/tokenizer/pretokenizer"
	"github.com/sugarme/tokenizer/pretrained"
	"github.com/sugarme/tokenizer/processor"
)

const clipJSON = "../testdata/tokenizer/clip/tokenizer.json"

func libraryConfig(t *testing.T) *sugar.Config {
	cfg, err := sugar.ConfigFromFile(clipJSON)
	require.NoError(t, err)
	return cfg
}

// RobertaProcessing (replaced by appendIDs' start and end tokens): with CLIP's
// trim_offsets false it dereferences nil, so EncodeSingle(text, true) panics.
func TestLibraryRobertaProcessingPanics(t *testing.T) {
	tk, err := pretrained.FromFile(clipJSON)
	require.NoError(t, err)
	require.Panics(t, func() { _, _ = tk.EncodeSingle("a photo of a cat", true) })
	require.Panics(t, func() {
		p := processor.NewRobertaProcessing(processor.PostToken{Value: "<|endoftext|>", Id: 49407},
			processor.PostToken{Value: "<|startoftext|>", Id: 49406}, false, false)
		p.Process(sugar.NewEncodingFromTokens([]sugar.Token{{Id: 320, Value: "a</w>", Offsets: []int{0, 1}}}, 0), nil, true)
	})
	require.Equal(t, []int{49406, 320, 1125, 539, 320, 2368, 49407}, clip(t).Encode("a photo of a cat"))
}

// The whole library pipeline without its post-processor: wrong ids (no "</w>", NBSP kept).
func TestLibraryPipelineIDs(t *testing.T) {
	tk, err := pretrained.FromFile(clipJSON)
	require.NoError(t, err)
	tk.WithPostProcessor(nil)
	for _, tc := range []struct {
		text        string
		library, hf []int
	}{
		{"a photo of a cat", []int{64, 1153, 684, 64, 1481}, []int{320, 1125, 539, 320, 2368}},
		{"Hello, World!  it's 2024", []int{12887, 11, 2334, 0, 529, 6, 82, 17, 15, 17, 19},
			[]int{3306, 267, 1002, 256, 585, 568, 273, 271, 273, 275}},
		{"a\u00a0b", []int{64, 126, 254, 65}, []int{320, 321}},
	} {
		en, err := tk.EncodeSingle(tc.text, false)
		require.NoError(t, err)
		require.Equal(t, tc.library, en.Ids, "library %q", tc.text)
		ids := clip(t).Encode(tc.text)
		require.Equal(t, tc.hf, ids[1:len(ids)-1], "tokenize %q", tc.text)
	}
}

// Normalizers (replaced by normalize and nfc): the Replace loader tests the wrong map for
// {"Regex": "\\s+"} and builds an empty literal pattern, so whitespace is not collapsed;
// NFC iterates with the NFD form, so it decomposes; Lowercase is strings.ToLower.
func TestLibraryNormalizers(t *testing.T) {
	seq, err := pretrained.CreateNormalizer(libraryConfig(t).Normalizer)
	require.NoError(t, err)
	run := func(n normalizer.Normalizer, s string) string {
		out, err := n.Normalize(normalizer.NewNormalizedFrom(s))
		require.NoError(t, err)
		return out.GetNormalized()
	}
	for _, tc := range []struct {
		name            string
		lib             normalizer.Normalizer
		in, library, hf string
	}{
		{"Replace via loader", seq, "A  b\u00a0\u3000c", "a  b\u00a0\u3000c", "a b c"},
		{"NFC via loader", seq, "e\u0301", "e\u0301", "é"},
		{"NFC", normalizer.NewNFC(), "A\u030a", "A\u030a", "å"},
		{"NFC singleton", normalizer.NewNFC(), "\u212b", "A\u030a", "å"},
		{"Lowercase İ", normalizer.Lowercase(), "\u0130", "i", "i\u0307"},
		{"Lowercase Unicode 16", normalizer.Lowercase(), "\ua7cb", "\ua7cb", "\u0264"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.library, run(tc.lib, tc.in))
			require.Equal(t, tc.hf, string(normalize(nil, tc.in)))
		})
	}
}

// Split pre-tokenizer (replaced by splitWords): Go's regexp \s is ASCII, so a no-break
// space is kept as a word where Oniguruma drops it, and its \p{L} is Unicode 15.0, so a
// Unicode 16 letter (U+13460, Egyptian hieroglyph) splits a word.
func TestLibrarySplit(t *testing.T) {
	pre := libraryConfig(t).PreTokenizer["pretokenizers"].([]interface{})[0].(map[string]interface{})
	split, err := pretrained.CreatePreTokenizer(pre)
	require.NoError(t, err)
	for _, tc := range []struct {
		in          string
		library, hf []string
	}{
		{"a\u00a0b", []string{"a", "\u00a0", "b"}, []string{"a", "b"}},
		{"a\u3000b", []string{"a", "\u3000", "b"}, []string{"a", "b"}},
		{"a\U00013460b", []string{"a", "\U00013460", "b"}, []string{"a\U00013460b"}},
		{"it's", []string{"it", "'s"}, []string{"it", "'s"}}, // this part works
	} {
		pt, err := split.PreTokenize(sugar.NewPreTokenizedString(tc.in))
		require.NoError(t, err)
		var got []string
		for _, s := range pt.GetSplits(normalizer.OriginalTarget, sugar.Byte) {
			got = append(got, s.Value)
		}
		require.Equal(t, tc.library, got, "library %+q", tc.in)
		got = nil
		splitWords(tc.in, func(w string) { got = append(got, w) })
		require.Equal(t, tc.hf, got, "splitWords %+q", tc.in)
	}
}

// BPE (replaced by wordBPE.merge, on the library model's tables): MergeWord never appends
// the end-of-word suffix (its last-rune test is off by one), so "cat" gives "cat", not
// "cat</w>", and "'s" stays "'" "s" (the "it's" of the pipeline test).
func TestLibraryBPESuffix(t *testing.T) {
	m := clip(t).model
	for _, tc := range []struct {
		word        string
		library, hf []int
	}{
		{"cat", []int{1481}, []int{2368}},
		{"'s", []int{6, 82}, []int{568}},
		{"a", []int{64}, []int{320}},
	} {
		toks, err := m.Tokenize(tc.word)
		require.NoError(t, err)
		var ids []int
		for _, tok := range toks {
			ids = append(ids, tok.Id)
		}
		require.Equal(t, tc.library, ids, "library %q", tc.word)
		require.Equal(t, tc.hf, clip(t).words.merge(tc.word), "merge %q", tc.word)
	}
}

// BPE MergeAll breaks ties between equal ranks (the same pair at several places) by a
// timestamp it never sets, not by position: on "aaaaa" with the one merge a+a it can merge
// positions 0-1 and 3-4 where Hugging Face merges 0-1 and 2-3.
func TestLibraryBPETies(t *testing.T) {
	vocab := map[string]int{"a": 0, "aa": 1, "a</w>": 2}
	suffix, unk := "</w>", "a"
	m, err := bpe.New(vocab, []string{"a a"}, nil, &unk, nil, &suffix)
	require.NoError(t, err)
	w := bpe.NewWord()
	for range 5 {
		w.Add(0, 1)
	}
	w.MergeAll(*m.Merges)
	require.Equal(t, []int{1, 0, 1}, w.GetChars(), "library: aa a aa")
	words, err := newWordBPE(m)
	require.NoError(t, err)
	words.last['a'] = 0 // compare the merge order only: no suffix on the last symbol
	require.Equal(t, []int{1, 1, 0}, words.merge("aaaaa"), "Hugging Face: aa aa a")
}

// ByteLevel decoder (replaced by Decode): bytes that are not valid UTF-8 come back as they
// are; Hugging Face (String::from_utf8_lossy) gives U+FFFD.
func TestLibraryByteLevelDecode(t *testing.T) {
	tok := clip(t)
	s1, _ := tok.tokenString(128)
	s2, _ := tok.tokenString(129)
	got := (&pretokenizer.ByteLevel{}).Decode([]string{s1, s2})
	require.Equal(t, "\xc4\xc5", got)
	require.Equal(t, "\ufffd\ufffd", tok.Decode([]int{128, 129}, false))
}
