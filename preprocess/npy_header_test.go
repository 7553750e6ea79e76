package preprocess

import (
	"bytes"
	"testing"
)

// A file written row by row under NPYHeader(0, cols) and given NPYHeader(rows, cols)
// at the end is WriteNPY's file: the header's length does not depend on the rows.
func TestNPYHeaderGrowsInPlace(t *testing.T) {
	for _, cols := range []int{1, 7, 768} {
		h0, err := NPYHeader(0, cols)
		if err != nil {
			t.Fatal(err)
		}
		if len(h0)%64 != 0 {
			t.Fatalf("header of %d bytes, want a multiple of 64", len(h0))
		}
		for _, rows := range []int{1, 9, 10, 65536, 1000000007, 1 << 40} {
			h, err := NPYHeader(rows, cols)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != len(h0) {
				t.Fatalf("%d×%d: header %d bytes, %d for 0 rows", rows, cols, len(h), len(h0))
			}
			if rows > 100 {
				continue
			}
			data := make([]float32, rows*cols)
			for i := range data {
				data[i] = float32(i) / 3
			}
			var want bytes.Buffer
			if err := WriteNPY(&want, data, rows, cols); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(want.Bytes(), h) {
				t.Fatalf("%d×%d: WriteNPY's header differs", rows, cols)
			}
		}
	}
	if _, err := NPYHeader(-1, 2); err == nil {
		t.Fatal("negative dimension accepted")
	}
}
