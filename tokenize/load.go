package tokenize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/sugarme/tokenizer/model"
	"github.com/sugarme/tokenizer/model/bpe"
)

// Load reads the tokenizer files in dir: tokenizer.json if present, else vocab.json and
// merges.txt; and tokenizer_config.json and special_tokens_map.json if present.
func Load(dir string) (*Tokenizer, error) {
	t, err := loadFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("tokenize: load %s: %w", dir, err)
	}
	return t, nil
}

// LoadFS is Load on a file system (os.DirFS, embed.FS, ...).
//
// With tokenizer.json, its pipeline must be CLIP's (NFC, \s+ → " ", lowercase; the CLIP
// split regex then byte-level; BPE; start/end tokens around each text): anything else is an
// error rather than a silently different tokenizer. Without it, vocab.json and merges.txt
// are read as transformers converts the slow CLIPTokenizer: added tokens are then the special
// tokens of tokenizer_config.json / special_tokens_map.json, with their normalized flags.
func LoadFS(fsys fs.FS) (*Tokenizer, error) {
	t, err := loadFS(fsys)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	return t, nil
}

func loadFS(fsys fs.FS) (*Tokenizer, error) {
	nfcStable() // build the NFC quick-check table now rather than at the first text
	cfg, err := readTokenizerConfig(fsys)
	if err != nil {
		return nil, err
	}
	var t *Tokenizer
	b, err := fs.ReadFile(fsys, "tokenizer.json")
	switch {
	case err == nil:
		t, err = fromTokenizerJSON(b, cfg)
		if err != nil {
			return nil, fmt.Errorf("tokenizer.json: %w", err)
		}
	case errors.Is(err, fs.ErrNotExist):
		t, err = fromVocabMerges(fsys, cfg)
		if err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	t.maxLength = cfg.maxLength
	t.pad = -1
	if p, ok := cfg.special["pad_token"]; ok {
		id, ok := t.tokenID(p.Content)
		if !ok {
			return nil, fmt.Errorf("pad token %q is not in the vocabulary", p.Content)
		}
		t.pad = id
	}
	return t, nil
}

// newTokenizer builds the library's BPE model and the added-token matchers.
func newTokenizer(vocab model.Vocab, merges []string, unk, suffix *string, added []addedToken) (*Tokenizer, error) {
	for i, m := range merges {
		a, b, ok := strings.Cut(m, " ")
		if !ok || strings.Contains(b, " ") {
			return nil, fmt.Errorf("merge %d %q: not two symbols", i, m)
		}
		for _, s := range []string{a, b, a + b} {
			if _, ok := vocab[s]; !ok {
				return nil, fmt.Errorf("merge %d %q: %q is not in the vocabulary", i, m, s)
			}
		}
	}
	empty := ""
	lib, err := bpe.New(vocab, merges, nil, unk, &empty, suffix)
	if err != nil {
		return nil, fmt.Errorf("bpe: %w", err)
	}
	words, err := newWordBPE(lib)
	if err != nil {
		return nil, fmt.Errorf("bpe: %w", err)
	}
	t := &Tokenizer{model: lib, words: words, added: map[int]addedToken{}}
	for _, a := range added {
		if a.Content == "" {
			continue
		}
		if a.Normalized {
			t.normalized = append(t.normalized, a)
		} else {
			t.raw = append(t.raw, a)
		}
		t.added[a.ID] = a
	}
	return t, nil
}

// tokenID is the id of an added token or vocabulary entry.
func (t *Tokenizer) tokenID(content string) (int, bool) {
	for _, m := range []matcher{t.raw, t.normalized} {
		for _, a := range m {
			if a.Content == content {
				return a.ID, true
			}
		}
	}
	id, ok := (*t.model.Vocab)[content]
	return id, ok
}

// tokenString is the string of an id: an added token's content or a vocabulary entry.
func (t *Tokenizer) tokenString(id int) (string, bool) {
	if a, ok := t.added[id]; ok {
		return a.Content, true
	}
	s, ok := (*t.model.VocabR)[id]
	return s, ok
}
