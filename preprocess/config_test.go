package preprocess

import (
	"encoding/json"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		json string
		want func(*Config)
		err  bool
	}{
		{"real file keys", `{"crop_size":224,"do_center_crop":true,"do_normalize":true,"do_resize":true,
			"feature_extractor_type":"CLIPFeatureExtractor","image_mean":[0.48145466,0.4578275,0.40821073],
			"image_std":[0.26862954,0.26130258,0.27577711],"resample":3,"size":224}`, func(c *Config) {}, false},
		{"empty uses class defaults", `{}`, func(c *Config) {}, false},
		{"size dict", `{"size":{"shortest_edge":336},"crop_size":{"height":300,"width":200}}`, func(c *Config) {
			c.ShortestEdge, c.CropHeight, c.CropWidth = 336, 300, 200
		}, false},
		{"exact size", `{"size":{"height":100,"width":150}}`, func(c *Config) {
			c.ShortestEdge, c.Height, c.Width = 0, 100, 150
		}, false},
		{"flags", `{"do_rescale":false,"rescale_factor":0.5,"do_convert_rgb":false,"do_normalize":false}`, func(c *Config) {
			c.DoRescale, c.RescaleFactor, c.DoConvertRGB, c.DoNormalize = false, 0.5, false, false
		}, false},
		{"scalar mean", `{"image_mean":[0.5],"image_std":[0.25]}`, func(c *Config) {
			c.ImageMean, c.ImageStd = [3]float64{0.5, 0.5, 0.5}, [3]float64{0.25, 0.25, 0.25}
		}, false},
		{"bilinear unsupported", `{"resample":2}`, nil, true},
		{"longest_edge unsupported", `{"size":{"longest_edge":224}}`, nil, true},
		{"zero std", `{"image_std":[0,1,1]}`, nil, true},
		{"bad json", `{"size":`, nil, true},
		{"negative size", `{"size":-1}`, nil, true},
	}
	for _, tt := range tests {
		c, err := ParseConfig([]byte(tt.json))
		if tt.err {
			if err == nil {
				t.Errorf("%s: want error, got %+v", tt.name, c)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		want := Default()
		tt.want(&want)
		if c != want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, c, want)
		}
	}
}

func TestResizedSize(t *testing.T) {
	p, _ := New(Default())
	for _, tt := range []struct{ w, h, ow, oh int }{
		{640, 480, 298, 224}, {480, 640, 224, 298}, {500, 333, 336, 224}, {1000, 667, 335, 224},
		{100, 50, 448, 224}, {224, 224, 224, 224}, {225, 225, 224, 224}, {1, 1, 224, 224},
		{40, 800, 224, 4480}, {4032, 3024, 298, 224},
	} {
		if ow, oh := p.ResizedSize(tt.w, tt.h); ow != tt.ow || oh != tt.oh {
			t.Errorf("%dx%d → %dx%d, want %dx%d", tt.w, tt.h, ow, oh, tt.ow, tt.oh)
		}
	}
}

// TestConfigVariants: processors built from other configs equal HF's
// CLIPImageProcessor with the same settings (testdata/images/index.json).
func TestConfigVariants(t *testing.T) {
	var ix struct {
		Configs []struct {
			Config json.RawMessage `json:"config"`
			W, H   int
			Shape  []int  `json:"shape"`
			SHA    string `json:"pixel_values_sha256"`
		} `json:"configs"`
	}
	readJSON(t, "index.json", &ix)
	if len(ix.Configs) == 0 {
		t.Fatal("no config cases")
	}
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
		ow, oh := p.OutputSize(c.W, c.H)
		if want := []int{1, 3, oh, ow}; len(c.Shape) != 4 || c.Shape[2] != oh || c.Shape[3] != ow {
			t.Errorf("%s: shape %v, HF %v", c.Config, want, c.Shape)
		}
		if sha(f32bytes(pv)) != c.SHA {
			t.Errorf("%s on %dx%d: pixel_values differ from HF's", c.Config, c.W, c.H)
		}
	}
}
