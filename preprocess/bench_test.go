package preprocess

import (
	"os"
	"path/filepath"
	"testing"
)

// Benchmarks on a 4032×3024 JPEG (≥ 2560×1600). Compare with HF, single
// thread each:
//
//	go test ./preprocess -run '^$' -bench DecodePreprocess -cpu 1 -benchtime 20x
//	$ORACLE_PY scripts/bench_preprocess.py testdata/images/files/big_4032x3024.jpg
var benchFile = filepath.Join(imagesDir, "files", "big_4032x3024.jpg")

func benchData(b *testing.B) []byte {
	data, err := os.ReadFile(benchFile)
	if err != nil {
		b.Skip(err)
	}
	return data
}

// BenchmarkDecodePreprocess: bytes in memory → pixel_values (what HF's
// Image.open + processor does), through Processor.PreprocessData.
func BenchmarkDecodePreprocess(b *testing.B) {
	data := benchData(b)
	p, _ := New(Default())
	b.SetBytes(int64(len(data)))
	c0 := processCPU()
	defer reportCPU(b, c0)
	for b.Loop() {
		if _, err := p.PreprocessData(data, ManualOptions); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeThenPreprocess: the same through Decode + Preprocess (a
// fresh RGB buffer per call).
func BenchmarkDecodeThenPreprocess(b *testing.B) {
	data := benchData(b)
	p, _ := New(Default())
	c0 := processCPU()
	defer reportCPU(b, c0)
	for b.Loop() {
		img, err := Decode(data, ManualOptions)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Preprocess(img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data := benchData(b)
	c0 := processCPU()
	defer reportCPU(b, c0)
	for b.Loop() {
		if _, err := Decode(data, ManualOptions); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreprocess(b *testing.B) {
	img, err := Decode(benchData(b), ManualOptions)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := New(Default())
	c0 := processCPU()
	defer reportCPU(b, c0)
	for b.Loop() {
		if _, err := p.Preprocess(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCrop2560x1600: resize + centre crop of a 2560×1600 image (the
// benchmark's size), with the AVX2 passes and with the Go loops.
func BenchmarkCrop2560x1600(b *testing.B) { benchCrop(b, 2560, 1600) }

// BenchmarkCropTall1000x3000: the same for a portrait image that Pillow 13
// resizes vertical pass first (horizontalFirst false).
func BenchmarkCropTall1000x3000(b *testing.B) { benchCrop(b, 1000, 3000) }

func benchCrop(b *testing.B, w, h int) {
	img := NewRGB(w, h)
	seed := uint32(1)
	for i := range img.Pix {
		seed = seed*1664525 + 1013904223
		img.Pix[i] = uint8(seed >> 24)
	}
	p, _ := New(Default())
	for _, simd := range []bool{true, false} {
		name := "go"
		if simd {
			name = "simd"
		}
		b.Run(name, func(b *testing.B) {
			defer func(v bool) { useSIMD = v }(useSIMD)
			useSIMD = simd
			for b.Loop() {
				if _, err := p.Crop(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
