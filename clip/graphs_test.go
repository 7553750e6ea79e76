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
	sameImageSides(t, plain, graphed, 1, 3, 1, 5)
}

// sameImageSides: for batches of noise images in turn, graphed gives plain's
// ImageEmbeds and GetImageFeatures bit for bit.
func sameImageSides(t *testing.T, plain, graphed *Model, batches ...int) {
	t.Helper()
	for i, batch := range batches {
		px := noisePixels(plain.Config().Vision, batch, i)
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

// A CPU model has no text graphs either.
func TestCaptureTextsOnCPU(t *testing.T) {
	skipWithoutFixtures(t)
	m, err := Load(modelDir("tiny-l14"), Options{})
	require.NoError(t, err)
	defer m.Close()
	_, err = m.CaptureTexts(1, 8, false, true)
	assert.ErrorIs(t, err, ErrUnsupported)
}

// On a CUDA device: text graphs (both attentions, padded and not, one text and a
// chunk) give the uncaptured forward's bits for two different batches in a row.
func TestCaptureTextsBitIdentical(t *testing.T) {
	skipWithoutFixtures(t)
	if !torch.CUDAAvailable() || !torch.GraphsBuilt() {
		t.Skipf("needs a CUDA device and a build with CUDA graphs (CUDA available %v, graphs built %v)",
			torch.CUDAAvailable(), torch.GraphsBuilt())
	}
	for _, attn := range []AttnImplementation{AttnEager, AttnSDPA} {
		m, err := Load(modelDir("tiny-l14"), Options{Device: CUDA(0), DType: Float16, Attention: attn})
		require.NoError(t, err)
		for _, c := range []struct {
			batch, length int
			masked        bool
		}{{1, 7, false}, {4, 9, true}, {4, 9, false}} {
			tg, err := m.CaptureTexts(c.batch, c.length, c.masked, true)
			require.NoError(t, err, "%v %+v", attn, c)
			for seed := 0; seed < 2; seed++ {
				tok := noiseTokens(m.Config().Text, c.batch, c.length, c.masked, seed)
				want, err := m.TextEmbeds(tok)
				require.NoError(t, err)
				got, err := tg.Run(tok)
				require.NoError(t, err)
				assert.Equal(t, want, got, "%v %+v input %d", attn, c, seed)
			}
			require.NoError(t, tg.Close())
		}
		require.NoError(t, m.Close())
	}
}

// noiseTokens: batch texts of length tokens (BOS, words, EOS, then padding with
// attention_mask 0 when masked: text n ends at length-1-n%3).
func noiseTokens(c TextConfig, batch, length int, masked bool, seed int) Tokens {
	tok := Tokens{InputIDs: make([]int64, batch*length), AttentionMask: make([]int64, batch*length), Batch: batch, Len: length}
	x := uint32(seed*104729 + 3)
	for n := 0; n < batch; n++ {
		end := length - 1
		if masked {
			end -= n % 3
		}
		for j := 0; j < length; j++ {
			x = x*1664525 + 1013904223
			id, on := int64(x>>8)%(int64(c.VocabSize)-2), int64(1)
			switch {
			case j == 0:
				id = c.BOSTokenID
			case j == end:
				id = c.EOSTokenID
			case j > end:
				id, on = c.PadTokenID, 0
			}
			tok.InputIDs[n*length+j], tok.AttentionMask[n*length+j] = id%int64(c.VocabSize), on
		}
	}
	return tok
}

// On this CPU, with the CUDA graph emulated (replay runs the forward again): the
// static inputs are filled from each batch as the uncaptured forward builds them (ids,
// pooled rows, eager's additive mask, SDPA's boolean mask or is_causal), and the
// output is bit-identical to TextEmbeds / ImageEmbeds for batches in a row. What only
// a GPU can check (the capture itself) is TestCapture*BitIdentical's.
func TestGraphInputsEmulated(t *testing.T) {
	skipWithoutFixtures(t)
	emulateGraphs = true
	defer func() { emulateGraphs = false }()
	for _, attn := range []AttnImplementation{AttnEager, AttnSDPA} {
		for _, dt := range []DType{Float32, BFloat16} {
			m, err := Load(modelDir("tiny-l14"), Options{Attention: attn, DType: dt})
			require.NoError(t, err)
			for _, c := range []struct {
				batch, length int
				masked        bool
			}{{1, 7, false}, {4, 9, true}, {4, 9, false}, {1, 1, false}} {
				tg, err := m.CaptureTexts(c.batch, c.length, c.masked, c.batch > 1)
				require.NoError(t, err)
				for seed := 0; seed < 2; seed++ {
					tok := noiseTokens(m.Config().Text, c.batch, c.length, c.masked, seed)
					want, err := m.TextEmbeds(tok)
					if c.batch == 1 {
						want, err = m.GetTextFeatures(tok)
					}
					require.NoError(t, err)
					got, err := tg.Run(tok)
					require.NoError(t, err)
					assert.Equal(t, want, got, "%v %v %+v input %d", attn, dt, c, seed)
				}
				if c.batch > 1 && attn == AttnSDPA { // the other kind of batch is refused
					_, err = tg.Run(noiseTokens(m.Config().Text, c.batch, c.length, !c.masked, 0))
					assert.ErrorContains(t, err, "captured for padded")
				}
				require.NoError(t, tg.Close())
			}
			ig, err := m.CaptureImages(2, true)
			require.NoError(t, err)
			for seed := 0; seed < 2; seed++ {
				px := noisePixels(m.Config().Vision, 2, seed)
				want, err := m.ImageEmbeds(px)
				require.NoError(t, err)
				got, err := ig.Run(px)
				require.NoError(t, err)
				assert.Equal(t, want, got, "images %v %v input %d", attn, dt, seed)
			}
			require.NoError(t, ig.Close())
			require.NoError(t, m.Close())
		}
	}
}

// Options.CUDAGraphs with the graphs emulated on this CPU: batches up to the limit go
// through the kept graphs (one per size and kind, captured on first use), larger ones
// not, and every output is the plain model's.
func TestCUDAGraphsOptionEmulated(t *testing.T) {
	skipWithoutFixtures(t)
	emulateGraphs = true
	defer func() { emulateGraphs = false }()
	plain, err := Load(modelDir("tiny-l14"), Options{})
	require.NoError(t, err)
	defer plain.Close()
	graphed, err := Load(modelDir("tiny-l14"), Options{CUDAGraphs: 2})
	require.NoError(t, err)
	defer graphed.Close()
	sameImageSides(t, plain, graphed, 1, 2, 1, 3)
	require.NoError(t, graphed.worker.Do(func() error {
		assert.Len(t, graphed.graphs, 4, "batch 1 and 2, normalized and not")
		return nil
	}))
}

// Closing: a closed graph's Run and a closed model's graphs say ErrClosed; Close is
// idempotent, before or after the model's (emulated graphs, on this CPU).
func TestGraphClose(t *testing.T) {
	skipWithoutFixtures(t)
	emulateGraphs = true
	defer func() { emulateGraphs = false }()
	m, err := Load(modelDir("tiny-l14"), Options{})
	require.NoError(t, err)
	ig, err := m.CaptureImages(1, true)
	require.NoError(t, err)
	tg, err := m.CaptureTexts(1, 5, false, true)
	require.NoError(t, err)
	require.NoError(t, ig.Close())
	require.NoError(t, ig.Close())
	_, err = ig.Run(noisePixels(m.Config().Vision, 1, 0))
	assert.ErrorIs(t, err, ErrClosed)
	require.NoError(t, m.Close())
	_, err = tg.Run(noiseTokens(m.Config().Text, 1, 5, false, 0))
	assert.ErrorIs(t, err, ErrClosed)
	assert.NoError(t, tg.Close())
	_, err = m.CaptureImages(1, true)
	assert.ErrorIs(t, err, ErrClosed)
}
