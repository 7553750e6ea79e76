package zeroshot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tvprocess"
)

func TestResolveProfile(t *testing.T) {
	for _, tt := range []struct {
		name    string
		parity  Parity
		backend Backend
		attn    clip.AttnImplementation
		torch   string
		want    Profile
	}{
		{"auto on 2.1.0", ParityAuto, BackendAuto, clip.AttnAuto, "2.1.0", Profile{Parity454, BackendPIL, clip.AttnEager, false}},
		{"auto on 2.11", ParityAuto, BackendAuto, clip.AttnAuto, "2.11.0", Profile{Parity5, BackendTorchvision, clip.AttnAuto, true}},
		{"4.54 on 2.11", Parity454, BackendAuto, clip.AttnAuto, "2.11.0", Profile{Parity454, BackendPIL, clip.AttnEager, false}},
		{"5 on 2.1.0", Parity5, BackendAuto, clip.AttnAuto, "2.1.0", Profile{Parity5, BackendTorchvision, clip.AttnSDPA, true}},
		{"5, pil, eager", Parity5, BackendPIL, clip.AttnEager, "2.11.0", Profile{Parity5, BackendPIL, clip.AttnEager, true}},
		{"4.54, torchvision, sdpa", Parity454, BackendTorchvision, clip.AttnSDPA, "2.11.0", Profile{Parity454, BackendTorchvision, clip.AttnSDPA, false}},
	} {
		got, err := resolveProfile(tt.parity, tt.backend, tt.attn, tt.torch)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
	_, err := resolveProfile("6", BackendAuto, clip.AttnAuto, "2.11.0")
	assert.Error(t, err)
	_, err = resolveProfile(Parity5, "cv2", clip.AttnAuto, "2.11.0")
	assert.Error(t, err)
	for in, want := range map[string]Parity{"": ParityAuto, "auto": ParityAuto, "4.54": Parity454, "4": Parity454, "5": Parity5} {
		p, err := ParseParity(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, p, in)
	}
	_, err = ParseParity("4.55")
	assert.Error(t, err)
	for in, want := range map[string]Backend{"": BackendAuto, "pil": BackendPIL, "torchvision": BackendTorchvision, "TV": BackendTorchvision} {
		b, err := ParseBackend(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, b, in)
	}
	_, err = ParseBackend("opencv")
	assert.Error(t, err)
	p := Profile{Parity5, BackendTorchvision, clip.AttnAuto, true}
	assert.Equal(t, preprocess.Options{ApplyEXIF: true, AlphaOnWhite: true}, p.PipelineOptions())
	assert.Equal(t, preprocess.Options{AlphaOnWhite: true}, p.ManualOptions())
	assert.Contains(t, p.String(), "torchvision")
}

// Open builds the profile's parts: the image processor of its backend, the model with
// its attention; Profile reports the model's resolved attention.
func TestOpenFollowsProfile(t *testing.T) {
	c := openFixtureWith(t, "odd", Options{Parity: Parity454})
	assert.IsType(t, &preprocess.Processor{}, c.Processor)
	assert.Equal(t, clip.AttnEager, c.Model.Attention())
	assert.Equal(t, Profile{Parity454, BackendPIL, clip.AttnEager, false}, c.Profile())

	c = openFixtureWith(t, "odd", Options{Parity: Parity5})
	assert.IsType(t, &tvprocess.Processor{}, c.Processor)
	assert.Equal(t, clip.AttnSDPA, c.Model.Attention())
	assert.Equal(t, Profile{Parity5, BackendTorchvision, clip.AttnSDPA, true}, c.Profile())

	opts := Options{Parity: Parity5, Backend: BackendPIL}
	opts.Model.Attention = clip.AttnEager
	c = openFixtureWith(t, "odd", opts)
	assert.IsType(t, &preprocess.Processor{}, c.Processor)
	assert.Equal(t, Profile{Parity5, BackendPIL, clip.AttnEager, true}, c.Profile())
}
