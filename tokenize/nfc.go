package tokenize

import (
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

// assigned9 is the code points assigned in Unicode 9.0, the version of the data in the
// unicode-normalization-alignments crate that the tokenizers crate's NFC uses.
var assigned9 = rangetable.Assigned("9.0.0")

// nfc returns s in Normalization Form C as the tokenizers crate computes it, which differs
// from norm.NFC: a character added after Unicode 9.0 has no decomposition, composition or
// combining class there (it is an inert starter); there is no limit on runs of combining
// marks (norm inserts U+034F after 30 of them: the Stream-Safe format); and norm composes
// across a starter that can combine backward ("Å\u0b3e\u0301\u0f71..." in TestNFC).
// So this is UAX #15 itself on Unicode 9.0 data, norm providing the character data only:
// canonical decomposition, canonical ordering, canonical composition.
func nfc(s string) string {
	if isNFC(s) {
		return s
	}
	return nfcFull(s)
}

// nfcFull is nfc without the quick check.
func nfcFull(s string) string {
	chars := make([]nfcChar, 0, len(s))
	for _, r := range s {
		chars = appendDecomposed(chars, r)
	}
	for i := 0; i < len(chars); {
		if chars[i].ccc == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(chars) && chars[j].ccc != 0 {
			j++
		}
		slices.SortStableFunc(chars[i:j], func(a, b nfcChar) int { return int(a.ccc) - int(b.ccc) })
		i = j
	}
	out := chars[:0] // composing in place: out never gets ahead of the reading position
	starter := -1    // index in out of the last starter
	for _, c := range chars {
		if starter >= 0 && c.back && !out[starter].inert {
			// c is blocked from the starter by a character between them of combining class 0
			// or ≥ c's; those between are non-starters in canonical order, the last the greatest.
			if len(out) == starter+1 || out[len(out)-1].ccc < c.ccc {
				if p, ok := compose(out[starter].r, c.r); ok {
					out[starter].r = p
					continue
				}
			}
		}
		if c.ccc == 0 {
			starter = len(out)
		}
		out = append(out, c)
	}
	b := make([]byte, 0, len(s))
	for _, c := range out {
		b = utf8.AppendRune(b, c.r)
	}
	return string(b)
}

type nfcChar struct {
	r     rune
	ccc   uint8 // canonical combining class
	back  bool  // can combine with a previous character (ccc > 0 or NFC_QC=Maybe)
	inert bool  // not in Unicode 9.0: no composition either way
}

const (
	hangulS, hangulL, hangulV, hangulT = 0xAC00, 0x1100, 0x1161, 0x11A7
	hangulLCount, hangulVCount         = 19, 21
	hangulTCount                       = 28
	hangulSCount                       = hangulLCount * hangulVCount * hangulTCount
)

// appendDecomposed appends the canonical decomposition of r.
func appendDecomposed(dst []nfcChar, r rune) []nfcChar {
	if !unicode.Is(assigned9, r) {
		return append(dst, nfcChar{r: r, inert: true})
	}
	if i := r - hangulS; i >= 0 && i < hangulSCount {
		dst = append(dst, nfcChar{r: hangulL + i/(hangulVCount*hangulTCount)},
			nfcChar{r: hangulV + i%(hangulVCount*hangulTCount)/hangulTCount, back: true})
		if t := i % hangulTCount; t != 0 {
			dst = append(dst, nfcChar{r: hangulT + t, back: true})
		}
		return dst
	}
	var buf [utf8.UTFMax]byte
	d := norm.NFD.Properties(utf8.AppendRune(buf[:0], r)).Decomposition()
	if d == nil {
		d = buf[:utf8.RuneLen(r)]
	}
	for len(d) > 0 {
		p := norm.NFC.Properties(d)
		c, n := utf8.DecodeRune(d)
		dst = append(dst, nfcChar{r: c, ccc: p.CCC(), back: !p.BoundaryBefore()})
		d = d[n:]
	}
	return dst
}

// isNFC reports whether nfc(s) is s: every character is a starter whose NFC_QC is Yes (the
// UAX #15 quick check), or was not in Unicode 9.0.
func isNFC(s string) bool {
	var stable []uint64
	for _, r := range s {
		if r < 0x300 { // Latin-1 and Latin Extended A and B: all stable
			continue
		}
		if stable == nil {
			stable = nfcStable()
		}
		if stable[r>>6]&(1<<(r&63)) == 0 {
			return false
		}
	}
	return true
}

// nfcStable is a bit set of the characters that isNFC passes: computed once (~15 ms, at the
// first Load), from norm's data (Unicode 15.0, whose properties of older characters are
// those of 9.0).
var nfcStable = sync.OnceValue(buildNFCStable)

func buildNFCStable() []uint64 {
	bits := make([]uint64, (unicode.MaxRune+1)/64)
	for i := range bits {
		bits[i] = ^uint64(0)
	}
	var buf [utf8.UTFMax]byte
	unstable := func(r rune) bool {
		b := utf8.AppendRune(buf[:0], r)
		p := norm.NFC.Properties(b)
		if p.CCC() != 0 || !p.BoundaryBefore() {
			return true // a non-starter, or NFC_QC=Maybe
		}
		return p.Decomposition() != nil && norm.NFC.String(string(b)) != string(b) // NFC_QC=No
	}
	each := func(lo, hi, stride rune) {
		for r := lo; r <= hi; r += stride {
			if unstable(r) {
				bits[r>>6] &^= 1 << (r & 63)
			}
		}
	}
	for _, rg := range assigned9.R16 {
		each(rune(rg.Lo), rune(rg.Hi), rune(rg.Stride))
	}
	for _, rg := range assigned9.R32 {
		each(rune(rg.Lo), rune(rg.Hi), rune(rg.Stride))
	}
	return bits
}

// compose is the primary composite of a and b, if there is one.
func compose(a, b rune) (rune, bool) {
	if l, v := a-hangulL, b-hangulV; l >= 0 && l < hangulLCount && v >= 0 && v < hangulVCount {
		return hangulS + (l*hangulVCount+v)*hangulTCount, true
	}
	if s, t := a-hangulS, b-hangulT; s >= 0 && s < hangulSCount && s%hangulTCount == 0 && t > 0 && t < hangulTCount {
		return a + t, true
	}
	var buf [2 * utf8.UTFMax]byte
	pair := utf8.AppendRune(utf8.AppendRune(buf[:0], a), b)
	c := norm.NFC.Bytes(pair)
	p, n := utf8.DecodeRune(c)
	if n != len(c) || p == a {
		return 0, false
	}
	// Only a composition of the pair itself, not one after reordering.
	if string(norm.NFD.Bytes(c)) != norm.NFD.String(string(a))+string(b) {
		return 0, false
	}
	return p, true
}
