package golden

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// V5Facts is one image processor's result for one fixture file and flow in
// testdata/images/index-v5.json (testdata/gen/v5_images.py): the error, or digests
// (full sha256) of the RGB after convert_to_rgb, the uint8 crop and the pixel_values.
type V5Facts struct {
	OK             bool   `json:"ok"`
	Error          string `json:"error"`
	RGBSize        [2]int `json:"rgb_size"`
	RGBSHA         string `json:"rgb_sha256"`
	CropSHA        string `json:"crop_sha256"`
	Shape          []int  `json:"shape"`
	PixelValuesSHA string `json:"pixel_values_sha256"`
}

// V5Index is testdata/images/index-v5.json: transformers 5's two image processors
// (PIL: CLIPImageProcessorPil; TV: the torchvision CLIPImageProcessor) on every fixture
// file (per flow, "manual" and "pipeline") and on the config variants, and Pillow's
// alpha_composite over white for every (value, alpha).
type V5Index struct {
	Meta  map[string]any `json:"meta"`
	Alpha struct {
		SHA string `json:"sha256"`
	} `json:"alpha_composite"`
	Images []struct {
		File string             `json:"file"`
		PIL  map[string]V5Facts `json:"pil"`
		TV   map[string]V5Facts `json:"torchvision"`
	} `json:"images"`
	Configs []struct {
		Config json.RawMessage `json:"config"`
		W, H   int
		PIL    V5Facts `json:"pil"`
		TV     V5Facts `json:"torchvision"`
	} `json:"configs"`
}

// ReadV5Index reads an index-v5.json; one without images is an error (make goldens
// ORACLE=5 writes it).
func ReadV5Index(path string) (V5Index, error) {
	var ix V5Index
	b, err := os.ReadFile(path)
	if err != nil {
		return ix, err
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		return ix, fmt.Errorf("%s: %w", path, err)
	}
	if len(ix.Images) == 0 {
		return ix, fmt.Errorf("%s has no images (make goldens ORACLE=5)", path)
	}
	return ix, nil
}

// F32Bytes is v as little-endian float32 bytes, numpy's "<f4" tobytes(): what the
// goldens' pixel_values digests are taken over.
func F32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}
