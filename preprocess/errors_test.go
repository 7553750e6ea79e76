package preprocess

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestErrorsTyped(t *testing.T) {
	files := filepath.Join(imagesDir, "files")
	tests := []struct {
		file string
		kind Kind
	}{
		{"bad_empty.jpg", KindEmpty},
		{"bad_random.bin", KindUnsupported},
		{"bad_truncated_mid.jpg", KindTruncated},
		{"bad_truncated_noeoi.jpg", KindTruncated},
		{"bad_truncated_header.jpg", KindTruncated},
		{"bad_truncated_prog.jpg", KindTruncated},
		{"bad_truncated.png", KindTruncated},
		{"bad_truncated.gif", KindTruncated},
		{"bad_truncated.webp", KindTruncated},
		{"bad_corrupt_dht.jpg", KindCorrupt},
		{"bad_bomb.png", KindTooLarge},
		{"bad_bomb.jpg", KindTooLarge},
		{"does_not_exist.jpg", KindUnreadable},
	}
	for _, tt := range tests {
		path := filepath.Join(files, tt.file)
		_, err := Load(path, ManualOptions)
		var ie *ImageError
		if !errors.As(err, &ie) {
			t.Errorf("%s: %v is not an *ImageError", tt.file, err)
			continue
		}
		if ie.Kind != tt.kind || ie.File != path || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got kind %v file %q (%v), want %v", tt.file, ie.Kind, ie.File, err, tt.kind)
		}
		sentinel := map[Kind]error{KindEmpty: ErrEmpty, KindUnsupported: ErrUnsupported, KindTruncated: ErrTruncated,
			KindCorrupt: ErrCorrupt, KindTooLarge: ErrTooLarge, KindUnreadable: ErrUnreadable}[tt.kind]
		if !errors.Is(err, sentinel) {
			t.Errorf("%s: errors.Is(err, %v sentinel) is false", tt.file, tt.kind)
		}
	}
}

// TestBombNotAllocated: the pixel limit is checked from the header; a
// 100000×100000 PNG (30 GB decoded) must fail without allocating it.
func TestBombNotAllocated(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(imagesDir, "files", "bad_bomb.png"))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 10; i++ {
		if _, err := Decode(data, ManualOptions); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("want ErrTooLarge, got %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 8<<20 {
		t.Errorf("allocated %d bytes for a rejected bomb", d)
	}
}

func TestMaxPixelsOption(t *testing.T) {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 100, 100)))
	if _, err := Decode(buf.Bytes(), Options{MaxPixels: 9999}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit 9999: want ErrTooLarge, got %v", err)
	}
	if _, err := Decode(buf.Bytes(), Options{MaxPixels: 10000}); err != nil {
		t.Errorf("limit 10000: %v", err)
	}
	if _, err := Decode(buf.Bytes(), Options{MaxPixels: -1}); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

func TestFromImageModes(t *testing.T) {
	g16 := image.NewGray16(image.Rect(0, 0, 3, 1))
	g16.Pix = []byte{0, 7, 1, 0, 0xff, 0xff} // 7, 256, 65535 → Pillow I;16 clips
	c := image.NewCMYK(image.Rect(0, 0, 1, 1))
	c.Pix = []byte{255, 0, 128, 64}
	n := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	n.Pix = []byte{10, 20, 30, 0} // alpha 0: stored RGB kept, no compositing
	for _, tt := range []struct {
		m    image.Image
		want []uint8
	}{
		{g16, []uint8{7, 7, 7, 255, 255, 255, 255, 255, 255}},
		{c, []uint8{0, 191, 95}},
		{n, []uint8{10, 20, 30}},
	} {
		got, err := FromImage(tt.m)
		if err != nil || !bytes.Equal(got.Pix, tt.want) {
			t.Errorf("%T: got %v %v, want %v", tt.m, got.Pix, err, tt.want)
		}
	}
	if _, err := FromImage(nil); err == nil {
		t.Error("nil image: want error")
	}
}

func TestPreprocessRejectsInvalidRGB(t *testing.T) {
	p, _ := New(Default())
	for _, m := range []RGB{{}, {W: 2, H: 2, Pix: make([]uint8, 5)}} {
		if _, err := p.Preprocess(m); err == nil {
			t.Errorf("%dx%d/%d: want error", m.W, m.H, len(m.Pix))
		}
	}
}
