package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
)

// The six texts of the model goldens (index.json), the empty one included.
var tokenizeTexts = []string{"a photo of a cat", "a photo of a dog", "This is a photo of a fox.", "an owl", "",
	"a very small brown bear sitting in the tall grass"}

func goldenIDs(t *testing.T, model, name string) [][]int {
	t.Helper()
	data, shape, err := golden.Int64s(filepath.Join(repoRoot, "testdata", "models", model, "golden", name+".npy"))
	require.NoError(t, err)
	out := make([][]int, shape[0])
	for i := range out {
		for _, v := range data[i*shape[1] : (i+1)*shape[1]] {
			out[i] = append(out[i], int(v))
		}
	}
	return out
}

func parseIDLines(t *testing.T, out string) [][]int {
	t.Helper()
	var rows [][]int
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ids []int
		require.NoError(t, json.Unmarshal([]byte(line), &ids), line)
		rows = append(rows, ids)
	}
	return rows
}

// The ids and masks equal the processor's (padding=True and padding="max_length").
func TestTokenizeGolden(t *testing.T) {
	for _, model := range []string{"tiny-l14", "odd"} {
		mdir := filepath.Join(repoRoot, "testdata", "models", model)
		args := append([]string{"tokenize", "--model", mdir, "--offline"}, tokenizeTexts...)
		longest := goldenIDs(t, model, "input_ids")
		assert.Equal(t, longest, parseIDLines(t, zsOK(t, append(args, "--padding", "longest")...)), model)
		// The goldens pad to the text model's max_position_embeddings (77, or 40 for odd).
		maxIDs := goldenIDs(t, model, "input_ids_max")
		maxLen := strconv.Itoa(len(maxIDs[0]))
		assert.Equal(t, maxIDs, parseIDLines(t, zsOK(t, append(args, "--padding", "max_length", "--max-length", maxLen)...)), model)

		// --padding none (the default): each text's own ids, the golden rows without padding.
		mask := goldenIDs(t, model, "attention_mask")
		own := parseIDLines(t, zsOK(t, args...))
		for i, row := range own {
			n := 0
			for _, m := range mask[i] {
				n += m
			}
			assert.Equal(t, longest[i][:n], row, "%s text %d", model, i)
		}

		// --mask: objects with both.
		out := zsOK(t, append(args, "--padding", "longest", "--mask")...)
		for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var rec struct {
				IDs  []int `json:"input_ids"`
				Mask []int `json:"attention_mask"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &rec))
			assert.Equal(t, longest[i], rec.IDs)
			assert.Equal(t, mask[i], rec.Mask)
		}
	}
}

func TestTokenizeLimits(t *testing.T) {
	long := strings.TrimSpace(strings.Repeat("word ", 80))
	base := []string{"tokenize", "--model", tinyModel}
	ids := parseIDLines(t, zsOK(t, append(base, "--truncate", "--max-length", "5", long, "a")...))
	require.Len(t, ids, 2)
	assert.Len(t, ids[0], 5)
	assert.Len(t, ids[1], 3)
	assert.Equal(t, ids[1][2], ids[0][4], "truncation keeps <|endoftext|>")
	padded := parseIDLines(t, zsOK(t, append(base, "--truncate", "--max-length", "5", "--padding", "longest", long, "a")...))
	assert.Equal(t, ids[0], padded[0])
	assert.Len(t, padded[1], 5)

	code, out, stderr := zsRun(t, append(base, long)...)
	assert.Equal(t, 0, code)
	n := len(parseIDLines(t, out)[0])
	assert.Greater(t, n, 77)
	assert.Contains(t, stderr, "text 1 is "+strconv.Itoa(n)+" tokens, more than the 77")

	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--padding", "longest", "a", long}, `text 2 "word word`},
		{[]string{"--padding", "left", "a"}, "--padding"},
		{[]string{"--max-length", "-1", "a"}, "--max-length"},
		{nil, "no TEXT"},
		{[]string{"--truncate", "--max-length", "1", "a"}, "cannot keep the start and end tokens"},
	}
	for _, tc := range cases {
		code, out, stderr := zsRun(t, append(base, tc.args...)...)
		assert.NotEqual(t, 0, code, "%v", tc.args)
		assert.Contains(t, stderr, tc.msg)
		assert.Empty(t, out)
	}
	code, _, stderr = zsRun(t, "tokenize", "--model", filepath.Join(t.TempDir(), "none"), "a")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "none")
}
