package preprocess_test

import (
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// The CLI's `zeroshot preprocess IMAGE --out DIR [--dump-uint8]` in a few lines.
func Example() {
	cfg := preprocess.Default() // or preprocess.LoadConfig(".../preprocessor_config.json")
	p, err := preprocess.New(cfg)
	if err != nil {
		panic(err)
	}
	img, err := preprocess.Load(filepath.Join("..", "testdata", "images", "files", "jpeg_exif_6.jpg"),
		preprocess.PipelineOptions) // EXIF applied, as the pipeline does
	if err != nil {
		fmt.Println(err) // *preprocess.ImageError: names the file and the reason
		return
	}
	crop, _ := p.Crop(img)       // uint8 224×224 (for --dump-uint8)
	pv := p.Normalize(crop, nil) // float32 [3,224,224]
	dir, _ := os.MkdirTemp("", "pv")
	defer os.RemoveAll(dir)
	_ = preprocess.WriteNPYFile(filepath.Join(dir, "pixel_values.npy"), pv, 1, 3, crop.H, crop.W)
	f, _ := os.Create(filepath.Join(dir, "crop.png"))
	_ = png.Encode(f, crop.Image())
	f.Close()
	fmt.Println(img.W, img.H, crop.W, crop.H, len(pv))
	// Output: 100 150 224 224 150528
}

func ExampleLoad_errors() {
	_, err := preprocess.Load(filepath.Join("..", "testdata", "images", "files", "bad_truncated_mid.jpg"),
		preprocess.ManualOptions)
	fmt.Println(errors.Is(err, preprocess.ErrTruncated))
	// Output: true
}
