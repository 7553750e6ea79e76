package tokenize

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/sugarme/tokenizer/model"
)

// maxSlowMerges is how many merges transformers' slow CLIPTokenizer reads from merges.txt
// (lines 1 to 49152-256-2, after the header), and so what its conversion to a fast tokenizer keeps.
const maxSlowMerges = 49152 - 256 - 2

// fromVocabMerges builds the tokenizer transformers' CLIPConverter builds from the slow
// tokenizer's files: vocab.json, merges.txt, "</w>", unk/bos/eos from the special tokens.
func fromVocabMerges(fsys fs.FS, cfg *tokenizerConfig) (*Tokenizer, error) {
	var vocab model.Vocab
	if err := readJSON(fsys, "vocab.json", &vocab); err != nil {
		return nil, err
	}
	b, err := fs.ReadFile(fsys, "merges.txt")
	if err != nil {
		return nil, err
	}
	// As CLIPTokenizer: read().strip().split("\n")[1:49152-256-2+1], each split on whitespace.
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
	if len(lines) > maxSlowMerges {
		lines = lines[:maxSlowMerges]
	}
	merges := make([]string, len(lines))
	for i, l := range lines {
		merges[i] = strings.Join(strings.Fields(l), " ")
	}
	if cfg.moreAdded {
		return nil, fmt.Errorf("tokenizer_config.json: added_tokens_decoder and additional_special_tokens are not supported without tokenizer.json")
	}
	for _, attr := range []string{"bos_token", "eos_token", "unk_token"} {
		if _, ok := cfg.special[attr]; !ok {
			return nil, fmt.Errorf("tokenizer_config.json, special_tokens_map.json: no %s", attr)
		}
	}
	var added []addedToken
	seen := map[string]bool{}
	for _, attr := range cfg.order {
		a := cfg.special[attr]
		if seen[a.Content] {
			continue
		}
		seen[a.Content] = true
		id, ok := vocab[a.Content]
		if !ok {
			return nil, fmt.Errorf("special token %q is not in vocab.json", a.Content)
		}
		a.ID = id
		added = append(added, a)
	}
	unk, suffix := cfg.special["unk_token"].Content, "</w>"
	t, err := newTokenizer(vocab, merges, &unk, &suffix, added)
	if err != nil {
		return nil, fmt.Errorf("vocab.json, merges.txt: %w", err)
	}
	t.bos, _ = t.tokenID(cfg.special["bos_token"].Content)
	t.eos, _ = t.tokenID(cfg.special["eos_token"].Content)
	return t, nil
}
