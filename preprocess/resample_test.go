package preprocess

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/zeroshot-clip/zeroshot/preprocess/internal/hsimd"
)

// Pillow's own resampling expectations (Tests/test_image_resample.py) for
// BICUBIC on 8-bit images, as Go table tests. Every expected value below was
// produced by the oracle's Pillow 13.0.0 (and agrees with the hex samples in
// Pillow's test file).

func resizeFull(src plane, w, h int) plane {
	return resizeWindow(src, w, h, 0, 0, w, h, nil)
}

// makeCase is TestImagingCoreResampleAccuracy.make_case: two bright and two
// dark squares, the same value in every channel.
func makeCase(ch, w, h int, color uint8) plane {
	p := plane{w: w, h: h, ch: ch, pix: make([]uint8, w*h*ch)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 255 - color
			if (x < w/2 && y < h/2) || (x >= w/2 && y >= h/2) {
				v = color
			}
			for c := 0; c < ch; c++ {
				p.pix[(y*w+x)*ch+c] = v
			}
		}
	}
	return p
}

func TestPillowResampleAccuracy(t *testing.T) {
	tests := []struct {
		name       string
		inW, inH   int
		outW, outH int
		want       string // one channel, row-major, hex (Pillow 13 output)
	}{
		{"reduce_bicubic 12→6", 12, 12, 6, 6,
			"e1e3d42b1c1ee3e5d6291a1cd4d6c936292b2b2936c9d6d41c1a29d6e5e31e1c2bd4e3e1"},
		{"enlarge_bicubic 4→8", 4, 4, 8, 8,
			"e1e5eeb946111a1ee5e9f3bc430c161aeef3fdc13e020c11b9bcc1a25d3e434646433e5da2" +
				"c1bcb9110c023ec1fdf3ee1a160c43bcf3e9e51e1a1146b9eee5e1"},
	}
	for _, tt := range tests {
		for _, ch := range []int{1, 3, 4} { // Pillow's "L", "RGB", "RGBX"
			out := resizeFull(makeCase(ch, tt.inW, tt.inH, 0xE1), tt.outW, tt.outH)
			for c := 0; c < ch; c++ {
				got := make([]byte, tt.outW*tt.outH)
				for i := range got {
					got[i] = out.pix[i*ch+c]
				}
				if hex.EncodeToString(got) != tt.want {
					t.Errorf("%s ch=%d/%d:\n got %x\nwant %s", tt.name, c, ch, got, tt.want)
				}
			}
		}
	}
}

// TestCoreResampleConsistency: a solid image stays solid (test_8u, with BICUBIC).
func TestPillowResampleConsistency(t *testing.T) {
	for _, tt := range []struct {
		ch   int
		fill []uint8
	}{{3, []uint8{0, 64, 255}}, {1, []uint8{12}}} {
		src := plane{w: 512, h: 9, ch: tt.ch, pix: bytes.Repeat(tt.fill, 512*9)}
		out := resizeFull(src, 9, 512)
		if !bytes.Equal(out.pix, bytes.Repeat(tt.fill, 9*512)) {
			t.Errorf("fill %v not preserved", tt.fill)
		}
	}
}

// TestCoreResampleCoefficients.test_reduce: half 254, half 0, wide → 5 px;
// Pillow 13 gives [254 255 127 0 0] for each size.
func TestPillowResampleCoefficientsReduce(t *testing.T) {
	for size := 400000; size < 400010; size += 2 {
		src := plane{w: size, h: 1, ch: 1, pix: make([]uint8, size)}
		for x := 0; x < size/2; x++ {
			src.pix[x] = 254
		}
		out := resizeFull(src, 5, 1)
		if !bytes.Equal(out.pix, []uint8{254, 255, 127, 0, 0}) {
			t.Errorf("size %d: got %v, want [254 255 127 0 0]", size, out.pix)
		}
	}
}

// test_non_zero_coefficients: 1280² solid → 256² stays (0x20, 0x40, 0x60).
func TestPillowResampleNonZeroCoefficients(t *testing.T) {
	fill := []uint8{0x20, 0x40, 0x60}
	src := plane{w: 1280, h: 1280, ch: 3, pix: bytes.Repeat(fill, 1280*1280)}
	out := resizeFull(src, 256, 256)
	if !bytes.Equal(out.pix, bytes.Repeat(fill, 256*256)) {
		t.Error("solid colour not preserved")
	}
}

// test_modify_after_resizing / passthrough: same size returns an equal copy.
func TestPillowResamplePassthrough(t *testing.T) {
	src := plane{w: 7, h: 5, ch: 3, pix: noise(7*5*3, 1)}
	out := resizeFull(src, 7, 5)
	if !bytes.Equal(out.pix, src.pix) {
		t.Fatal("same-size resize changed pixels")
	}
	out.pix[0]++
	if out.pix[0] == src.pix[0] {
		t.Fatal("same-size resize must return a copy")
	}
}

// noise is the generator of testdata/gen/gen_images.py (LCG, top byte).
func noise(n int, seed uint64) []uint8 {
	out := make([]uint8, n)
	s := seed
	for i := range out {
		s = s*6364136223846793005 + 1442695040888963407
		out[i] = uint8(s >> 56)
	}
	return out
}

// TestResampleOracle compares whole resizes of noise images, including
// upscales, one-pass (horizontal or vertical only) cases and extreme aspect
// ratios, with Pillow 13's output (testdata/images/resample.json).
func TestResampleOracle(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(imagesDir, "resample.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			W, H, Channels int
			Seed           uint64
			OutW           int    `json:"out_w"`
			OutH           int    `json:"out_h"`
			SHA            string `json:"sha256"`
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	defer func(v bool) { useSIMD = v }(useSIMD)
	for _, simd := range codePaths() {
		useSIMD = simd
		for _, c := range doc.Cases {
			src := plane{w: c.W, h: c.H, ch: c.Channels, pix: noise(c.W*c.H*c.Channels, c.Seed)}
			out := resizeFull(src, c.OutW, c.OutH)
			if got := sha(out.pix); got != c.SHA {
				t.Errorf("%dx%dx%d → %dx%d (AVX2 %v): output differs from Pillow's", c.W, c.H, c.Channels, c.OutW, c.OutH, simd)
			}
			// A window equals the same window of the full resize.
			if c.OutW > 4 && c.OutH > 4 {
				x0, y0, w, h := c.OutW/3, c.OutH/4, c.OutW/2, c.OutH/2
				win := resizeWindow(src, c.OutW, c.OutH, x0, y0, w, h, nil)
				if !bytes.Equal(win.pix, cropPlane(out, x0, y0, w, h).pix) {
					t.Errorf("%dx%d → %dx%d (AVX2 %v): window differs from the full resize", c.W, c.H, c.OutW, c.OutH, simd)
				}
			}
		}
	}
	if len(doc.Cases) < 10 {
		t.Fatalf("only %d cases", len(doc.Cases))
	}
}

// TestHorizontalSIMDMatchesGo: the AVX2 horizontal pass (internal/hsimd) gives the
// Go loops' bytes — which the tests above tie to Pillow — on noise and on 0/255
// patterns (clamping both ways), for down- and up-scaling, odd and even tap counts,
// odd row counts, windows, both pass orders, and sizes where the last loads reach
// the end of the source (the scalar fallback).
func TestHorizontalSIMDMatchesGo(t *testing.T) {
	if !hsimd.Available {
		t.Skip("no AVX2 on this CPU: only the Go loops run")
	}
	defer func(v bool) { useSIMD = v }(useSIMD)
	sizes := [][4]int{ // in w, h → out w, h
		{2560, 1600, 358, 224}, {1600, 2560, 224, 358}, {4032, 3024, 298, 224},
		{640, 480, 298, 224}, {224, 224, 224, 224}, {100, 37, 605, 224},
		{1, 1, 224, 224}, {2, 3, 224, 336}, {3, 2, 336, 224}, {20, 400, 224, 4480},
		{300, 301, 299, 300}, {1000, 7, 31, 3}, {17, 5, 16, 5}, {5, 9, 2, 9},
		// vertical pass first (horizontalFirst false): a strip of source columns
		{250, 700, 224, 627}, {1000, 3000, 224, 672}, {300, 4000, 224, 2986},
		{100, 1000, 224, 224}, {7, 900, 3, 40}, {300, 321, 290, 300},
	}
	patterns := map[string]func(n int, seed uint64) []uint8{
		"noise": noise,
		"stripes": func(n int, seed uint64) []uint8 {
			p := make([]uint8, n)
			for i := range p {
				if (i/3/int(seed%5+1))%2 == 0 {
					p[i] = 255
				}
			}
			return p
		},
	}
	for _, s := range sizes {
		for name, gen := range patterns {
			src := plane{w: s[0], h: s[1], ch: 3, pix: gen(s[0]*s[1]*3, uint64(s[0]*7+s[1]))}
			windows := [][4]int{{0, 0, s[2], s[3]}, {s[2] / 3, s[3] / 4, s[2] - s[2]/3, s[3] - s[3]/2}}
			for _, win := range windows {
				if win[2] <= 0 || win[3] <= 0 {
					continue
				}
				useSIMD = true
				a := resizeWindow(src, s[2], s[3], win[0], win[1], win[2], win[3], nil)
				useSIMD = false
				b := resizeWindow(src, s[2], s[3], win[0], win[1], win[2], win[3], nil)
				if !bytes.Equal(a.pix, b.pix) {
					n := 0
					for i := range a.pix {
						if a.pix[i] != b.pix[i] {
							n++
						}
					}
					t.Errorf("%dx%d → %dx%d window %v (%s): %d of %d samples differ", s[0], s[1], s[2], s[3], win, name, n, len(a.pix))
				}
			}
		}
	}
}

// codePaths lists the resampling code paths the CPU has: the AVX2 passes
// (useSIMD true) where available, and always the Go loops.
func codePaths() []bool {
	if hsimd.Available {
		return []bool{true, false}
	}
	return []bool{false}
}
