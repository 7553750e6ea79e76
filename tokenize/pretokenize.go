package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// CLIP's Split pre-tokenizer keeps the matches of this regex (Oniguruma, Unicode classes)
// and drops the rest, which is only whitespace. splitWords implements it by hand.
const clipSplitPattern = `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`

type charClass uint8

const (
	classOther  charClass = iota // [^\s\p{L}\p{N}]
	classLetter                  // \p{L}
	classNumber                  // \p{N}
	classSpace                   // \s: Unicode White_Space
)

var asciiClass = func() (t [utf8.RuneSelf]charClass) {
	for c := range t {
		t[c] = classOf(rune(c))
	}
	return t
}()

// classOf is r's class as the tokenizers engine sees it.
func classOf(r rune) charClass {
	if c, ok := deltaClass(r); ok {
		return c
	}
	switch {
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	case unicode.IsSpace(r): // the White_Space property, unlike regexp's ASCII \s
		return classSpace
	}
	return classOther
}

func classAt(s string, i int) (charClass, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return classOf(r), n
}

// splitWords calls word for each match of clipSplitPattern in s, in order. Like the regex
// (leftmost-first alternation), a contraction is only tried where a match starts: inside a
// run of "other" characters an apostrophe is just another one of them.
func splitWords(s string, word func(string)) {
	for i := 0; i < len(s); {
		if s[i] == '\'' {
			if n := contraction(s[i+1:]); n > 0 {
				word(s[i : i+1+n])
				i += 1 + n
				continue
			}
		}
		class, n := classAt(s, i)
		switch class {
		case classSpace:
			i += n
			continue
		case classNumber:
			word(s[i : i+n])
			i += n
			continue
		}
		j := i + n
		for j < len(s) {
			c, m := classAt(s, j)
			if c != class {
				break
			}
			j += m
		}
		word(s[i:j])
		i = j
	}
}

// contraction is the length of the contraction suffix ('s 't 're 've 'm 'll 'd, without
// the apostrophe) at the start of s, or 0.
func contraction(s string) int {
	if len(s) == 0 {
		return 0
	}
	switch s[0] {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if len(s) > 1 && s[1] == 'e' {
			return 2
		}
	case 'l':
		if len(s) > 1 && s[1] == 'l' {
			return 2
		}
	}
	return 0
}
