package tokenize

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// corpusCase is one line of testdata/tokenizer/corpus.jsonl, written by
// testdata/gen/gen_tokenizer.py with Hugging Face's CLIPTokenizerFast.
type corpusCase struct {
	Group       string  `json:"group"`
	Text        string  `json:"text"`
	IDs         []int   `json:"ids"`
	Decoded     string  `json:"decoded"`
	DecodedSkip string  `json:"decoded_skip"`
	Normalized  *string `json:"normalized"` // the normalizer's output; absent for ASCII labels
}

// golden is testdata/tokenizer/golden.json.
type golden struct {
	InvalidUTF8 []struct {
		BytesHex string `json:"bytes_hex"`
		Text     string `json:"text"`
		IDs      []int  `json:"ids"`
	} `json:"invalid_utf8"`
	Batches []struct {
		Texts         []string `json:"texts"`
		Padding       string   `json:"padding"`
		Truncation    bool     `json:"truncation"`
		InputIDs      [][]int  `json:"input_ids"`
		AttentionMask [][]int  `json:"attention_mask"`
	} `json:"batches"`
	Decodes []struct {
		IDs         []int  `json:"ids"`
		SkipSpecial bool   `json:"skip_special"`
		Text        string `json:"text"`
	} `json:"decodes"`
	VocabMergesDiff []struct {
		Index int   `json:"index"`
		IDs   []int `json:"ids"`
	} `json:"vocab_merges_diff"`
}

var loadCorpus = sync.OnceValues(func() ([]corpusCase, error) {
	f, err := os.Open("../testdata/tokenizer/corpus.jsonl")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	sc.Scan() // the meta line
	var cases []corpusCase
	for sc.Scan() {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, sc.Err()
})

var loadGolden = sync.OnceValues(func() (*golden, error) {
	b, err := os.ReadFile("../testdata/tokenizer/golden.json")
	if err != nil {
		return nil, err
	}
	var g golden
	return &g, json.Unmarshal(b, &g)
})

func corpus(tb testing.TB) []corpusCase {
	tb.Helper()
	cases, err := loadCorpus()
	require.NoError(tb, err)
	require.Greater(tb, len(cases), 5000)
	return cases
}

func goldens(tb testing.TB) *golden {
	tb.Helper()
	g, err := loadGolden()
	require.NoError(tb, err)
	return g
}

// TestCorpus: every string of the corpus gets Hugging Face's ids, exactly.
func TestCorpus(t *testing.T) {
	tok := clip(t)
	cases := corpus(t)
	exact := 0
	for i, c := range cases {
		got := tok.Encode(c.Text)
		if slices.Equal(got, c.IDs) {
			exact++
			continue
		}
		t.Errorf("case %d (%s) %+q:\n got %v\nwant %v", i, c.Group, c.Text, got, c.IDs)
	}
	t.Logf("corpus: %d of %d exact", exact, len(cases))
}

// TestDecodeCorpus: Decode gives CLIPTokenizerFast.decode's text for every corpus string.
func TestDecodeCorpus(t *testing.T) {
	tok := clip(t)
	exact := 0
	for i, c := range corpus(t) {
		got, gotSkip := tok.Decode(c.IDs, false), tok.Decode(c.IDs, true)
		if got == c.Decoded && gotSkip == c.DecodedSkip {
			exact++
			continue
		}
		t.Errorf("case %d (%s) %+q:\n got %+q, %+q\nwant %+q, %+q", i, c.Group, c.Text, got, gotSkip, c.Decoded, c.DecodedSkip)
	}
	t.Logf("decode corpus: %d exact", exact)
}

// TestDecodeArbitrary: decoding arbitrary id sequences (byte fragments, specials) matches.
func TestDecodeArbitrary(t *testing.T) {
	tok := clip(t)
	for i, d := range goldens(t).Decodes {
		require.Equal(t, d.Text, tok.Decode(d.IDs, d.SkipSpecial), "decode %d %v skip=%v", i, d.IDs, d.SkipSpecial)
	}
}

// TestInvalidUTF8: invalid bytes get the ids Python gets after bytes.decode("utf-8", "replace").
func TestInvalidUTF8(t *testing.T) {
	tok := clip(t)
	for _, c := range goldens(t).InvalidUTF8 {
		b, err := hex.DecodeString(c.BytesHex)
		require.NoError(t, err)
		require.Equal(t, c.Text, toValidUTF8(string(b)), "bytes %s", c.BytesHex)
		require.Equal(t, c.IDs, tok.Encode(string(b)), "bytes %s", c.BytesHex)
	}
}

// TestBatches: padding (longest, max_length), truncation and masks as Hugging Face's.
func TestBatches(t *testing.T) {
	tok := clip(t)
	for i, c := range goldens(t).Batches {
		opt := Options{Truncate: c.Truncation}
		switch c.Padding {
		case "longest":
			opt.Padding = PadLongest
		case "max_length":
			opt.Padding = PadMaxLength
		default:
			t.Fatalf("batch %d: padding %q", i, c.Padding)
		}
		b, err := tok.EncodeBatch(c.Texts, opt)
		require.NoError(t, err, "batch %d", i)
		require.Equal(t, c.InputIDs, b.IDs, "batch %d", i)
		require.Equal(t, c.AttentionMask, b.AttentionMask, "batch %d", i)
	}
}

// TestVocabMerges: without tokenizer.json, vocab.json + merges.txt give what transformers'
// conversion of the slow tokenizer gives (its added tokens are all normalized).
func TestVocabMerges(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"} {
		b, err := os.ReadFile("../testdata/tokenizer/clip/" + name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dir+"/"+name, b, 0o644))
	}
	tok, err := Load(dir)
	require.NoError(t, err)
	cases := corpus(t)
	want := make([][]int, len(cases))
	for i, c := range cases {
		want[i] = c.IDs
	}
	for _, d := range goldens(t).VocabMergesDiff {
		want[d.Index] = d.IDs
	}
	exact := 0
	for i, c := range cases {
		if got := tok.Encode(c.Text); slices.Equal(got, want[i]) {
			exact++
		} else {
			t.Errorf("case %d %+q:\n got %v\nwant %v", i, c.Text, got, want[i])
		}
	}
	t.Logf("vocab.json + merges.txt: %d of %d exact", exact, len(cases))
}
