package clip

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// copyModel copies a fixture's config.json and returns the temp dir.
func copyModel(t *testing.T, name string) string {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(modelDir(name), ConfigFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o644))
	return dir
}

// splitSafetensors returns a safetensors file's header (parsed) and data buffer.
func splitSafetensors(t *testing.T, path string) (map[string]any, []byte) {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	n := binary.LittleEndian.Uint64(b)
	var hdr map[string]any
	require.NoError(t, json.Unmarshal(b[8:8+n], &hdr))
	return hdr, b[8+n:]
}

func joinSafetensors(hdr map[string]any, data []byte) []byte {
	js, _ := json.Marshal(hdr)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	return append(append(out, js...), data...)
}

func TestLoadRejectsBadSafetensors(t *testing.T) {
	skipWithoutFixtures(t)
	src := filepath.Join(modelDir("tiny-l14"), SafetensorsFile)
	orig, err := os.ReadFile(src)
	require.NoError(t, err)
	edit := func(f func(hdr map[string]any, data []byte) []byte) []byte {
		hdr, data := splitSafetensors(t, src)
		return f(hdr, data)
	}
	entry := func(hdr map[string]any, name string) map[string]any { return hdr[name].(map[string]any) }
	tests := []struct {
		name     string
		file     []byte
		kind     error  // errors.Is
		tensor   string // the TensorError (or FormatError) names it
		wantAlso error
	}{
		{"truncated data", orig[:len(orig)-100], ErrTruncated, "", nil},
		{"truncated header", orig[:5], ErrTruncated, "", nil},
		{"header cut", orig[:200], ErrTruncated, "", nil},
		{"absurd header length", append(binary.LittleEndian.AppendUint64(nil, 1<<40), orig[8:]...), ErrCorrupt, "", nil},
		{"not JSON", append(binary.LittleEndian.AppendUint64(nil, 4), []byte("{{{{xxxx")...), ErrCorrupt, "", nil},
		{"trailing bytes", append(append([]byte{}, orig...), 0, 0, 0, 0), ErrCorrupt, "", nil},
		{"wrong shape", edit(func(h map[string]any, d []byte) []byte {
			entry(h, "text_projection.weight")["shape"] = []int{32, 128} // same byte size
			return joinSafetensors(h, d)
		}), ErrShape, "text_projection.weight", nil},
		{"wrong dtype", edit(func(h map[string]any, d []byte) []byte {
			entry(h, "text_projection.weight")["dtype"] = "I32" // same byte size
			return joinSafetensors(h, d)
		}), ErrDType, "text_projection.weight", nil},
		{"missing and unexpected", edit(func(h map[string]any, d []byte) []byte {
			h["logit_scale_renamed"] = h["logit_scale"]
			delete(h, "logit_scale")
			return joinSafetensors(h, d)
		}), ErrMissingTensor, "logit_scale", ErrUnexpectedTensor},
		{"size mismatch", edit(func(h map[string]any, d []byte) []byte {
			entry(h, "logit_scale")["shape"] = []int{2}
			return joinSafetensors(h, d)
		}), ErrCorrupt, "logit_scale", nil},
		{"overlap", edit(func(h map[string]any, d []byte) []byte {
			b := int(entry(h, "text_projection.weight")["data_offsets"].([]any)[0].(float64))
			entry(h, "logit_scale")["data_offsets"] = []int{b, b + 4}
			return joinSafetensors(h, d)
		}), ErrCorrupt, "", nil},
		{"null shape", edit(func(h map[string]any, d []byte) []byte {
			entry(h, "logit_scale")["shape"] = nil
			return joinSafetensors(h, d)
		}), ErrCorrupt, "logit_scale", nil},
		{"unknown dtype", edit(func(h map[string]any, d []byte) []byte {
			entry(h, "logit_scale")["dtype"] = "F8_E4M3"
			return joinSafetensors(h, d)
		}), ErrUnsupported, "logit_scale", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyModel(t, "tiny-l14")
			require.NoError(t, os.WriteFile(filepath.Join(dir, SafetensorsFile), tt.file, 0o644))
			m, err := Load(dir, Options{})
			if m != nil {
				m.Close()
			}
			require.Error(t, err)
			t.Log(err)
			assert.ErrorIs(t, err, tt.kind)
			if tt.wantAlso != nil {
				assert.ErrorIs(t, err, tt.wantAlso)
			}
			if tt.tensor != "" {
				assert.Contains(t, err.Error(), tt.tensor)
			}
			var te *TensorError
			if errors.As(err, &te) {
				assert.Equal(t, tt.tensor, te.Name)
			}
			// Convert validates as strictly.
			assert.Error(t, Convert(dir, filepath.Join(dir, "out.safetensors"), Float32))
		})
	}
}

func TestLoadRejectsBadPickle(t *testing.T) {
	skipWithoutFixtures(t)
	src := filepath.Join(modelDir("tiny-l14"), PickleFile)
	orig, err := os.ReadFile(src)
	require.NoError(t, err)
	// rezip copies the archive, dropping or replacing records.
	rezip := func(f func(name string) ([]byte, bool)) []byte {
		zr, err := zip.NewReader(bytes.NewReader(orig), int64(len(orig)))
		require.NoError(t, err)
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, rec := range zr.File {
			repl, keep := f(rec.Name)
			switch {
			case !keep:
			case repl != nil:
				w, err := zw.CreateHeader(&zip.FileHeader{Name: rec.Name, Method: zip.Store})
				require.NoError(t, err)
				_, _ = w.Write(repl)
			default:
				require.NoError(t, zw.Copy(rec))
			}
		}
		require.NoError(t, zw.Close())
		return buf.Bytes()
	}
	tests := []struct {
		name string
		file []byte
		kind error
	}{
		{"truncated", orig[:len(orig)/2], ErrTruncated},
		{"missing storage record", rezip(func(n string) ([]byte, bool) { return nil, !strings.HasSuffix(n, "/data/3") }), ErrCorrupt},
		{"short storage record", rezip(func(n string) ([]byte, bool) {
			if strings.HasSuffix(n, "/data/3") {
				return []byte{1, 2, 3, 4}, true
			}
			return nil, true
		}), ErrCorrupt},
		{"garbage pickle", rezip(func(n string) ([]byte, bool) {
			if strings.HasSuffix(n, "data.pkl") {
				return []byte("\x80\x02garbage that is no pickle"), true
			}
			return nil, true
		}), ErrUnsupported},
		{"no data.pkl", rezip(func(n string) ([]byte, bool) { return nil, !strings.HasSuffix(n, "data.pkl") }), ErrUnsupported},
		{"big endian", rezip(func(n string) ([]byte, bool) {
			if strings.HasSuffix(n, "/byteorder") {
				return []byte("big"), true
			}
			return nil, true
		}), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyModel(t, "tiny-l14")
			require.NoError(t, os.WriteFile(filepath.Join(dir, PickleFile), tt.file, 0o644))
			m, err := Load(dir, Options{})
			if m != nil {
				m.Close()
			}
			require.Error(t, err)
			t.Log(err)
			assert.ErrorIs(t, err, tt.kind)
			var fe *FormatError
			assert.ErrorAs(t, err, &fe)
		})
	}
}

// Cutting either file anywhere gives an error, never a crash.
func TestLoadTruncatedAnywhere(t *testing.T) {
	skipWithoutFixtures(t)
	for _, name := range []string{SafetensorsFile, PickleFile} {
		orig, err := os.ReadFile(filepath.Join(modelDir("odd"), name))
		require.NoError(t, err)
		dir := copyModel(t, "odd")
		for _, n := range []int{0, 1, 7, 8, 9, 64, 300, 1000, 4096, len(orig) / 3, len(orig) / 2, len(orig) - 4096, len(orig) - 1} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), orig[:n], 0o644))
			m, err := Load(filepath.Join(dir, name), Options{})
			if m != nil {
				m.Close()
			}
			assert.Error(t, err, "%s cut at %d", name, n)
		}
	}
}

func TestLoadPathErrors(t *testing.T) {
	skipWithoutFixtures(t)
	weightsOnly := t.TempDir()
	b, err := os.ReadFile(filepath.Join(modelDir("odd"), SafetensorsFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(weightsOnly, SafetensorsFile), b, 0o644))
	sharded := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(sharded, SafetensorsFile+".index.json"), []byte("{}"), 0o644))
	badConfig := copyModel(t, "odd")
	require.NoError(t, os.WriteFile(filepath.Join(badConfig, ConfigFile), []byte(`{"model_type":"clip","text_config":{"hidden_size":36,"num_attention_heads":5}}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(badConfig, SafetensorsFile), b, 0o644))

	tests := []struct {
		name string
		path string
		is   error
		as   any
	}{
		{"no such file", filepath.Join(t.TempDir(), "nope.safetensors"), fs.ErrNotExist, new(*FileError)},
		{"empty dir", t.TempDir(), fs.ErrNotExist, new(*FileError)},
		{"no config.json", weightsOnly, fs.ErrNotExist, new(*FileError)},
		{"sharded", sharded, ErrUnsupported, new(*FormatError)},
		{"bad config", badConfig, nil, new(*ConfigError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Load(tt.path, Options{})
			if m != nil {
				m.Close()
			}
			require.Error(t, err)
			t.Log(err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.ErrorAs(t, err, tt.as)
		})
	}
}

func TestAllowUnexpected(t *testing.T) {
	skipWithoutFixtures(t)
	dir := copyModel(t, "odd")
	hdr, data := splitSafetensors(t, filepath.Join(modelDir("odd"), SafetensorsFile))
	hdr["extra.weight"] = map[string]any{"dtype": "U8", "shape": []int{4}, "data_offsets": []int{len(data), len(data) + 4}}
	require.NoError(t, os.WriteFile(filepath.Join(dir, SafetensorsFile), joinSafetensors(hdr, append(data, 1, 2, 3, 4)), 0o644))
	_, err := Load(dir, Options{})
	assert.ErrorIs(t, err, ErrUnexpectedTensor)
	m, err := Load(dir, Options{AllowUnexpected: true})
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, []string{"extra.weight"}, m.Info().Unexpected)
}

func TestTorchErrorMessage(t *testing.T) {
	err := torchError("matmul", errors.New("Matmul() failed: Libtorch API Error: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)\nException raised from ...\ngoroutine 1 [running]:"))
	assert.EqualError(t, err, "clip: libtorch matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)")
	fe := &FileError{Path: "/x", Err: &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}}
	assert.EqualError(t, fe, "clip: open /x: file does not exist")
}
