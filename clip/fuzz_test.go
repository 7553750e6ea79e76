package clip

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// FuzzSafetensors feeds arbitrary bytes to the safetensors reader as a mapped file:
// it must never panic and only ever return a *FormatError or *FileError; what it
// accepts must hold (every tensor's bytes inside the buffer, sized numel × dtype,
// tiling the buffer), validate against a CLIP config without panicking, and the
// floating tensors must convert to libtorch tensors (float32, as Load does). Seeds:
// testdata/fuzz/FuzzSafetensors (small hand-built files; regenerate with
// `go run serve/internal/fuzzseeds/main.go`).
//
//	go test ./clip -run '^$' -fuzz '^FuzzSafetensors$' -fuzztime 60s
func FuzzSafetensors(f *testing.F) {
	dir := f.TempDir()
	w, err := torch.NewWorker()
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	cfg, err := LoadConfig(filepath.Join("..", "testdata", "models", "tiny-l14", "config.json"))
	if err != nil {
		f.Fatal(err)
	}
	var m Model
	params := m.bind(cfg).params
	f.Fuzz(func(t *testing.T, data []byte) {
		tmp, err := os.CreateTemp(dir, "*.safetensors")
		if err != nil {
			t.Fatal(err)
		}
		path := tmp.Name()
		defer os.Remove(path)
		if _, err := tmp.Write(data); err != nil {
			t.Fatal(err)
		}
		tmp.Close()

		ck, err := openSafetensors(path)
		if err != nil {
			var fe *FormatError
			var fie *FileError
			if !errors.As(err, &fe) && !errors.As(err, &fie) {
				t.Fatalf("error %v (%T) is neither a FormatError nor a FileError", err, err)
			}
			if errors.As(err, &fe) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("FormatError of no kind: %v", err)
			}
			return
		}
		defer ck.close()
		if len(data) < 8 {
			t.Fatalf("accepted %d bytes", len(data))
		}
		var total int64
		for name, e := range ck.entries {
			info, ok := fileDTypes[e.dtype]
			if !ok {
				t.Fatalf("%s: accepted dtype %q", name, e.dtype)
			}
			n, ok := numelOf(e.shape)
			if !ok || int64(len(e.data)) != n*info.size {
				t.Fatalf("%s: %d bytes for shape %v %s", name, len(e.data), e.shape, e.dtype)
			}
			if len(e.data) > 0 && (uintptrOf(e.data) < uintptrOf(ck.m.data) ||
				uintptrOf(e.data)+uintptr(len(e.data)) > uintptrOf(ck.m.data)+uintptr(len(ck.m.data))) {
				t.Fatalf("%s: bytes outside the file", name)
			}
			total += int64(len(e.data))
		}
		if total > int64(len(data)) {
			t.Fatalf("tensors hold %d bytes of a %d-byte file", total, len(data))
		}
		if err := validate(ck, params, true); err != nil {
			var we *WeightsError
			if !errors.As(err, &we) {
				t.Fatalf("validate: %v (%T)", err, err)
			}
		}
		// Convert what Load would convert (bounded, so the fuzzer stays fast).
		err = w.Do(func() error {
			for name, e := range ck.entries {
				n, _ := numelOf(e.shape)
				if !floating[e.dtype] || n > 1<<16 {
					continue
				}
				tt, _, err := ck.tensor(e, Float32, CPU, false)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				tt.Drop()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseConfig: any bytes as config.json give a *ConfigError or a config that
// validates and whose expected tensors can be listed. Seeds: testdata/fuzz/FuzzParseConfig.
//
//	go test ./clip -run '^$' -fuzz '^FuzzParseConfig$' -fuzztime 60s
func FuzzParseConfig(f *testing.F) {
	for _, m := range []string{"tiny-l14", "odd"} {
		if b, err := os.ReadFile(filepath.Join("..", "testdata", "models", m, "config.json")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted a config that does not validate: %v", err)
		}
		names, shapes := c.Expected()
		if len(names) == 0 || len(names) != len(shapes) {
			t.Fatalf("%d names, %d shapes", len(names), len(shapes))
		}
	})
}
