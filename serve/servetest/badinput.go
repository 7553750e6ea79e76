// Package servetest holds the bad-input matrix that the library, the command and the
// server are tested against (serve's and cmd/zeroshot's badinput tests): broken
// images, label sets, templates and model directories, each with the outcome the
// server must give. Test support only.
package servetest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// Image is a bad (or odd) image input.
type Image struct {
	Name   string
	Data   []byte
	Kind   preprocess.Kind // the *preprocess.ImageError kind; 0: it decodes (as in Pillow)
	Status int             // the server's answer
}

// Images returns the image rows, read from root/testdata/images/files (root: the
// repository root).
func Images(root string) ([]Image, error) {
	files := []struct {
		name, file string
		kind       preprocess.Kind
		status     int
	}{
		{"corrupt JPEG (bad Huffman table)", "bad_corrupt_dht.jpg", preprocess.KindCorrupt, 422},
		{"corrupt JPEG scan (Pillow decodes it)", "bad_corrupt_scan.jpg", 0, 200},
		{"truncated JPEG header", "bad_truncated_header.jpg", preprocess.KindTruncated, 422},
		{"truncated JPEG (mid scan)", "bad_truncated_mid.jpg", preprocess.KindTruncated, 422},
		{"truncated JPEG (tail)", "bad_truncated_tail.jpg", preprocess.KindTruncated, 422},
		{"truncated progressive JPEG", "bad_truncated_prog.jpg", preprocess.KindTruncated, 422},
		{"truncated PNG", "bad_truncated.png", preprocess.KindTruncated, 422},
		{"truncated GIF", "bad_truncated.gif", preprocess.KindTruncated, 422},
		{"truncated WebP", "bad_truncated.webp", preprocess.KindTruncated, 422},
		{"empty file", "bad_empty.jpg", preprocess.KindEmpty, 422},
		{"non-image (random bytes)", "bad_random.bin", preprocess.KindUnsupported, 422},
		{"decompression bomb PNG (10^10 px)", "bad_bomb.png", preprocess.KindTooLarge, 413},
		{"decompression bomb JPEG (3.6·10^9 px)", "bad_bomb.jpg", preprocess.KindTooLarge, 413},
	}
	var out []Image
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, "testdata", "images", "files", f.file))
		if err != nil {
			return nil, err
		}
		out = append(out, Image{Name: f.name, Data: b, Kind: f.kind, Status: f.status})
	}
	out = append(out,
		Image{Name: "non-image (a JSON text file)", Data: []byte(`{"candidate_labels": ["cat"]}` + "\n"), Kind: preprocess.KindUnsupported, Status: 422},
		Image{Name: "PNG signature only", Data: []byte("\x89PNG\r\n\x1a\n"), Kind: preprocess.KindTruncated, Status: 422},
	)
	return out, nil
}

// Labels is a bad label set or template.
type Labels struct {
	Name     string
	Labels   []string
	Template string // "" : the default
	// ServerOnly rows are limits of the server (the library takes them).
	ServerOnly bool
	Status     int // the server's answer
}

// LabelCases returns the label and template rows.
func LabelCases() []Labels {
	many := make([]string, 300)
	for i := range many {
		many[i] = fmt.Sprintf("label %d", i)
	}
	long := strings.TrimSpace(strings.Repeat("word ", 80))
	return []Labels{
		{Name: "0 labels", Labels: []string{}, Status: 400},
		{Name: "duplicate labels", Labels: []string{"cat", "dog", "cat"}, Status: 400},
		{Name: "empty label", Labels: []string{"cat", ""}, Status: 400},
		{Name: "blank label", Labels: []string{"cat", " \t "}, Status: 400},
		{Name: "label over 77 tokens", Labels: []string{"cat", long}, Status: 400},
		{Name: "template pushing labels over 77 tokens", Labels: []string{"cat"}, Template: long + " {}", Status: 400},
		{Name: "template without {}", Labels: []string{"cat", "dog"}, Template: "a photo", Status: 400},
		{Name: "template with two {}", Labels: []string{"cat", "dog"}, Template: "{} and {}", Status: 400},
		{Name: "template with unclosed {", Labels: []string{"cat", "dog"}, Template: "a photo of {", Status: 400},
		{Name: "template with a named field", Labels: []string{"cat", "dog"}, Template: "a photo of {animal}", Status: 400},
		{Name: "template with a lone }", Labels: []string{"cat", "dog"}, Template: "a photo of {} }", Status: 400},
		{Name: "template mixing {} and {0}", Labels: []string{"cat", "dog"}, Template: "{} {0}", Status: 400},
		{Name: "300 labels (over --max-labels 256)", Labels: many, ServerOnly: true, Status: 400},
		{Name: "label not valid UTF-8", Labels: []string{"cat", "d\xffg"}, ServerOnly: true, Status: 400},
	}
}

// Model is a broken model directory (or path).
type Model struct {
	Name string
	// Make builds it under dir from the fixture model src (testdata/models/<m>: some rows
	// take other files of testdata) and returns the path to
	// give as --model / zeroshot.Open's dir. Skip, when set, says why the row cannot
	// be built here (e.g. permissions do not bind root).
	Make func(src, dir string) (path string, skip string, err error)
}

// ModelCases returns the model rows.
func ModelCases() []Model {
	without := func(names ...string) func(src, dir string) (string, string, error) {
		return func(src, dir string) (string, string, error) {
			return dir, "", copyModel(src, dir, names...)
		}
	}
	truncate := func(name string, drop ...string) func(src, dir string) (string, string, error) {
		return func(src, dir string) (string, string, error) {
			if err := copyModel(src, dir, drop...); err != nil {
				return "", "", err
			}
			p := filepath.Join(dir, name)
			st, err := os.Stat(p)
			if err != nil {
				return "", "", err
			}
			return dir, "", os.Truncate(p, st.Size()/2)
		}
	}
	header := func(edit func(h map[string]json.RawMessage) error) func(src, dir string) (string, string, error) {
		return func(src, dir string) (string, string, error) {
			if err := copyModel(src, dir, "pytorch_model.bin"); err != nil {
				return "", "", err
			}
			return dir, "", editSafetensors(filepath.Join(dir, "model.safetensors"), edit)
		}
	}
	return []Model{
		{"missing config.json", without("config.json")},
		{"missing weights (no model.safetensors or pytorch_model.bin)", without("model.safetensors", "pytorch_model.bin")},
		{"missing tokenizer files", without("tokenizer.json", "vocab.json", "merges.txt")},
		{"missing preprocessor_config.json", without("preprocessor_config.json")},
		{"truncated model.safetensors", truncate("model.safetensors", "pytorch_model.bin")},
		{"truncated pytorch_model.bin", truncate("pytorch_model.bin", "model.safetensors")},
		{"truncated config.json", truncate("config.json")},
		{"truncated tokenizer.json", truncate("tokenizer.json")},
		{"wrong shape (fc1 weight transposed)", header(func(h map[string]json.RawMessage) error {
			return setField(h, "vision_model.encoder.layers.0.mlp.fc1.weight", "shape", func(v any) any {
				s := v.([]any)
				return []any{s[1], s[0]}
			})
		})},
		{"wrong dtype (F32 tensor declared I32)", header(func(h map[string]json.RawMessage) error {
			return setField(h, "vision_model.encoder.layers.0.mlp.fc1.bias", "dtype", func(any) any { return "I32" })
		})},
		{"missing tensor", header(func(h map[string]json.RawMessage) error {
			return removeTensor(h, "text_projection.weight")
		})},
		{"garbage model.safetensors", func(src, dir string) (string, string, error) {
			if err := copyModel(src, dir, "pytorch_model.bin"); err != nil {
				return "", "", err
			}
			return dir, "", os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("\xff\xff\xff\xff\xff\xff\xff\x7fnot a model"), 0o644)
		}},
		{"legacy (pre-1.6, non-zip) torch.save pytorch_model.bin", func(src, dir string) (string, string, error) {
			if err := copyModel(src, dir, "model.safetensors", "pytorch_model.bin"); err != nil {
				return "", "", err
			}
			// src is testdata/models/<m>: the fixture is testdata/legacy's.
			legacy := filepath.Join(filepath.Dir(filepath.Dir(src)), "legacy", "pytorch_model.bin")
			return dir, "", copyFile(legacy, filepath.Join(dir, "pytorch_model.bin"))
		}},
		{"model.safetensors is a directory", func(src, dir string) (string, string, error) {
			if err := copyModel(src, dir, "model.safetensors", "pytorch_model.bin"); err != nil {
				return "", "", err
			}
			return dir, "", os.Mkdir(filepath.Join(dir, "model.safetensors"), 0o755)
		}},
		{"empty directory", func(src, dir string) (string, string, error) { return dir, "", os.MkdirAll(dir, 0o755) }},
		{"nonexistent directory", func(src, dir string) (string, string, error) {
			return filepath.Join(dir, "does-not-exist"), "", nil
		}},
		{"a text file, not a directory", func(src, dir string) (string, string, error) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", "", err
			}
			p := filepath.Join(dir, "notes.txt")
			return p, "", os.WriteFile(p, []byte("not a model\n"), 0o644)
		}},
		{"unreadable directory (mode 000)", func(src, dir string) (string, string, error) {
			if err := copyModel(src, dir); err != nil {
				return "", "", err
			}
			if err := os.Chmod(dir, 0); err != nil {
				return "", "", err
			}
			if f, err := os.Open(filepath.Join(dir, "config.json")); err == nil {
				f.Close()
				os.Chmod(dir, 0o755)
				return "", "permissions do not bind this user (root): the directory stays readable", nil
			}
			return dir, "", nil
		}},
	}
}

// Restore makes a row's directory removable again (after the unreadable row).
func Restore(dir string) { os.Chmod(dir, 0o755) }

func copyModel(src, dst string, skip ...string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	omit := map[string]bool{}
	for _, s := range skip {
		omit[s] = true
	}
	for _, e := range entries {
		if e.IsDir() || omit[e.Name()] {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// editSafetensors rewrites a safetensors header (the data buffer stays).
func editSafetensors(path string, edit func(map[string]json.RawMessage) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) < 8 {
		return fmt.Errorf("%s: too short", path)
	}
	n := binary.LittleEndian.Uint64(b)
	if 8+n > uint64(len(b)) {
		return fmt.Errorf("%s: bad header length", path)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &h); err != nil {
		return err
	}
	if err := edit(h); err != nil {
		return err
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	out = append(out, hdr...)
	out = append(out, b[8+n:]...)
	return os.WriteFile(path, out, 0o644)
}

func setField(h map[string]json.RawMessage, tensor, field string, f func(any) any) error {
	raw, ok := h[tensor]
	if !ok {
		return fmt.Errorf("no tensor %s", tensor)
	}
	var e map[string]any
	if err := json.Unmarshal(raw, &e); err != nil {
		return err
	}
	e[field] = f(e[field])
	nb, err := json.Marshal(e)
	if err != nil {
		return err
	}
	h[tensor] = nb
	return nil
}

// removeTensor drops a tensor from the header and keeps the offsets tiling the
// buffer by giving its bytes to a new, unexpected tensor of the same size.
func removeTensor(h map[string]json.RawMessage, tensor string) error {
	raw, ok := h[tensor]
	if !ok {
		return fmt.Errorf("no tensor %s", tensor)
	}
	delete(h, tensor)
	h["renamed."+tensor] = raw
	return nil
}
