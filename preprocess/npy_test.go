package preprocess

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(imagesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestWriteNPYMatchesNumpy: WriteNPY is byte-identical to numpy.save.
func TestWriteNPYMatchesNumpy(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(imagesDir, "golden", "*.npy"))
	if len(paths) == 0 {
		t.Fatal("no golden .npy files")
	}
	for _, path := range paths {
		want, _ := os.ReadFile(path)
		var buf bytes.Buffer
		if err := WriteNPY(&buf, readNPY(t, path), 1, 3, 224, 224); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: WriteNPY output differs from numpy.save", filepath.Base(path))
		}
	}
	if err := WriteNPY(&bytes.Buffer{}, make([]float32, 5), 2, 3); err == nil {
		t.Error("shape mismatch: want error")
	}
	var buf bytes.Buffer
	WriteNPY(&buf, []float32{1, 2}, 2)
	if !bytes.Contains(buf.Bytes(), []byte("'shape': (2,), }")) || buf.Len() != 128+8 {
		t.Errorf("1-d header wrong: %q", buf.Bytes()[:buf.Len()-8])
	}
}

// numpy.save header lengths for a few shapes (numpy 1.26.4): total header
// bytes (magic through newline).
func TestWriteNPYHeaderSizes(t *testing.T) {
	for _, tt := range []struct {
		shape []int
		want  int
	}{{[]int{2}, 128}, {[]int{1, 3, 224, 224}, 128}, {[]int{}, 128}, {[]int{0}, 128}} {
		n := 1
		for _, s := range tt.shape {
			n *= s
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, make([]float32, n), tt.shape...); err != nil {
			t.Fatal(err)
		}
		if got := buf.Len() - 4*n; got != tt.want {
			t.Errorf("shape %v: header %d bytes, want %d", tt.shape, got, tt.want)
		}
	}
}
