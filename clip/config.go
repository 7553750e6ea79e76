package clip

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config is a CLIPModel configuration as transformers resolves it from config.json
// (CLIPConfig, configuration_clip.py). Only the fields the forward pass uses are kept.
type Config struct {
	Text           TextConfig
	Vision         VisionConfig
	ProjectionDim  int     // projection_dim (top level; the towers' own projection_dim is unused)
	LogitScaleInit float64 // logit_scale_init_value (the checkpoint's logit_scale is what counts)
	// AttnImplementation is the top-level "_attn_implementation" (configs saved by some
	// transformers 4.x releases carry it) and AttnImplementationKwarg "attn_implementation":
	// "" when absent or null. ResolveAttention reads them; the towers' own keys are
	// ignored, as transformers ignores them.
	AttnImplementation      string
	AttnImplementationKwarg string
}

// TextConfig is CLIPTextConfig.
type TextConfig struct {
	VocabSize             int
	HiddenSize            int
	IntermediateSize      int
	NumHiddenLayers       int
	NumAttentionHeads     int
	MaxPositionEmbeddings int
	HiddenAct             string
	LayerNormEps          float64
	PadTokenID            int64
	BOSTokenID            int64
	EOSTokenID            int64
}

// VisionConfig is CLIPVisionConfig.
type VisionConfig struct {
	HiddenSize        int
	IntermediateSize  int
	NumHiddenLayers   int
	NumAttentionHeads int
	NumChannels       int
	ImageSize         int
	PatchSize         int
	HiddenAct         string
	LayerNormEps      float64
}

// LegacyEOSPooling reports whether the text tower pools at argmax(input_ids) — the
// rule transformers keeps for configs whose eos_token_id is the stale value 2 —
// rather than at the first position holding eos_token_id.
func (c TextConfig) LegacyEOSPooling() bool { return c.EOSTokenID == 2 }

// HeadDim is hidden_size / num_attention_heads.
func (c TextConfig) HeadDim() int { return c.HiddenSize / c.NumAttentionHeads }

// HeadDim is hidden_size / num_attention_heads.
func (c VisionConfig) HeadDim() int { return c.HiddenSize / c.NumAttentionHeads }

// NumPositions is the number of patches plus the class token.
func (c VisionConfig) NumPositions() int {
	g := c.ImageSize / c.PatchSize
	return g*g + 1
}

// The defaults of CLIPTextConfig / CLIPVisionConfig / CLIPConfig in transformers.
func defaultText() TextConfig {
	return TextConfig{VocabSize: 49408, HiddenSize: 512, IntermediateSize: 2048, NumHiddenLayers: 12,
		NumAttentionHeads: 8, MaxPositionEmbeddings: 77, HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
		PadTokenID: 1, BOSTokenID: 49406, EOSTokenID: 49407}
}

func defaultVision() VisionConfig {
	return VisionConfig{HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
		NumChannels: 3, ImageSize: 224, PatchSize: 32, HiddenAct: "quick_gelu", LayerNormEps: 1e-5}
}

// JSON shapes: pointers tell "absent" (or null) from zero; absent keeps the default.
type rawText struct {
	VocabSize             *int     `json:"vocab_size"`
	HiddenSize            *int     `json:"hidden_size"`
	IntermediateSize      *int     `json:"intermediate_size"`
	NumHiddenLayers       *int     `json:"num_hidden_layers"`
	NumAttentionHeads     *int     `json:"num_attention_heads"`
	MaxPositionEmbeddings *int     `json:"max_position_embeddings"`
	HiddenAct             *string  `json:"hidden_act"`
	LayerNormEps          *float64 `json:"layer_norm_eps"`
	PadTokenID            *int64   `json:"pad_token_id"`
	BOSTokenID            *int64   `json:"bos_token_id"`
	EOSTokenID            *int64   `json:"eos_token_id"`
}

type rawVision struct {
	HiddenSize        *int     `json:"hidden_size"`
	IntermediateSize  *int     `json:"intermediate_size"`
	NumHiddenLayers   *int     `json:"num_hidden_layers"`
	NumAttentionHeads *int     `json:"num_attention_heads"`
	NumChannels       *int     `json:"num_channels"`
	ImageSize         *int     `json:"image_size"`
	PatchSize         *int     `json:"patch_size"`
	HiddenAct         *string  `json:"hidden_act"`
	LayerNormEps      *float64 `json:"layer_norm_eps"`
}

type rawConfig struct {
	ModelType        string     `json:"model_type"`
	ProjectionDim    *int       `json:"projection_dim"`
	LogitScaleInit   *float64   `json:"logit_scale_init_value"`
	TextConfig       *rawText   `json:"text_config"`
	VisionConfig     *rawVision `json:"vision_config"`
	TextConfigDict   *rawText   `json:"text_config_dict"`
	VisionConfigDict *rawVision `json:"vision_config_dict"`
	AttnImpl         any        `json:"_attn_implementation"`
	AttnImplKwarg    any        `json:"attn_implementation"`
}

// LoadConfig reads a CLIPModel config.json.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, withPath(err, path)
	}
	return c, nil
}

// ParseConfig resolves a CLIPModel config.json as CLIPConfig.__init__ does: each tower
// starts from its class defaults; a `text_config_dict` / `vision_config_dict` (old
// checkpoints such as openai/clip-vit-large-patch14) wins over `text_config` /
// `vision_config` for every field, because transformers rebuilds the tower config from
// the dict and its defaults and overwrites the other one with it.
func ParseConfig(data []byte) (*Config, error) {
	var raw rawConfig
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &ConfigError{Reason: "invalid JSON", Err: err}
	}
	if raw.ModelType != "" && raw.ModelType != "clip" {
		return nil, &ConfigError{Field: "model_type", Reason: fmt.Sprintf("%q is not a CLIPModel (want \"clip\")", raw.ModelType)}
	}
	c := &Config{Text: defaultText(), Vision: defaultVision(), ProjectionDim: 512, LogitScaleInit: 2.6592}
	set(&c.ProjectionDim, raw.ProjectionDim)
	set(&c.LogitScaleInit, raw.LogitScaleInit)
	c.AttnImplementation, c.AttnImplementationKwarg = attnKey(raw.AttnImpl), attnKey(raw.AttnImplKwarg)
	if t := raw.TextConfigDict; t != nil {
		c.Text.apply(t)
	} else if t := raw.TextConfig; t != nil {
		c.Text.apply(t)
	}
	if v := raw.VisionConfigDict; v != nil {
		c.Vision.apply(v)
	} else if v := raw.VisionConfig; v != nil {
		c.Vision.apply(v)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// attnKey is an attention key's value: a string as is, "" for null; anything else
// (transformers also takes a per-tower dict as a from_pretrained argument) is kept as
// its JSON text, which ResolveAttention then refuses unless the caller overrides it.
func attnKey(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *TextConfig) apply(r *rawText) {
	set(&c.VocabSize, r.VocabSize)
	set(&c.HiddenSize, r.HiddenSize)
	set(&c.IntermediateSize, r.IntermediateSize)
	set(&c.NumHiddenLayers, r.NumHiddenLayers)
	set(&c.NumAttentionHeads, r.NumAttentionHeads)
	set(&c.MaxPositionEmbeddings, r.MaxPositionEmbeddings)
	set(&c.HiddenAct, r.HiddenAct)
	set(&c.LayerNormEps, r.LayerNormEps)
	set(&c.PadTokenID, r.PadTokenID)
	set(&c.BOSTokenID, r.BOSTokenID)
	set(&c.EOSTokenID, r.EOSTokenID)
}

func (c *VisionConfig) apply(r *rawVision) {
	set(&c.HiddenSize, r.HiddenSize)
	set(&c.IntermediateSize, r.IntermediateSize)
	set(&c.NumHiddenLayers, r.NumHiddenLayers)
	set(&c.NumAttentionHeads, r.NumAttentionHeads)
	set(&c.NumChannels, r.NumChannels)
	set(&c.ImageSize, r.ImageSize)
	set(&c.PatchSize, r.PatchSize)
	set(&c.HiddenAct, r.HiddenAct)
	set(&c.LayerNormEps, r.LayerNormEps)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Validate checks that the sizes make a model this package can run.
func (c *Config) Validate() error {
	pos := func(field string, v int) error {
		if v <= 0 {
			return &ConfigError{Field: field, Reason: fmt.Sprintf("%d: must be positive", v)}
		}
		return nil
	}
	checks := []error{
		pos("projection_dim", c.ProjectionDim),
		pos("text_config.vocab_size", c.Text.VocabSize),
		pos("text_config.hidden_size", c.Text.HiddenSize),
		pos("text_config.intermediate_size", c.Text.IntermediateSize),
		pos("text_config.num_hidden_layers", c.Text.NumHiddenLayers),
		pos("text_config.num_attention_heads", c.Text.NumAttentionHeads),
		pos("text_config.max_position_embeddings", c.Text.MaxPositionEmbeddings),
		pos("vision_config.hidden_size", c.Vision.HiddenSize),
		pos("vision_config.intermediate_size", c.Vision.IntermediateSize),
		pos("vision_config.num_hidden_layers", c.Vision.NumHiddenLayers),
		pos("vision_config.num_attention_heads", c.Vision.NumAttentionHeads),
		pos("vision_config.num_channels", c.Vision.NumChannels),
		pos("vision_config.patch_size", c.Vision.PatchSize),
		pos("vision_config.image_size", c.Vision.ImageSize),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if c.Text.HiddenSize%c.Text.NumAttentionHeads != 0 {
		return &ConfigError{Field: "text_config.num_attention_heads", Reason: "does not divide hidden_size"}
	}
	if c.Vision.HiddenSize%c.Vision.NumAttentionHeads != 0 {
		return &ConfigError{Field: "vision_config.num_attention_heads", Reason: "does not divide hidden_size"}
	}
	if c.Vision.ImageSize < c.Vision.PatchSize {
		return &ConfigError{Field: "vision_config.patch_size", Reason: "larger than image_size"}
	}
	for field, act := range map[string]string{"text_config.hidden_act": c.Text.HiddenAct, "vision_config.hidden_act": c.Vision.HiddenAct} {
		if _, ok := activations[act]; !ok {
			return &ConfigError{Field: field, Reason: fmt.Sprintf("activation %q is not supported (have quick_gelu, gelu, gelu_pytorch_tanh, relu)", act)}
		}
	}
	if !(c.Text.LayerNormEps > 0) || !(c.Vision.LayerNormEps > 0) {
		return &ConfigError{Field: "layer_norm_eps", Reason: "must be positive"}
	}
	if c.Text.EOSTokenID < 0 || c.Text.EOSTokenID >= int64(c.Text.VocabSize) && !c.Text.LegacyEOSPooling() {
		return &ConfigError{Field: "text_config.eos_token_id", Reason: fmt.Sprintf("%d is not a token id of a %d-token vocabulary", c.Text.EOSTokenID, c.Text.VocabSize)}
	}
	return nil
}
