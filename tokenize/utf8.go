package tokenize

import (
	"strings"
	"unicode/utf8"
)

// toValidUTF8 returns s with each maximal subpart of an ill-formed sequence replaced by one
// U+FFFD: what Python's bytes.decode("utf-8", "replace") and Rust's String::from_utf8_lossy
// do (Unicode §3.9, "U+FFFD Substitution of Maximal Subparts"). strings.ToValidUTF8 merges a
// run of bad bytes into one U+FFFD and utf8.DecodeRune replaces byte by byte; neither agrees.
func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n > 1 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += maximalSubpart(s[i:])
	}
	return b.String()
}

// maximalSubpart is the length (≥ 1) of the longest prefix of s, which starts with an
// ill-formed sequence, that is a prefix of some well-formed UTF-8 sequence.
func maximalSubpart(s string) int {
	var need int
	lo, hi := byte(0x80), byte(0xBF) // range of the second byte
	switch c := s[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default: // a continuation byte, C0, C1 or F5..FF: never starts a sequence
		return 1
	}
	n := 1
	for ; n <= need && n < len(s); n++ {
		if c := s[n]; c < lo || c > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
