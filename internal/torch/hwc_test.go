package torch

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ImageCHW is the HWC image transposed to [1, 3, H, W], for every shape class: one pixel
// (the view would be contiguous), one row, one column, and random sizes.
func TestImageCHW(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	sizes := [][2]int{{1, 1}, {1, 7}, {7, 1}, {2, 3}}
	for i := 0; i < 20; i++ {
		sizes = append(sizes, [2]int{1 + r.Intn(300), 1 + r.Intn(300)})
	}
	for _, hw := range sizes {
		h, w := hw[0], hw[1]
		pix := make([]uint8, 3*h*w)
		r.Read(pix)
		x, err := ImageCHW(pix, h, w)
		require.NoError(t, err)
		got, shape, err := Uint8s(x, nil)
		require.NoError(t, x.Drop())
		require.NoError(t, err)
		assert.Equal(t, []int64{1, 3, int64(h), int64(w)}, shape)
		want := make([]uint8, len(pix))
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				for c := 0; c < 3; c++ {
					want[(c*h+y)*w+xx] = pix[(y*w+xx)*3+c]
				}
			}
		}
		assert.Equal(t, want, got, "%dx%d", w, h)
	}
	_, err := ImageCHW(make([]uint8, 5), 1, 2)
	assert.Error(t, err, "too few values")
}
