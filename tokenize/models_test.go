package tokenize

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTinyModels: the tokenizers of the tiny test models (testdata/models/*: a prefix of the
// real merges, renumbered special tokens), by both load paths, give the input_ids and
// attention masks of those models' goldens (testdata/gen/gen_models.py).
func TestTinyModels(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/models/*/golden/index.json")
	if len(dirs) == 0 {
		t.Skip("no testdata/models/*/golden")
	}
	for _, index := range dirs {
		golden := filepath.Dir(index)
		model := filepath.Dir(golden)
		var idx struct{ Texts []string }
		b, err := os.ReadFile(index)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &idx))
		for _, variant := range []string{"tokenizer.json", "vocab.json + merges.txt"} {
			t.Run(filepath.Base(model)+"/"+variant, func(t *testing.T) {
				dir := model
				if variant != "tokenizer.json" {
					dir = t.TempDir()
					for _, f := range []string{"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"} {
						b, err := os.ReadFile(filepath.Join(model, f))
						require.NoError(t, err)
						require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
					}
				}
				tok, err := Load(dir)
				require.NoError(t, err)
				for _, suffix := range []string{"", "_max"} {
					ids, err := readNpyInt64(filepath.Join(golden, "input_ids"+suffix+".npy"))
					if os.IsNotExist(err) {
						continue
					}
					require.NoError(t, err)
					mask, err := readNpyInt64(filepath.Join(golden, "attention_mask"+suffix+".npy"))
					require.NoError(t, err)
					opt := Options{}
					if suffix == "_max" {
						opt = Options{Padding: PadMaxLength, MaxLength: len(ids[0])}
					}
					batch, err := tok.EncodeBatch(idx.Texts, opt)
					require.NoError(t, err)
					require.Equal(t, ids, batch.IDs, "input_ids%s", suffix)
					require.Equal(t, mask, batch.AttentionMask, "attention_mask%s", suffix)
				}
			})
		}
	}
}

// readNpyInt64 reads a 2-D little-endian int64 .npy file (format 1.0) as rows of ints.
func readNpyInt64(path string) ([][]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("\x93NUMPY\x01")) {
		return nil, fmt.Errorf("%s: not a .npy 1.x file", path)
	}
	n := int(binary.LittleEndian.Uint16(b[8:10]))
	header, data := string(b[10:10+n]), b[10+n:]
	m := regexp.MustCompile(`'descr': '<i8', 'fortran_order': False, 'shape': \((\d+), (\d+)\)`).FindStringSubmatch(header)
	if m == nil {
		return nil, fmt.Errorf("%s: not a 2-D <i8 array: %s", path, header)
	}
	rows, _ := strconv.Atoi(m[1])
	cols, _ := strconv.Atoi(m[2])
	if len(data) != 8*rows*cols {
		return nil, fmt.Errorf("%s: %d bytes of data for %dx%d", path, len(data), rows, cols)
	}
	out := make([][]int, rows)
	for i := range out {
		out[i] = make([]int, cols)
		for j := range out[i] {
			out[i][j] = int(int64(binary.LittleEndian.Uint64(data[8*(i*cols+j):])))
		}
	}
	return out, nil
}
