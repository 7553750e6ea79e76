package tvprocess

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// TestMain pins libtorch's CPU paths (golden.ReproEnv), as testdata/gen/v5_images.py
// does: the uint8 resize has an AVX2 kernel and a generic one.
func TestMain(m *testing.M) { golden.Main(m) }

var imagesDir = filepath.Join("..", "testdata", "images")

// needV5 skips on a libtorch other than the torchvision oracle's: the goldens are
// transformers 5's, on torch 2.11.0 (no torchvision oracle runs on 2.1.0).
func needV5(t testing.TB, ix golden.V5Index) {
	t.Helper()
	want, _ := ix.Meta["torch"].(string)
	want, _, _ = strings.Cut(want, "+")
	if got := torch.Version(); got != want {
		t.Skipf("libtorch %s: the torchvision goldens were made on torch %s (transformers 5 needs torch >= 2.2; no such oracle on %s)", got, want, got)
	}
}

func loadIndex(t testing.TB) golden.V5Index {
	t.Helper()
	ix, err := golden.ReadV5Index(golden.Path(t, filepath.Join("..", "testdata"), "images/index-v5.json"))
	require.NoError(t, err)
	return ix
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func f32bytes(v []float32) []byte { return golden.F32Bytes(v) }

func clipConfig(t testing.TB) preprocess.Config {
	cfg, err := preprocess.LoadConfig(filepath.Join("..", "testdata", "clip-vit-large-patch14", "preprocessor_config.json"))
	require.NoError(t, err, "the real preprocessor_config.json (testdata/clip-vit-large-patch14)")
	return cfg
}

func newProcessor(t testing.TB, cfg preprocess.Config) *Processor {
	t.Helper()
	require.NoError(t, SetThreads(1))
	p, err := New(cfg)
	require.NoError(t, err)
	return p
}

// V5Options are transformers 5's decode rules for a flow (the pipeline's load_image
// applies EXIF; both composite transparency onto white).
func v5Options(flow string) preprocess.Options {
	return preprocess.Options{ApplyEXIF: flow == "pipeline", AlphaOnWhite: true}
}

// Every fixture file, both flows, against transformers 5's default image processor
// (torchvision backend): identical RGB, uint8 crop and float32 pixel_values.
func TestFixturesTorchvision(t *testing.T) {
	ix := loadIndex(t)
	needV5(t, ix)
	p := newProcessor(t, clipConfig(t))
	var n, nRGB, nCrop, nPV, nRej int
	for _, e := range ix.Images {
		for _, flow := range []string{"manual", "pipeline"} {
			want := e.TV[flow]
			img, err := preprocess.Load(filepath.Join(imagesDir, e.File), v5Options(flow))
			if !want.OK {
				if err == nil {
					t.Errorf("%s/%s: decoded, but transformers 5 rejects it: %s", e.File, flow, want.Error)
				}
				nRej++
				continue
			}
			n++
			require.NoError(t, err, "%s/%s", e.File, flow)
			if sha(img.Pix) == want.RGBSHA {
				nRGB++
			} else {
				t.Errorf("%s/%s: RGB differs", e.File, flow)
			}
			crop, err := p.Crop(img)
			require.NoError(t, err)
			if sha(crop.Pix) == want.CropSHA {
				nCrop++
			} else {
				t.Errorf("%s/%s: uint8 crop differs", e.File, flow)
			}
			pv, err := p.Preprocess(img)
			require.NoError(t, err)
			if sha(f32bytes(pv)) == want.PixelValuesSHA {
				nPV++
			} else {
				t.Errorf("%s/%s: pixel_values differ", e.File, flow)
			}
		}
	}
	t.Logf("transformers %v torchvision %v backend, libtorch %s: RGB %d/%d, crop %d/%d, pixel_values %d/%d bit-identical; %d rejected as it does",
		ix.Meta["transformers"], ix.Meta["torchvision"], torch.Version(), nRGB, n, nCrop, n, nPV, n, nRej)
}

// The processor config cases (336, crop larger than the resize, no crop, no resize,
// padding on both axes, rescale or normalize alone, custom factors, height×width
// resize, 64 px), on the synthetic image.
func TestConfigVariantsTorchvision(t *testing.T) {
	ix := loadIndex(t)
	needV5(t, ix)
	for _, c := range ix.Configs {
		cfg, err := preprocess.ParseConfig(mergeConfig(t, c.Config))
		require.NoError(t, err, string(c.Config))
		p := newProcessor(t, cfg)
		pv, err := p.Preprocess(synthetic(c.W, c.H))
		require.NoError(t, err)
		ow, oh := p.OutputSize(c.W, c.H)
		if len(c.TV.Shape) != 3 || c.TV.Shape[1] != oh || c.TV.Shape[2] != ow {
			t.Errorf("%s: output %dx%d, transformers %v", c.Config, ow, oh, c.TV.Shape)
		}
		if sha(f32bytes(pv)) != c.TV.PixelValuesSHA {
			t.Errorf("%s on %dx%d: pixel_values differ from the torchvision backend's", c.Config, c.W, c.H)
		}
	}
}

// mergeConfig overlays the JSON object c on the real preprocessor_config.json's keys.
func mergeConfig(t testing.TB, c json.RawMessage) []byte {
	m := map[string]any{"crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
		"resample": 3, "size": 224, "image_mean": preprocess.OpenAIClipMean, "image_std": preprocess.OpenAIClipStd}
	var over map[string]any
	require.NoError(t, json.Unmarshal(c, &over))
	for k, v := range over {
		m[k] = v
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// synthetic is testdata/gen/gen_images.py's pattern: R=(7x+3y)%256, G=(x²+5y)%256, B=(xy+11)%256.
func synthetic(w, h int) preprocess.RGB {
	m := preprocess.NewRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			m.Pix[i] = uint8((7*x + 3*y) % 256)
			m.Pix[i+1] = uint8((x*x + 5*y) % 256)
			m.Pix[i+2] = uint8((x*y + 11) % 256)
		}
	}
	return m
}
