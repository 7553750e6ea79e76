package tokenize

import "slices"

//go:generate go run gen_tables.go

// The tokenizers wheel that CLIP's ids come from carries its own character data: Oniguruma
// and Rust std at Unicode 16.0 for the split regex and lowercasing, the
// unicode-normalization-alignments crate at Unicode 9.0 for NFC. Go 1.26 has Unicode 15.0.
// tables_unicode.go holds the differences for the first two (generated from what those
// engines answer, testdata/tokenizer/unicode.json); nfc.go handles the third.

type classRange struct {
	lo, hi rune
	class  charClass
}

type lowerMapping struct {
	r     rune
	lower string
}

// deltaClass is the class of r if the tokenizers engine disagrees with Go's tables.
func deltaClass(r rune) (charClass, bool) {
	if r < classDelta[0].lo || r > classDelta[len(classDelta)-1].hi {
		return 0, false
	}
	i, ok := slices.BinarySearchFunc(classDelta, r, func(c classRange, r rune) int {
		switch {
		case c.hi < r:
			return -1
		case c.lo > r:
			return 1
		}
		return 0
	})
	if !ok {
		return 0, false
	}
	return classDelta[i].class, true
}

// deltaLower is the lowercase of r if Rust's char::to_lowercase disagrees with unicode.ToLower.
func deltaLower(r rune) (string, bool) {
	if r < lowerDelta[0].r || r > lowerDelta[len(lowerDelta)-1].r {
		return "", false
	}
	i, ok := slices.BinarySearchFunc(lowerDelta, r, func(m lowerMapping, r rune) int { return int(m.r - r) })
	if !ok {
		return "", false
	}
	return lowerDelta[i].lower, true
}
