package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
)

// specialAttributes are transformers' SPECIAL_TOKENS_ATTRIBUTES, in its order: the order
// in which the vocab.json + merges.txt path adds them as added tokens.
var specialAttributes = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
	"cls_token", "mask_token"}

// tokenizerConfig is what tokenize reads from tokenizer_config.json and
// special_tokens_map.json (whose entries win, as in transformers' from_pretrained).
type tokenizerConfig struct {
	maxLength int                   // model_max_length; 0 when absent or "unlimited"
	special   map[string]addedToken // by attribute; ID unset
	order     []string              // attributes present, in specialAttributes order
	moreAdded bool                  // added_tokens_decoder or additional_special_tokens
}

// specialToken is a special token as tokenizer_config.json writes it: a string, or an
// AddedToken dict.
type specialToken struct {
	addedToken
	lstripEtc bool
}

func (s *specialToken) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		// transformers adds a special token given as a string with normalized=False.
		s.addedToken = addedToken{Content: str, Special: true}
		return nil
	}
	var d struct {
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized *bool  `json:"normalized"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	s.addedToken = addedToken{Content: d.Content, Special: true, Normalized: d.Normalized == nil || *d.Normalized}
	s.lstripEtc = d.SingleWord || d.Lstrip || d.Rstrip
	return nil
}

func readTokenizerConfig(fsys fs.FS) (*tokenizerConfig, error) {
	cfg := &tokenizerConfig{special: map[string]addedToken{}}
	var raw map[string]json.RawMessage
	if err := readJSON(fsys, "tokenizer_config.json", &raw); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var smap map[string]json.RawMessage
	if err := readJSON(fsys, "special_tokens_map.json", &smap); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if v, ok := raw["model_max_length"]; ok {
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			return nil, fmt.Errorf("tokenizer_config.json: model_max_length: %w", err)
		}
		if f >= 1 && f < math.MaxInt32 { // transformers writes ~1e30 for "no limit"
			cfg.maxLength = int(f)
		}
	}
	if v, ok := raw["padding_side"]; ok {
		var side string
		if err := json.Unmarshal(v, &side); err != nil || side != "right" {
			return nil, fmt.Errorf("tokenizer_config.json: padding_side %s: only right padding is supported", v)
		}
	}
	for _, key := range []string{"added_tokens_decoder", "additional_special_tokens"} {
		for _, m := range []map[string]json.RawMessage{raw, smap} {
			if v, ok := m[key]; ok && string(v) != "null" && string(v) != "[]" && string(v) != "{}" {
				cfg.moreAdded = true
			}
		}
	}
	for _, attr := range specialAttributes {
		v, ok := smap[attr]
		if !ok {
			v, ok = raw[attr]
		}
		if !ok || string(v) == "null" {
			continue
		}
		var tok specialToken
		if err := json.Unmarshal(v, &tok); err != nil {
			return nil, fmt.Errorf("special token %s: %w", attr, err)
		}
		if tok.lstripEtc {
			return nil, fmt.Errorf("special token %s %q: single_word, lstrip and rstrip are not supported", attr, tok.Content)
		}
		cfg.special[attr] = tok.addedToken
		cfg.order = append(cfg.order, attr)
	}
	return cfg, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
