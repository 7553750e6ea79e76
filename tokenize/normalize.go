package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// normalize appends to dst the text as CLIP's normalizer sequence leaves it:
// NFC, then each run of White_Space (Oniguruma's Unicode \s) replaced by one space, then
// each character lowercased on its own. It replaces the library's normalizers, which do not
// do this (library_test.go): its NFC produces NFD, its Replace loader never builds the
// \s+ regex, and its Lowercase (strings.ToLower) maps "İ" to "i", not "i̇".
func normalize(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			s = nfc(s)
			break
		}
	}
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if asciiClass[c] == classSpace {
				if !space {
					dst = append(dst, ' ')
				}
				space = true
				continue
			}
			space = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if unicode.IsSpace(r) {
			if !space {
				dst = append(dst, ' ')
			}
			space = true
			continue
		}
		space = false
		dst = appendLower(dst, r)
	}
	return dst
}

// appendLower appends Rust's char::to_lowercase(r): the Unicode lowercase mapping without
// context (a final Σ stays σ, as with unicode.ToLower), at Unicode 16.0; lowerDelta has where
// it differs from unicode.ToLower, such as U+0130 İ, the one character whose unconditional
// full mapping (SpecialCasing.txt) is two characters: "i\u0307".
func appendLower(dst []byte, r rune) []byte {
	if s, ok := deltaLower(r); ok {
		return append(dst, s...)
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}
