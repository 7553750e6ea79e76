package jpegturbo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "images", "files", name))
	if err != nil {
		t.Skip(err)
	}
	return b
}

func decode(data []byte) (*Image, error) {
	d, err := NewDecoder(data)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Decode()
}

func TestDecode(t *testing.T) {
	for _, tt := range []struct {
		name     string
		w, h, ch int
	}{{"jpeg_420.jpg", 161, 119, 3}, {"jpeg_gray.jpg", 161, 119, 1}, {"jpeg_cmyk.jpg", 161, 119, 4},
		{"jpeg_progressive.jpg", 161, 119, 3}} {
		im, err := decode(fixture(t, tt.name))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if im.Width != tt.w || im.Height != tt.h || im.Channels != tt.ch || len(im.Pix) != tt.w*tt.h*tt.ch {
			t.Errorf("%s: got %dx%dx%d", tt.name, im.Width, im.Height, im.Channels)
		}
	}
	if v := Version(); !strings.Contains(v, ".") {
		t.Errorf("Version() = %q", v)
	}
}

// TestErrors: corrupt data returns an error (libjpeg's exit() is never
// reached), truncation is reported as Pillow does.
func TestErrors(t *testing.T) {
	good := fixture(t, "jpeg_420.jpg")
	bad := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"soi only", good[:2], ErrTruncated},
		{"cut header", good[:150], ErrTruncated},
		{"cut scan", good[:len(good)/2], ErrTruncated},
		{"no EOI", good[:len(good)-2], ErrTruncated},
		{"not jpeg", []byte("hello, world"), nil},
	}
	for _, tt := range bad {
		_, err := decode(tt.data)
		if err == nil {
			t.Errorf("%s: want error", tt.name)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	var ce *CorruptError
	if _, err := decode(fixture(t, "bad_corrupt_dht.jpg")); !errors.As(err, &ce) {
		t.Errorf("corrupt DHT: got %v, want *CorruptError", err)
	}
}

// TestDecodeColumns: a column-cropped decode with a 32-pixel margin gives the full
// decode's samples on the wanted columns — for every JPEG fixture (4:2:0, 4:2:2,
// 4:4:4, gray, CMYK, progressive with block smoothing, restart markers, EXIF
// files, photos, 4032×3024) and windows at the edges and inside — and fails the
// same way on the broken files. The buffer is poisoned first, so a sample the
// crop did not produce cannot pass for one it did.
func TestDecodeColumns(t *testing.T) {
	const margin = 32
	dir := filepath.Join("..", "..", "..", "testdata", "images", "files")
	files, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil || len(files) == 0 {
		t.Skip("no fixtures")
	}
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if d, err := NewDecoder(data); err == nil {
			big := d.Header().Width*d.Header().Height > 1<<25
			d.Close()
			if big {
				continue // the decompression bomb: its size is what it tests
			}
		}
		full, ferr := decode(data)
		if ferr != nil {
			d, err := NewDecoder(data)
			if err == nil {
				w := d.Header().Width
				_, _, _, err = d.DecodeColumnsInto(nil, w/4, w/2)
				d.Close()
			}
			if err == nil || err.Error() != ferr.Error() {
				t.Errorf("%s: full decode fails with %v, cropped with %v", name, ferr, err)
			}
			continue
		}
		w, ch := full.Width, full.Channels
		for _, win := range [][2]int{{w / 4, 3 * w / 4}, {w / 3, w / 2}, {1, w - 1}, {0, w / 2}, {w / 2, w}, {w/2 - 1, w/2 + 1}} {
			a, b := win[0], win[1]
			if b <= a {
				continue
			}
			d, err := NewDecoder(data)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, len(full.Pix))
			for i := range buf {
				buf[i] = 0xA5
			}
			im, c0, c1, err := d.DecodeColumnsInto(buf, a-margin, b+margin)
			d.Close()
			if err != nil {
				t.Errorf("%s [%d,%d): %v", name, a, b, err)
				continue
			}
			if c0 > max(a-margin, 0) || c1 < min(b+margin, w) {
				t.Errorf("%s [%d,%d): decoded [%d,%d), narrower than asked", name, a, b, c0, c1)
			}
			diff := 0
			for y := 0; y < full.Height; y++ {
				row := y * w * ch
				for i := row + a*ch; i < row+b*ch; i++ {
					if im.Pix[i] != full.Pix[i] {
						diff++
					}
				}
			}
			if diff > 0 {
				t.Errorf("%s [%d,%d) (decoded [%d,%d) of %d): %d samples differ from the full decode", name, a, b, c0, c1, w, diff)
			}
			checked++
		}
	}
	t.Logf("%d windows checked", checked)
}
