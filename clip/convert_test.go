package clip

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
)

func TestConvertLayout(t *testing.T) {
	skipWithoutFixtures(t)
	for _, name := range fixtureModels {
		for _, dt := range []DType{Float32, BFloat16, Float16} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				dst := filepath.Join(t.TempDir(), "m.safetensors")
				require.NoError(t, Convert(modelDir(name), dst, dt))
				b, err := os.ReadFile(dst)
				require.NoError(t, err)
				n := binary.LittleEndian.Uint64(b)
				assert.Zero(t, (8+n)%64, "data starts 64-byte aligned")

				ck, err := openSafetensors(dst) // a valid safetensors file
				require.NoError(t, err)
				defer ck.close()
				assert.Equal(t, formatV1, ck.meta[metaFormat])
				assert.Equal(t, dt.String(), ck.meta[metaDType])
				assert.Equal(t, "model.safetensors", ck.meta[metaSource])
				cfg, err := ParseConfig([]byte(ck.meta[metaConfig]))
				require.NoError(t, err)
				names, _ := cfg.Expected()
				assert.Len(t, ck.entries, len(names), "exactly the parameters")
				for _, e := range ck.entries {
					assert.Equal(t, dt.st(), e.dtype)
					if len(e.data)%64 == 0 {
						assert.Zero(t, uintptrOf(e.data)%64, "%s aligned", e.name)
					}
				}
			})
		}
	}
}

// A float16 file (for CUDA) loads on the CPU as float32 or bfloat16; a second
// conversion of a converted file gives the same tensor bytes.
func TestConvertRoundTrips(t *testing.T) {
	skipWithoutFixtures(t)
	dir := modelDir("odd")
	g := loadGoldens(t, goldenDir(t, dir))
	tmp := t.TempDir()
	f16, again := filepath.Join(tmp, "f16.safetensors"), filepath.Join(tmp, "again.safetensors")
	require.NoError(t, Convert(dir, f16, Float16))
	require.NoError(t, Convert(f16, again, Float16))
	a, _ := os.ReadFile(f16)
	b, _ := os.ReadFile(again)
	data := func(f []byte) []byte { return f[8+binary.LittleEndian.Uint64(f):] }
	assert.Equal(t, data(a), data(b))
	m, err := Load(f16, Options{Threads: 1})
	require.NoError(t, err)
	defer m.Close()
	out, err := m.Forward(g.pixels, g.tokens)
	require.NoError(t, err)
	r := g.compare(t, "logits_per_image", out.LogitsPerImage)
	t.Logf("float16 weights, float32 compute: logits_per_image %s", r)
	assert.Less(t, r.MaxAbs, 0.05)
	want := g.f32["logits_per_image"]
	assert.Equal(t, golden.ArgmaxRows(want.F32, want.Shape[1]), golden.ArgmaxRows(out.LogitsPerImage.Data, out.LogitsPerImage.Cols))
}
