package tokenize

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sugarme/tokenizer/model"
)

// tokenizerJSON is the part of tokenizer.json (tokenizers format 1.0) that tokenize reads.
// Truncation and padding are ignored: transformers sets them per call.
type tokenizerJSON struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    *step `json:"normalizer"`
	PreTokenizer  *step `json:"pre_tokenizer"`
	PostProcessor *step `json:"post_processor"`
	Decoder       *step `json:"decoder"`
	Model         struct {
		Type                    string          `json:"type"`
		Dropout                 *float64        `json:"dropout"`
		UnkToken                *string         `json:"unk_token"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
		FuseUnk                 bool            `json:"fuse_unk"`
		ByteFallback            bool            `json:"byte_fallback"`
		IgnoreMerges            bool            `json:"ignore_merges"`
		Vocab                   map[string]int  `json:"vocab"`
		Merges                  json.RawMessage `json:"merges"`
	} `json:"model"`
}

// step is one normalizer, pre-tokenizer, post-processor or decoder, with the fields of the
// kinds tokenize knows.
type step struct {
	Type          string            `json:"type"`
	Normalizers   []step            `json:"normalizers"`
	PreTokenizers []step            `json:"pretokenizers"`
	Pattern       map[string]string `json:"pattern"`
	Content       string            `json:"content"`
	Behavior      string            `json:"behavior"`
	Invert        bool              `json:"invert"`
	PrefixSpace   bool              `json:"add_prefix_space"`
	UseRegex      *bool             `json:"use_regex"`
	Sep           []json.RawMessage `json:"sep"`
	Cls           []json.RawMessage `json:"cls"`
}

func fromTokenizerJSON(b []byte, cfg *tokenizerConfig) (*Tokenizer, error) {
	var tj tokenizerJSON
	if err := json.Unmarshal(b, &tj); err != nil {
		return nil, err
	}
	if err := checkPipeline(&tj); err != nil {
		return nil, err
	}
	m := tj.Model
	if m.Type != "BPE" || m.Dropout != nil || m.FuseUnk || m.ByteFallback || m.IgnoreMerges ||
		m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, fmt.Errorf("model: only BPE without dropout, fuse_unk, byte_fallback, ignore_merges or continuing_subword_prefix is supported")
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return nil, fmt.Errorf("model.merges: %w", err)
	}
	var added []addedToken
	for _, a := range tj.AddedTokens {
		if a.SingleWord || a.Lstrip || a.Rstrip {
			return nil, fmt.Errorf("added token %q: single_word, lstrip and rstrip are not supported", a.Content)
		}
		added = append(added, addedToken{Content: a.Content, ID: a.ID, Normalized: a.Normalized, Special: a.Special})
	}
	t, err := newTokenizer(model.Vocab(m.Vocab), merges, m.UnkToken, m.EndOfWordSuffix, added)
	if err != nil {
		return nil, err
	}
	if t.bos, err = postToken(t, tj.PostProcessor.Cls); err != nil {
		return nil, fmt.Errorf("post_processor.cls: %w", err)
	}
	if t.eos, err = postToken(t, tj.PostProcessor.Sep); err != nil {
		return nil, fmt.Errorf("post_processor.sep: %w", err)
	}
	return t, nil
}

// checkPipeline accepts CLIP's normalizer, pre-tokenizer, post-processor and decoder only.
func checkPipeline(tj *tokenizerJSON) error {
	n := tj.Normalizer
	if n == nil || n.Type != "Sequence" || len(n.Normalizers) != 3 ||
		n.Normalizers[0].Type != "NFC" ||
		n.Normalizers[1].Type != "Replace" || n.Normalizers[1].Pattern["Regex"] != `\s+` ||
		n.Normalizers[1].Content != " " ||
		n.Normalizers[2].Type != "Lowercase" {
		return fmt.Errorf("normalizer: only CLIP's Sequence[NFC, Replace(\\s+ → \" \"), Lowercase] is supported")
	}
	p := tj.PreTokenizer
	if p == nil || p.Type != "Sequence" || len(p.PreTokenizers) != 2 ||
		p.PreTokenizers[0].Type != "Split" || p.PreTokenizers[0].Pattern["Regex"] != clipSplitPattern ||
		p.PreTokenizers[0].Behavior != "Removed" || !p.PreTokenizers[0].Invert ||
		p.PreTokenizers[1].Type != "ByteLevel" || p.PreTokenizers[1].PrefixSpace ||
		p.PreTokenizers[1].UseRegex != nil && !*p.PreTokenizers[1].UseRegex {
		return fmt.Errorf("pre_tokenizer: only CLIP's Sequence[Split(%s, Removed, invert), ByteLevel] is supported", clipSplitPattern)
	}
	if pp := tj.PostProcessor; pp == nil || pp.Type != "RobertaProcessing" && pp.Type != "BertProcessing" {
		return fmt.Errorf("post_processor: only RobertaProcessing and BertProcessing are supported")
	}
	if d := tj.Decoder; d == nil || d.Type != "ByteLevel" {
		return fmt.Errorf("decoder: only ByteLevel is supported")
	}
	return nil
}

// postToken reads a post-processor token, ["<|startoftext|>", 49406], and checks the id.
func postToken(t *Tokenizer, raw []json.RawMessage) (int, error) {
	var content string
	var id int
	if len(raw) != 2 || json.Unmarshal(raw[0], &content) != nil || json.Unmarshal(raw[1], &id) != nil {
		return 0, fmt.Errorf("want [token, id]")
	}
	if got, ok := t.tokenID(content); !ok || got != id {
		return 0, fmt.Errorf("%q has id %d, not %d", content, got, id)
	}
	return id, nil
}

// parseMerges reads merges as "a b" strings or as ["a", "b"] pairs (both formats exist).
func parseMerges(raw json.RawMessage) ([]string, error) {
	var lines []string
	if err := json.Unmarshal(raw, &lines); err == nil {
		return lines, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, err
	}
	lines = make([]string, len(pairs))
	for i, p := range pairs {
		if strings.Contains(p[0], " ") || strings.Contains(p[1], " ") {
			return nil, fmt.Errorf("merge %d %q: symbols with spaces are not supported", i, p)
		}
		lines[i] = p[0] + " " + p[1]
	}
	return lines, nil
}
