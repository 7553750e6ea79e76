package preprocess

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreprocessDataCropDecode: PreprocessData decodes only the JPEG columns the
// resize reads, into a pooled buffer whose other bytes are stale. Its output must
// equal Decode + Preprocess (which decode everything) for every fixture JPEG, both
// flows and processors of other sizes and settings — with the pool's buffer
// poisoned before each call, so that a column read but not decoded shows.
func TestPreprocessDataCropDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(imagesDir, "files", "*.jpg"))
	if len(files) == 0 {
		t.Skip("no fixtures")
	}
	files = append(files, wideJPEG(t, 2560, 1600), wideJPEG(t, 1600, 2560), wideJPEG(t, 3000, 400))
	configs := []string{
		`{}`,
		`{"size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 336}}`,
		`{"size": {"shortest_edge": 64}, "crop_size": {"height": 48, "width": 40}}`,
		`{"size": {"shortest_edge": 224}, "crop_size": {"height": 300, "width": 500}}`,
		`{"do_center_crop": false}`,
		`{"size": {"height": 100, "width": 150}}`,
		`{"do_resize": false}`,
	}
	n := 0
	for _, c := range configs {
		cfg, err := ParseConfig(mergeConfig(t, c))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, opts := range []Options{ManualOptions, PipelineOptions} {
				img, err := Decode(data, opts)
				if err != nil {
					continue // broken files: their errors are TestFixtures' business
				}
				want, werr := p.Preprocess(img)
				// A fresh poisoned buffer each time: the pool must never hold one
				// buffer twice (the gray path takes two).
				poison := make([]byte, 3*img.W*img.H)
				for i := range poison {
					poison[i] = uint8(i*131 + 17)
				}
				p.bufs.put(poison)
				got, gerr := p.PreprocessData(data, opts)
				if (werr == nil) != (gerr == nil) || !bytes.Equal(f32bytes(got), f32bytes(want)) {
					t.Errorf("%s, config %s, EXIF %v: PreprocessData differs from Decode+Preprocess (%v, %v)",
						filepath.Base(f), c, opts.ApplyEXIF, gerr, werr)
				}
				n++
			}
		}
	}
	t.Logf("%d cases", n)
}

// mergeConfig overlays the JSON object c on CLIP's preprocessor_config.json keys
// (the rest take ParseConfig's defaults, which are CLIP's).
func mergeConfig(t *testing.T, c string) []byte {
	m := map[string]any{"crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
		"resample": 3, "size": 224}
	var over map[string]any
	if err := json.NewDecoder(strings.NewReader(c)).Decode(&over); err != nil {
		t.Fatal(err)
	}
	for k, v := range over {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// wideJPEG writes a w×h baseline 4:2:0 JPEG of photo-like content (Go's encoder)
// into a temporary directory.
func wideJPEG(t *testing.T, w, h int) string {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(w*31 + h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			g := uint8(seed >> 28)
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x*255/w)+g, uint8(y*255/h)+g, uint8((x^y)&255), 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wide.jpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
