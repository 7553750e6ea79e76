package clip

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// A CPU model has no CUDA graphs: a DeviceError naming the reason, nothing captured.
func TestCaptureImagesOnCPU(t *testing.T) {
	skipWithoutFixtures(t)
	m, err := Load(modelDir("tiny-l14"), Options{})
	require.NoError(t, err)
	defer m.Close()
	_, err = m.CaptureImages(1, true)
	var de *DeviceError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), "CUDA graphs need a CUDA device")
}

// On a CUDA device (the GPU kit runs the same check on the full-size model through
// gobench tower -graph): the replayed graph gives the uncaptured forward's bits, for
// two different inputs in a row (the static input is really overwritten).
func TestCaptureImagesBitIdentical(t *testing.T) {
	skipWithoutFixtures(t)
	if !torch.CUDAAvailable() || !torch.GraphsBuilt() {
		t.Skipf("needs a CUDA device and a build with CUDA graphs (CUDA available %v, graphs built %v)",
			torch.CUDAAvailable(), torch.GraphsBuilt())
	}
	for _, dt := range []DType{Float32, Float16, BFloat16} {
		m, err := Load(modelDir("tiny-l14"), Options{Device: CUDA(0), DType: dt})
		require.NoError(t, err)
		for _, batch := range []int{1, 3} {
			ig, err := m.CaptureImages(batch, true)
			require.NoError(t, err, "%v batch %d", dt, batch)
			for seed := 0; seed < 2; seed++ {
				px := noisePixels(m.Config().Vision, batch, seed)
				want, err := m.ImageEmbeds(px)
				require.NoError(t, err)
				got, err := ig.Run(px)
				require.NoError(t, err)
				assert.Equal(t, want, got, "%v batch %d input %d: graph replay vs uncaptured forward", dt, batch, seed)
			}
			_, err = ig.Run(noisePixels(m.Config().Vision, batch+1, 0))
			assert.ErrorContains(t, err, "captured for")
			require.NoError(t, ig.Close())
		}
		require.NoError(t, m.Close())
	}
}

// noisePixels: batch images of deterministic values in [-2, 2).
func noisePixels(v VisionConfig, batch, seed int) Pixels {
	n := batch * v.NumChannels * v.ImageSize * v.ImageSize
	px := Pixels{Data: make([]float32, n), Batch: batch, Channels: v.NumChannels, Height: v.ImageSize, Width: v.ImageSize}
	x := uint32(seed*7919 + 1)
	for i := range px.Data {
		x = x*1664525 + 1013904223
		px.Data[i] = float32(x>>8)/float32(1<<24)*4 - 2
	}
	return px
}

// Options.CUDAGraphs: refused on CPU (and when negative) by Load, naming the reason.
func TestCUDAGraphsOptionOnCPU(t *testing.T) {
	skipWithoutFixtures(t)
	for _, n := range []int{8, -1} {
		_, err := Load(modelDir("tiny-l14"), Options{CUDAGraphs: n})
		var de *DeviceError
		require.ErrorAs(t, err, &de, "CUDAGraphs %d", n)
		assert.ErrorIs(t, err, ErrUnsupported)
		t.Log(err)
	}
}

// On a CUDA device: a model with Options.CUDAGraphs gives, through its graphs (batches
// up to 4) and without them (batch 5), the bits of a model without graphs.
func TestCUDAGraphsOptionBitIdentical(t *testing.T) {
	skipWithoutFixtures(t)
	if !torch.CUDAAvailable() || !torch.GraphsBuilt() {
		t.Skipf("needs a CUDA device and a build with CUDA graphs (CUDA available %v, graphs built %v)",
			torch.CUDAAvailable(), torch.GraphsBuilt())
	}
	plain, err := Load(modelDir("tiny-l14"), Options{Device: CUDA(0), DType: Float16})
	require.NoError(t, err)
	defer plain.Close()
	graphed, err := Load(modelDir("tiny-l14"), Options{Device: CUDA(0), DType: Float16, CUDAGraphs: 4})
	require.NoError(t, err)
	defer graphed.Close()
	for _, batch := range []int{1, 3, 1, 5} {
		px := noisePixels(plain.Config().Vision, batch, batch)
		want, err := plain.ImageEmbeds(px)
		require.NoError(t, err)
		got, err := graphed.ImageEmbeds(px)
		require.NoError(t, err)
		assert.Equal(t, want, got, "batch %d", batch)
		wantF, err := plain.GetImageFeatures(px)
		require.NoError(t, err)
		gotF, err := graphed.GetImageFeatures(px)
		require.NoError(t, err)
		assert.Equal(t, wantF, gotF, "features, batch %d", batch)
	}
}
