package tokenize

import "strings"

// addedToken is an entry of tokenizer.json's added_tokens (or a special token of
// tokenizer_config.json): matched whole in the text, never split by BPE.
type addedToken struct {
	Content    string
	ID         int
	Normalized bool // matched in the normalized text, not in the raw text
	Special    bool // dropped by Decode(ids, true)
}

// matcher finds added tokens in a text the way the tokenizers crate's Aho-Corasick
// automaton does (MatchKind::LeftmostLongest): the leftmost match, the longest there.
type matcher []addedToken

// split calls text for each non-empty stretch between matches and token for each match, in
// order. Each token's next occurrence is searched for again only once passed, so the cost
// is linear in len(s) per token.
func (m matcher) split(s string, text func(string), token func(id int)) {
	var buf [4]int
	next := buf[:0] // per token, its next occurrence at or after pos, or -1
	for _, t := range m {
		next = append(next, strings.Index(s, t.Content))
	}
	pos := 0
	for {
		at, best := -1, -1
		for i, t := range m {
			if next[i] >= 0 && next[i] < pos {
				if j := strings.Index(s[pos:], t.Content); j >= 0 {
					next[i] = pos + j
				} else {
					next[i] = -1
				}
			}
			if j := next[i]; j >= 0 && (at < 0 || j < at || j == at && len(t.Content) > len(m[best].Content)) {
				at, best = j, i
			}
		}
		if at < 0 {
			break
		}
		if at > pos {
			text(s[pos:at])
		}
		token(m[best].ID)
		pos = at + len(m[best].Content)
	}
	if pos < len(s) {
		text(s[pos:])
	}
}
