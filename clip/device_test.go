package clip

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

func TestParseDeviceAndDType(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Device
		ok   bool
	}{{"cpu", CPU, true}, {"", CPU, true}, {"cuda", CUDA(0), true}, {"CUDA:1", CUDA(1), true}, {"cuda:x", CPU, false}, {"tpu", CPU, false}} {
		d, err := ParseDevice(tt.in)
		assert.Equal(t, tt.ok, err == nil, tt.in)
		assert.Equal(t, tt.want, d, tt.in)
	}
	for _, tt := range []struct {
		in   string
		want DType
		ok   bool
	}{{"fp32", Float32, true}, {"bfloat16", BFloat16, true}, {"bf16", BFloat16, true}, {"half", Float16, true}, {"int8", Float32, false}} {
		d, err := ParseDType(tt.in)
		assert.Equal(t, tt.ok, err == nil, tt.in)
		assert.Equal(t, tt.want, d, tt.in)
	}
	assert.Equal(t, "cuda:1", CUDA(1).String())
	assert.Equal(t, "bfloat16", BFloat16.String())
}

func TestUnsupportedDevices(t *testing.T) {
	skipWithoutFixtures(t)
	dir := modelDir("tiny-l14")
	_, err := Load(dir, Options{DType: Float16})
	var de *DeviceError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrUnsupported)
	t.Log(err)
	if torch.CUDAAvailable() {
		t.Log("CUDA is available: the no-CUDA error is not exercised")
		return
	}
	_, err = Load(dir, Options{Device: CUDA(0)})
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrNoCUDA)
	t.Log(err)
}

// bfloat16: loaded from float32 files (converted by libtorch on load) and from a
// bfloat16 Convert output (used in place); the drift against the float32 goldens is
// logged. Gate: same argmax per image, logits within 0.25 (bf16 keeps 8 bits of
// mantissa; the odd model, logit scale e^3.1 = 22, drifts 0.15).
func TestBFloat16Drift(t *testing.T) {
	skipWithoutFixtures(t)
	for _, name := range fixtureModels {
		dir := modelDir(name)
		g := loadGoldens(t, goldenDir(t, dir))
		conv := filepath.Join(t.TempDir(), "bf16.safetensors")
		require.NoError(t, Convert(dir, conv, BFloat16))
		var first *Output
		for _, src := range []string{dir, conv} {
			m, err := Load(src, Options{DType: BFloat16, Threads: 1})
			require.NoError(t, err)
			out, err := m.Forward(g.pixels, g.tokens)
			require.NoError(t, err)
			info := m.Info()
			m.Close()
			for _, c := range []struct {
				name string
				got  Matrix
			}{{"image_embeds", out.ImageEmbeds}, {"text_embeds", out.TextEmbeds}, {"logits_per_image", out.LogitsPerImage}} {
				r := g.compare(t, c.name, c.got)
				t.Logf("%s bf16 (%s, %d/%d in place) %-16s %s", name, info.Format, info.InPlace, info.Tensors, c.name, r)
				if c.name == "logits_per_image" {
					assert.Less(t, r.MaxAbs, 0.25)
					want := g.f32[c.name]
					assert.Equal(t, golden.ArgmaxRows(want.F32, want.Shape[1]), golden.ArgmaxRows(c.got.Data, c.got.Cols))
				}
			}
			if first == nil {
				first = out
			} else { // the same bf16 weights either way: the same bits
				r, err := golden.Compare(out.LogitsPerImage.Data, first.LogitsPerImage.Data)
				require.NoError(t, err)
				assert.True(t, r.Identical(), "bf16 from float32 file vs bf16 converted file: %s", r)
			}
		}
	}
}
