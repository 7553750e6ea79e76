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
