package preprocess

import (
	"fmt"
	"image"
)

// RGB is an 8-bit RGB image, rows top to bottom, pixels interleaved (HWC):
// the sample of channel c at (x, y) is Pix[(y*W+x)*3+c]. It is what
// np.asarray(pil_image.convert("RGB")) holds.
type RGB struct {
	W, H int
	Pix  []uint8
}

// NewRGB allocates a black w×h image.
func NewRGB(w, h int) RGB { return RGB{W: w, H: h, Pix: make([]uint8, w*h*3)} }

// Valid reports whether the dimensions match the buffer.
func (m RGB) Valid() error {
	if m.W <= 0 || m.H <= 0 {
		return fmt.Errorf("preprocess: empty image %dx%d", m.W, m.H)
	}
	if len(m.Pix) != m.W*m.H*3 {
		return fmt.Errorf("preprocess: %dx%d image has %d bytes, want %d", m.W, m.H, len(m.Pix), m.W*m.H*3)
	}
	return nil
}

// Image returns an *image.NRGBA copy (opaque), e.g. for png.Encode.
func (m RGB) Image() *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for i, j := 0, 0; i+2 < len(m.Pix); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = m.Pix[i], m.Pix[i+1], m.Pix[i+2], 0xff
	}
	return out
}
