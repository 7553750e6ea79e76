package tokenize

import (
	"strings"
	"unicode"

	"github.com/sugarme/tokenizer/pretokenizer"
)

// Decode returns the text of ids as CLIPTokenizerFast.decode does: tokens joined, the
// byte-level alphabet mapped back to bytes (invalid UTF-8 → U+FFFD per maximal subpart),
// each end-of-word suffix "</w>" replaced by a space, and the result stripped of
// whitespace as Python's str.strip() sees it. skipSpecial drops special tokens
// (skip_special_tokens=True). Ids that are not in the vocabulary are skipped.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	var b []byte
	for _, id := range ids {
		if a, ok := t.added[id]; ok && skipSpecial && a.Special {
			continue
		}
		tok, ok := t.tokenString(id)
		if !ok {
			continue
		}
		b = appendTokenBytes(b, tok)
	}
	s := toValidUTF8(string(b))
	if suffix := t.model.EndOfWordSuffix; suffix != nil && *suffix != "" {
		s = strings.ReplaceAll(s, *suffix, " ")
	}
	return strings.TrimFunc(s, isPythonSpace)
}

// appendTokenBytes is the tokenizers ByteLevel decoder on one token: its characters mapped
// back to bytes if all are in the byte-level alphabet, else the token's own UTF-8.
func appendTokenBytes(dst []byte, tok string) []byte {
	n := len(dst)
	for _, r := range tok {
		c, ok := pretokenizer.CharBytes[string(r)]
		if !ok {
			return append(dst[:n], tok...)
		}
		dst = append(dst, c)
	}
	return dst
}

// isPythonSpace is str.isspace for one character: White_Space plus U+001C..U+001F, which
// Python counts (bidirectional class B or S) and Unicode does not.
func isPythonSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1C && r <= 0x1F
}
