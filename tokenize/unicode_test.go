package tokenize

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

// TestUnicodeData: for every code point, the split class and the lowercase are what the
// tokenizers engines say (testdata/tokenizer/unicode.json), and no two classes overlap.
func TestUnicodeData(t *testing.T) {
	b, err := os.ReadFile("../testdata/tokenizer/unicode.json")
	require.NoError(t, err)
	var d struct {
		Letter, Number, Space [][2]rune
		Lower                 [][2]any
	}
	require.NoError(t, json.Unmarshal(b, &d))
	want := make([]charClass, unicode.MaxRune+1)
	for _, set := range []struct {
		ranges [][2]rune
		class  charClass
	}{{d.Letter, classLetter}, {d.Number, classNumber}, {d.Space, classSpace}} {
		for _, rg := range set.ranges {
			for r := rg[0]; r <= rg[1]; r++ {
				require.Equal(t, classOther, want[r], "U+%04X in two classes", r)
				want[r] = set.class
			}
		}
	}
	lower := map[rune]string{}
	for _, p := range d.Lower {
		lower[rune(p[0].(float64))] = p[1].(string)
	}
	bad := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		wantLower, ok := lower[r]
		if !ok {
			wantLower = string(r)
		}
		if got := classOf(r); got != want[r] {
			bad++
			t.Errorf("U+%04X: class %d, tokenizers %d", r, got, want[r])
		}
		if got := string(appendLower(nil, r)); got != wantLower {
			bad++
			t.Errorf("U+%04X: lowercase %+q, tokenizers %+q", r, got, wantLower)
		}
		if bad > 20 {
			t.Fatal("too many differences")
		}
	}
}

// TestCodePoints: the ids of "a"+c+c+"!" for every code point c hash to what Hugging Face's
// give, block by block (testdata/tokenizer/codepoints.json).
func TestCodePoints(t *testing.T) {
	if testing.Short() {
		t.Skip("1.1M encodings")
	}
	b, err := os.ReadFile("../testdata/tokenizer/codepoints.json")
	require.NoError(t, err)
	var d struct {
		Blocks []struct {
			First, Last rune
			Count       int
			SHA256      string
		}
	}
	require.NoError(t, json.Unmarshal(b, &d))
	tok := clip(t)
	var ids []int
	var buf []byte
	total := 0
	for _, blk := range d.Blocks {
		h := sha256.New()
		n := 0
		for r := blk.First; r <= blk.Last; r++ {
			if r >= 0xD800 && r < 0xE000 {
				continue
			}
			n++
			ids = tok.appendIDs(ids[:0], "a"+string(r)+string(r)+"!")
			buf = buf[:0]
			for _, id := range append(ids, -1) {
				buf = binary.LittleEndian.AppendUint32(buf, uint32(int32(id)))
			}
			h.Write(buf)
		}
		require.Equal(t, blk.Count, n)
		if got := hex.EncodeToString(h.Sum(nil)); got != blk.SHA256 {
			t.Errorf("code points U+%04X..U+%04X: ids differ from Hugging Face's", blk.First, blk.Last)
		}
		total += n
	}
	require.Equal(t, 0x110000-0x800, total)
}

// TestNormalize: normalize gives Hugging Face's normalizer output for every corpus string
// that has it (all but the ASCII label groups).
func TestNormalize(t *testing.T) {
	n := 0
	for i, c := range corpus(t) {
		if c.Normalized == nil {
			continue
		}
		n++
		require.Equal(t, *c.Normalized, string(normalize(nil, c.Text)), "case %d %+q", i, c.Text)
	}
	require.Greater(t, n, 5000)
}

// TestNFC: cases where norm.NFC is not the tokenizers crate's NFC.
func TestNFC(t *testing.T) {
	for _, tc := range []struct{ in, want, norm string }{
		{"e\u0301", "é", "é"},
		{"\u1100\u1161\u11a8", "각", "각"},
		{"\u212b", "Å", "Å"},
		{"\u0958", "\u0915\u093c", "\u0915\u093c"}, // composition exclusion
		// U+1E130 (Unicode 12) has no combining class in 9.0: no reordering.
		{"a\U0001e130\u0316", "a\U0001e130\u0316", "a\u0316\U0001e130"},
		// U+11938 (Unicode 13) = U+11935 U+11930 is no composition in 9.0.
		{"\U00011935\U00011930", "\U00011935\U00011930", "\U00011938"},
		// No Stream-Safe limit: norm inserts U+034F after 30 non-starters.
		{"a" + strings.Repeat("\u0301", 40) + "\u0316", "á\u0316" + strings.Repeat("\u0301", 39),
			"á" + strings.Repeat("\u0301", 29) + "\u034f\u0316" + strings.Repeat("\u0301", 10)},
		// U+0B3E (a starter) blocks U+0301 from Å; norm composes them.
		{"\u212b\u0b3e\u0301\u0f71\u030a\u030a\u20d7\u0327", "Å\u0b3e\u0f71\u0327\u0301\u030a\u030a\u20d7",
			"Ǻ\u0b3e\u0f71\u0327\u030a\u030a\u20d7"},
	} {
		require.Equal(t, tc.want, nfc(tc.in), "%+q", tc.in)
		require.Equal(t, tc.norm, norm.NFC.String(tc.in), "norm.NFC %+q", tc.in)
	}
}

// isNFC's bit set: every character it passes is one NFC leaves alone, between two others.
func TestIsNFC(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		s := string(r)
		if r >= 0xD800 && r < 0xE000 || !isNFC(s) {
			continue
		}
		if got := nfcFull("a" + s + "a"); got != "a"+s+"a" {
			t.Fatalf("U+%04X: passed as stable, but NFC gives %+q", r, got)
		}
	}
	require.False(t, isNFC("\u212b"))
	require.False(t, isNFC("a\u0301"))
	require.True(t, isNFC("é 각 猫 😀 \U0001e130"))
}
