package clip

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	l14 := Config{
		Text: TextConfig{VocabSize: 49408, HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12,
			NumAttentionHeads: 12, MaxPositionEmbeddings: 77, HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
			PadTokenID: 1, BOSTokenID: 49406, EOSTokenID: 49407},
		Vision: VisionConfig{HiddenSize: 1024, IntermediateSize: 4096, NumHiddenLayers: 24, NumAttentionHeads: 16,
			NumChannels: 3, ImageSize: 224, PatchSize: 14, HiddenAct: "quick_gelu", LayerNormEps: 1e-5},
		ProjectionDim: 768, LogitScaleInit: 2.6592,
	}
	b32 := Config{Text: defaultText(), Vision: defaultVision(), ProjectionDim: 512, LogitScaleInit: 2.6592}
	tests := []struct {
		name   string
		json   string
		want   *Config
		legacy bool
	}{
		{"empty: CLIPConfig defaults (B/32)", `{}`, &b32, false},
		{"text_config only keeps its stale eos 2 (legacy pooling)",
			`{"text_config": {"eos_token_id": 2, "hidden_size": 512}}`, nil, true},
		{"text_config_dict wins over text_config, from the class defaults",
			`{"text_config": {"eos_token_id": 2, "hidden_size": 999, "num_attention_heads": 9},
			  "text_config_dict": {"hidden_size": 512}}`, &b32, false},
		{"L/14-336: 577 positions",
			`{"projection_dim": 768, "vision_config": {"hidden_size": 1024, "intermediate_size": 4096,
			  "num_attention_heads": 16, "num_hidden_layers": 24, "image_size": 336, "patch_size": 14}}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.json))
			require.NoError(t, err)
			if tt.want != nil {
				assert.Equal(t, *tt.want, *c)
			}
			assert.Equal(t, tt.legacy, c.Text.LegacyEOSPooling())
		})
	}
	c, err := ParseConfig([]byte(tests[3].json))
	require.NoError(t, err)
	assert.Equal(t, 577, c.Vision.NumPositions())

	// The real ViT-L/14 config: text_config says eos 2, text_config_dict (which wins)
	// leaves the default 49407, so pooling is by the first <|endoftext|>.
	real, err := LoadConfig(filepath.Join("..", "testdata", "clip-vit-large-patch14", ConfigFile))
	require.NoError(t, err, "the real config.json (testdata/clip-vit-large-patch14)")
	assert.Equal(t, l14, *real)
	names, shapes := real.Expected()
	assert.Len(t, names, 590) // parity-spec §4.2
	assert.Equal(t, "text_model.embeddings.token_embedding.weight", names[0])
	assert.Equal(t, []int64{1024, 3, 14, 14}, shapes[indexOf(names, "vision_model.embeddings.patch_embedding.weight")])
	assert.Contains(t, names, "vision_model.pre_layrnorm.weight")
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

func TestFixtureConfigs(t *testing.T) {
	skipWithoutFixtures(t)
	odd, err := LoadConfig(filepath.Join(modelDir("odd"), ConfigFile))
	require.NoError(t, err)
	assert.True(t, odd.Text.LegacyEOSPooling())
	assert.Equal(t, "gelu", odd.Vision.HiddenAct)
	assert.Equal(t, 1e-6, odd.Vision.LayerNormEps)
	assert.Equal(t, 20, odd.Vision.HeadDim())
	assert.Equal(t, 12, odd.Text.HeadDim())
	assert.Equal(t, 24, odd.ProjectionDim)
	assert.Equal(t, 17, odd.Vision.NumPositions())
	tiny, err := LoadConfig(filepath.Join(modelDir("tiny-l14"), ConfigFile))
	require.NoError(t, err)
	assert.False(t, tiny.Text.LegacyEOSPooling())
	assert.Equal(t, 257, tiny.Vision.NumPositions())
}

func TestParseConfigErrors(t *testing.T) {
	for _, tt := range []struct{ name, json, field string }{
		{"not json", `{`, ""},
		{"not clip", `{"model_type": "siglip"}`, "model_type"},
		{"heads do not divide", `{"vision_config": {"hidden_size": 100, "num_attention_heads": 3}}`, "vision_config.num_attention_heads"},
		{"zero layers", `{"text_config": {"num_hidden_layers": 0}}`, "text_config.num_hidden_layers"},
		{"unknown activation", `{"text_config": {"hidden_act": "swiglu"}}`, "text_config.hidden_act"},
		{"eos outside vocab", `{"text_config": {"vocab_size": 100}}`, "text_config.eos_token_id"},
		{"wrong type", `{"projection_dim": "768"}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json))
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			t.Log(err)
		})
	}
}
