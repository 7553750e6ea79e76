package preprocess

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Resample filters (PIL.Image.Resampling values, as stored in preprocessor_config.json).
const (
	ResampleBicubic = 3 // the only filter implemented (CLIP's)
)

// Config is the part of a Hugging Face preprocessor_config.json that
// CLIPImageProcessor reads, with the class defaults filled in for absent keys.
type Config struct {
	DoResize bool
	// Size: ShortestEdge > 0 resizes the short side to it (aspect kept, long side
	// int(S*long/short)); otherwise Height×Width is the exact output size.
	ShortestEdge  int
	Height, Width int
	Resample      int // PIL filter id; only ResampleBicubic is supported

	DoCenterCrop          bool
	CropHeight, CropWidth int

	DoRescale     bool
	RescaleFactor float64 // float64, as Python's 1/255

	DoNormalize bool
	ImageMean   [3]float64
	ImageStd    [3]float64

	DoConvertRGB bool // inputs are always converted to RGB; recorded for completeness
}

// OpenAI CLIP normalisation constants (transformers' OPENAI_CLIP_MEAN/STD).
var (
	OpenAIClipMean = [3]float64{0.48145466, 0.4578275, 0.40821073}
	OpenAIClipStd  = [3]float64{0.26862954, 0.26130258, 0.27577711}
)

// Default returns CLIPImageProcessor's defaults, which are also the values of
// openai/clip-vit-large-patch14's preprocessor_config.json.
func Default() Config {
	return Config{
		DoResize: true, ShortestEdge: 224, Resample: ResampleBicubic,
		DoCenterCrop: true, CropHeight: 224, CropWidth: 224,
		DoRescale: true, RescaleFactor: 1.0 / 255.0,
		DoNormalize: true, ImageMean: OpenAIClipMean, ImageStd: OpenAIClipStd,
		DoConvertRGB: true,
	}
}

// LoadConfig reads a preprocessor_config.json.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("preprocess: config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("preprocess: config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses preprocessor_config.json bytes, applying
// CLIPImageProcessor's defaults for absent keys and HF's size-dict rules
// (size int → {"shortest_edge": n}; crop_size int → {"height": n, "width": n}).
func ParseConfig(b []byte) (Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Config{}, err
	}
	c := Default()
	var err error
	get := func(key string, dst any) {
		if v, ok := raw[key]; ok && err == nil && string(v) != "null" {
			if e := json.Unmarshal(v, dst); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
	}
	get("do_resize", &c.DoResize)
	get("resample", &c.Resample)
	get("do_center_crop", &c.DoCenterCrop)
	get("do_rescale", &c.DoRescale)
	get("rescale_factor", &c.RescaleFactor)
	get("do_normalize", &c.DoNormalize)
	get("do_convert_rgb", &c.DoConvertRGB)
	var mean, std []float64
	get("image_mean", &mean)
	get("image_std", &std)
	if err != nil {
		return Config{}, err
	}
	if mean != nil {
		if c.ImageMean, err = three("image_mean", mean); err != nil {
			return Config{}, err
		}
	}
	if std != nil {
		if c.ImageStd, err = three("image_std", std); err != nil {
			return Config{}, err
		}
	}
	if v, ok := raw["size"]; ok && string(v) != "null" {
		se, h, w, e := sizeDict(v, false)
		if e != nil {
			return Config{}, fmt.Errorf("size: %w", e)
		}
		c.ShortestEdge, c.Height, c.Width = se, h, w
	}
	if v, ok := raw["crop_size"]; ok && string(v) != "null" {
		se, h, w, e := sizeDict(v, true)
		if e != nil || se != 0 {
			return Config{}, fmt.Errorf("crop_size: want an int or {height,width}")
		}
		c.CropHeight, c.CropWidth = h, w
	}
	return c, c.Validate()
}

func three(name string, v []float64) ([3]float64, error) {
	switch len(v) {
	case 1:
		return [3]float64{v[0], v[0], v[0]}, nil
	case 3:
		return [3]float64{v[0], v[1], v[2]}, nil
	}
	return [3]float64{}, fmt.Errorf("%s: want 3 values, got %d", name, len(v))
}

// sizeDict follows transformers' get_size_dict: an int means shortest_edge
// (default_to_square=False) or a square (crop_size); a dict may hold
// shortest_edge or height+width.
func sizeDict(v json.RawMessage, square bool) (shortest, h, w int, err error) {
	var n int
	if json.Unmarshal(v, &n) == nil {
		if n <= 0 {
			return 0, 0, 0, fmt.Errorf("must be positive, got %d", n)
		}
		if square {
			return 0, n, n, nil
		}
		return n, 0, 0, nil
	}
	var d struct {
		ShortestEdge *int `json:"shortest_edge"`
		LongestEdge  *int `json:"longest_edge"`
		Height       *int `json:"height"`
		Width        *int `json:"width"`
	}
	if err := json.Unmarshal(v, &d); err != nil {
		return 0, 0, 0, err
	}
	switch {
	case d.LongestEdge != nil:
		return 0, 0, 0, fmt.Errorf("longest_edge is not supported")
	case d.ShortestEdge != nil && d.Height == nil && d.Width == nil:
		return *d.ShortestEdge, 0, 0, nil
	case d.Height != nil && d.Width != nil && d.ShortestEdge == nil:
		return 0, *d.Height, *d.Width, nil
	}
	return 0, 0, 0, fmt.Errorf("want shortest_edge or height+width")
}

// Validate reports a configuration this package cannot reproduce exactly.
func (c Config) Validate() error {
	if c.DoResize {
		if c.Resample != ResampleBicubic {
			return fmt.Errorf("resample %d not supported (only 3, BICUBIC)", c.Resample)
		}
		if c.ShortestEdge <= 0 && (c.Height <= 0 || c.Width <= 0) {
			return fmt.Errorf("size: need shortest_edge or height and width > 0")
		}
	}
	if c.DoCenterCrop && (c.CropHeight <= 0 || c.CropWidth <= 0) {
		return fmt.Errorf("crop_size must be positive")
	}
	if c.DoRescale && (math.IsNaN(c.RescaleFactor) || math.IsInf(c.RescaleFactor, 0)) {
		return fmt.Errorf("rescale_factor must be finite")
	}
	if c.DoNormalize {
		for i, s := range c.ImageStd {
			if s == 0 || math.IsNaN(s) {
				return fmt.Errorf("image_std[%d] must be non-zero", i)
			}
		}
	}
	return nil
}
