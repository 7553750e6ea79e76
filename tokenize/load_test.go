package tokenize

import (
	"encoding/json"
	"os"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// clipFS is the CLIP tokenizer files in memory, with tokenizer.json and
// tokenizer_config.json passed through edit (nil: removed).
func clipFS(t *testing.T, editJSON, editConfig func(m map[string]any) map[string]any) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt"} {
		b, err := os.ReadFile("../testdata/tokenizer/clip/" + name)
		require.NoError(t, err)
		fsys[name] = &fstest.MapFile{Data: b}
	}
	for name, edit := range map[string]func(map[string]any) map[string]any{"tokenizer.json": editJSON, "tokenizer_config.json": editConfig} {
		if edit == nil {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(fsys[name].Data, &m))
		if m = edit(m); m == nil {
			delete(fsys, name)
			continue
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		fsys[name].Data = b
	}
	return fsys
}

func get(m map[string]any, path ...any) any {
	var v any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		json   func(m map[string]any) map[string]any
		config func(m map[string]any) map[string]any
	}{
		{"no lowercase", func(m map[string]any) map[string]any {
			n := get(m, "normalizer").(map[string]any)
			n["normalizers"] = n["normalizers"].([]any)[:2]
			return m
		}, nil},
		{"other split regex", func(m map[string]any) map[string]any {
			get(m, "pre_tokenizer", "pretokenizers", 0, "pattern").(map[string]any)["Regex"] = `\w+`
			return m
		}, nil},
		{"prefix space", func(m map[string]any) map[string]any {
			get(m, "pre_tokenizer", "pretokenizers", 1).(map[string]any)["add_prefix_space"] = true
			return m
		}, nil},
		{"dropout", func(m map[string]any) map[string]any {
			get(m, "model").(map[string]any)["dropout"] = 0.1
			return m
		}, nil},
		{"lstrip", func(m map[string]any) map[string]any {
			get(m, "added_tokens", 1).(map[string]any)["lstrip"] = true
			return m
		}, nil},
		{"template processing", func(m map[string]any) map[string]any {
			get(m, "post_processor").(map[string]any)["type"] = "TemplateProcessing"
			return m
		}, nil},
		{"wrong sep id", func(m map[string]any) map[string]any {
			get(m, "post_processor").(map[string]any)["sep"] = []any{"<|endoftext|>", 7}
			return m
		}, nil},
		{"merge out of vocabulary", func(m map[string]any) map[string]any {
			mo := get(m, "model").(map[string]any)
			mo["merges"] = append([]any{"zz q"}, mo["merges"].([]any)...)
			return m
		}, nil},
		{"unknown token out of vocabulary", func(m map[string]any) map[string]any {
			get(m, "model").(map[string]any)["unk_token"] = "<unk>"
			return m
		}, nil},
		{"left padding", nil, func(m map[string]any) map[string]any {
			m["padding_side"] = "left"
			return m
		}},
		{"added_tokens_decoder without tokenizer.json", func(map[string]any) map[string]any { return nil },
			func(m map[string]any) map[string]any {
				m["added_tokens_decoder"] = map[string]any{"49408": map[string]any{"content": "<x>"}}
				return m
			}},
		{"bad json", func(m map[string]any) map[string]any {
			m["model"] = "x"
			return m
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFS(clipFS(t, tc.json, tc.config))
			require.Error(t, err)
			t.Log(err)
		})
	}
	_, err := Load(t.TempDir())
	require.Error(t, err, "no files")
}

func TestLoadVariants(t *testing.T) {
	text := "a photo of a cat <|endoftext|> it's"
	want := clip(t).Encode(text)
	for _, tc := range []struct {
		name   string
		json   func(m map[string]any) map[string]any
		config func(m map[string]any) map[string]any
		maxLen int
	}{
		{"merges as pairs", func(m map[string]any) map[string]any {
			mo := get(m, "model").(map[string]any)
			var pairs []any
			for _, s := range mo["merges"].([]any) {
				var a, b string
				for i, c := range s.(string) {
					if c == ' ' {
						a, b = s.(string)[:i], s.(string)[i+1:]
						break
					}
				}
				pairs = append(pairs, []any{a, b})
			}
			mo["merges"] = pairs
			return m
		}, nil, 77},
		{"no tokenizer_config.json", nil, func(map[string]any) map[string]any { return nil }, 0},
		{"unlimited model_max_length", nil, func(m map[string]any) map[string]any {
			m["model_max_length"] = 1e30
			return m
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := LoadFS(clipFS(t, tc.json, tc.config))
			require.NoError(t, err)
			require.Equal(t, want, tok.Encode(text))
			require.Equal(t, tc.maxLen, tok.MaxLength())
		})
	}
}
