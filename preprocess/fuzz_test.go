package preprocess

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to every decoder (JPEG via libjpeg-turbo,
// PNG, GIF, WebP, BMP, TIFF), EXIF parsing and the processor. Seeds:
// testdata/fuzz/FuzzDecode (written by testdata/gen/gen_images.py).
//
//	go test ./preprocess -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	p, err := New(Default())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{MaxPixels: 1 << 20}, {ApplyEXIF: true, MaxPixels: 1 << 20}} {
			t0 := time.Now()
			img, err := Decode(data, opts)
			if d := time.Since(t0); d > 10*time.Second {
				t.Fatalf("slow input: %v (%s, %d bytes, err %v)", d, sniff(data), len(data), err)
			}
			if err != nil {
				var ie *ImageError
				if !errors.As(err, &ie) {
					t.Fatalf("error %v (%T) is not an *ImageError", err, err)
				}
				if strings.Contains(ie.Reason, "decoder panic") {
					t.Fatalf("decoder panicked: %v", err)
				}
				continue
			}
			if err := img.Valid(); err != nil {
				t.Fatalf("invalid image: %v", err)
			}
			if img.W*img.H > 1<<20 {
				t.Fatalf("%dx%d exceeds MaxPixels", img.W, img.H)
			}
			pv, err := p.Preprocess(img)
			if err != nil {
				t.Fatalf("Preprocess: %v", err)
			}
			if len(pv) != 3*224*224 {
				t.Fatalf("%d values", len(pv))
			}
			// PreprocessData takes shortcuts (a column-cropped JPEG decode into a
			// recycled buffer): it must agree with the long way, bit for bit.
			pv2, err := p.PreprocessData(data, opts)
			if err != nil || !slices.Equal(f32bytes(pv2), f32bytes(pv)) {
				t.Fatalf("PreprocessData differs from Decode+Preprocess (err %v)", err)
			}
		}
	})
}
