package preprocess

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
)

// testdata/images/index-v5.json: transformers 5's processors on the same fixtures
// (testdata/gen/v5_images.py, the "5" oracle). This package is its PIL backend
// (CLIPImageProcessorPil) with AlphaOnWhite; the torchvision backend is package
// tvprocess's (it needs libtorch).

func loadV5Index(t testing.TB) golden.V5Index {
	t.Helper()
	ix, err := golden.ReadV5Index(golden.Path(t, filepath.Join("..", "testdata"), "images/index-v5.json"))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// Pillow's alpha_composite over white, every (value, alpha) pair: the digest is
// Pillow 13's (v5_images.py); and alpha 255 leaves every value unchanged, which
// compositeWhite relies on to skip opaque pixels.
func TestOnWhite(t *testing.T) {
	ix := loadV5Index(t)
	img := NewRGB(256, 256)
	alpha := make([]uint8, 256*256)
	for a := 0; a < 256; a++ {
		for c := 0; c < 256; c++ {
			i := a*256 + c
			img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2] = uint8(c), uint8(c), uint8(c)
			alpha[i] = uint8(a)
		}
	}
	compositeWhite(img, alpha)
	if got := sha(img.Pix); got != ix.Alpha.SHA {
		t.Errorf("composite table sha %s, Pillow %s", got, ix.Alpha.SHA)
	}
	for c := 0; c < 256; c++ {
		if onWhite(uint8(c), 255) != uint8(c) {
			t.Fatalf("onWhite(%d, 255) = %d", c, onWhite(uint8(c), 255))
		}
	}
}

// v5Options are the decode options of transformers 5 for a flow.
func v5Options(flow string) Options {
	if flow == "pipeline" {
		return Options{ApplyEXIF: true, AlphaOnWhite: true}
	}
	return Options{AlphaOnWhite: true}
}

// Every fixture file, both flows, against transformers 5's PIL backend: the same
// accept/reject, and identical RGB (after its convert_to_rgb), uint8 crop and float32
// pixel_values; PreprocessData (the JPEG crop-decode shortcut) too.
func TestFixturesV5PIL(t *testing.T) {
	ix := loadV5Index(t)
	p := defaultProcessor(t)
	var n, nRGB, nCrop, nPV, nRej int
	for _, e := range ix.Images {
		for _, flow := range []string{"manual", "pipeline"} {
			want := e.PIL[flow]
			path := filepath.Join(imagesDir, e.File)
			img, err := Load(path, v5Options(flow))
			if !want.OK {
				var ie *ImageError
				if err == nil || !errors.As(err, &ie) {
					t.Errorf("%s/%s: %v, but transformers 5 rejects it: %s", e.File, flow, err, want.Error)
				}
				nRej++
				continue
			}
			n++
			if err != nil {
				t.Errorf("%s/%s: %v", e.File, flow, err)
				continue
			}
			if sha(img.Pix) == want.RGBSHA {
				nRGB++
			} else {
				t.Errorf("%s/%s: RGB after convert_to_rgb differs", e.File, flow)
			}
			crop, err := p.Crop(img)
			if err != nil {
				t.Fatal(err)
			}
			if sha(crop.Pix) == want.CropSHA {
				nCrop++
			} else {
				t.Errorf("%s/%s: uint8 crop differs", e.File, flow)
			}
			pv := p.Normalize(crop, nil)
			if sha(golden.F32Bytes(pv)) == want.PixelValuesSHA {
				nPV++
			} else {
				t.Errorf("%s/%s: pixel_values differ", e.File, flow)
			}
			data := mustRead(t, path)
			if pv2, err := p.PreprocessData(data, v5Options(flow)); err != nil || sha(golden.F32Bytes(pv2)) != want.PixelValuesSHA {
				t.Errorf("%s/%s: PreprocessData differs (%v)", e.File, flow, err)
			}
		}
	}
	t.Logf("transformers %v PIL backend: RGB %d/%d, crop %d/%d, pixel_values %d/%d bit-identical; %d rejected as it does",
		ix.Meta["transformers"], nRGB, n, nCrop, n, nPV, n, nRej)
}

// The config variants of index.json, with transformers 5's PIL backend.
func TestConfigVariantsV5PIL(t *testing.T) {
	ix := loadV5Index(t)
	for _, c := range ix.Configs {
		cfg, err := ParseConfig(mergeConfig(t, string(c.Config)))
		if err != nil {
			t.Fatalf("%s: %v", c.Config, err)
		}
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		pv, err := p.Preprocess(synthetic(c.W, c.H))
		if err != nil {
			t.Fatal(err)
		}
		if sha(golden.F32Bytes(pv)) != c.PIL.PixelValuesSHA {
			t.Errorf("%s on %dx%d: pixel_values differ from transformers 5's PIL backend", c.Config, c.W, c.H)
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
