package preprocess

import (
	"fmt"
	"image"
	"image/color"
)

// Conversion to RGB as Pillow's Image.convert("RGB") (libImaging/Convert.c):
// gray is replicated; alpha is dropped without compositing (stored RGB kept);
// palette entries are used as stored (transparency ignored); 16-bit gray
// ("I;16") clips at 255; 16-bit colour keeps the high byte; CMYK uses
// out = clip8(255-K - MULDIV255(C, 255-K)).

// FromImage converts a decoded image.Image to RGB the way Pillow converts the
// corresponding mode: Gray ≙ "L", Gray16 ≙ "I;16" (values above 255 clip),
// NRGBA/RGBA ≙ "RGBA" (stored channels, no compositing), Paletted ≙ "P",
// CMYK ≙ "CMYK", 64-bit colour ≙ 16-bit PNG "RGB(A)" (high byte). YCbCr images
// use Go's color.YCbCrToRGB (a Go decoder's output is not Pillow's anyway).
// No EXIF orientation is available here.
func FromImage(m image.Image) (RGB, error) {
	if m == nil {
		return RGB{}, fmt.Errorf("preprocess: nil image")
	}
	b := m.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return RGB{}, fmt.Errorf("preprocess: empty image %v", b)
	}
	return toRGB(m, true), nil
}

// toRGB converts m. gray16Clip: 16-bit gray sources (also gray+tRNS, which Go
// decodes to NRGBA64) follow Pillow's I;16 → RGB clipping.
func toRGB(m image.Image, gray16Clip bool) RGB {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := NewRGB(w, h)
	px := out.Pix
	switch s := m.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := s.Pix[(y)*s.Stride : y*s.Stride+w]
			o := px[y*w*3:]
			for x, v := range row {
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+2*w]
			o := px[y*w*3:]
			for x := 0; x < w; x++ {
				v := i16(row[2*x], row[2*x+1], gray16Clip)
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.NRGBA:
		copyRGBX(px, s.Pix, s.Stride, w, h)
	case *image.RGBA:
		copyRGBX(px, s.Pix, s.Stride, w, h)
	case *image.NRGBA64:
		rgb64(px, s.Pix, s.Stride, w, h, gray16Clip)
	case *image.RGBA64:
		rgb64(px, s.Pix, s.Stride, w, h, false)
	case *image.Paletted:
		pal := paletteRGB(s.Palette)
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			o := px[y*w*3:]
			for x, idx := range row {
				c := pal[idx]
				o[3*x], o[3*x+1], o[3*x+2] = c[0], c[1], c[2]
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			cmykRow(px[y*w*3:(y+1)*w*3], row, false)
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				var r, g, bb uint8
				switch c := m.At(x, y).(type) {
				case color.YCbCr:
					r, g, bb = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				case color.NYCbCrA:
					r, g, bb = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				default:
					n := color.NRGBAModel.Convert(c).(color.NRGBA)
					r, g, bb = n.R, n.G, n.B
				}
				px[i], px[i+1], px[i+2] = r, g, bb
				i += 3
			}
		}
	}
	return out
}

// i16 converts one big-endian 16-bit gray sample: Pillow's I;16 → RGB clips
// (hi == 0 ? lo : 255); otherwise the high byte.
func i16(hi, lo uint8, clip bool) uint8 {
	if !clip {
		return hi
	}
	if hi == 0 {
		return lo
	}
	return 255
}

func copyRGBX(dst, src []uint8, stride, w, h int) {
	for y := 0; y < h; y++ {
		row := src[y*stride : y*stride+4*w]
		o := dst[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			o[3*x], o[3*x+1], o[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
}

func rgb64(dst, src []uint8, stride, w, h int, gray16Clip bool) {
	for y := 0; y < h; y++ {
		row := src[y*stride : y*stride+8*w]
		o := dst[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			p := row[8*x : 8*x+6]
			o[3*x] = i16(p[0], p[1], gray16Clip)
			o[3*x+1] = i16(p[2], p[3], gray16Clip)
			o[3*x+2] = i16(p[4], p[5], gray16Clip)
		}
	}
}

// paletteRGB returns the stored RGB of 256 palette entries (missing entries
// black, as Go's PNG decoder pads).
func paletteRGB(p color.Palette) [256][3]uint8 {
	var out [256][3]uint8
	for i, c := range p {
		if i >= 256 {
			break
		}
		switch v := c.(type) {
		case color.RGBA:
			out[i] = [3]uint8{v.R, v.G, v.B}
		case color.NRGBA:
			out[i] = [3]uint8{v.R, v.G, v.B}
		default:
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			out[i] = [3]uint8{n.R, n.G, n.B}
		}
	}
	return out
}

// cmykRow is Pillow's cmyk2rgb; inverted=true first undoes Adobe's inverted
// storage (Pillow's "CMYK;I" rawmode for JPEG).
func cmykRow(dst, src []uint8, inverted bool) {
	n := len(dst) / 3
	for x := 0; x < n; x++ {
		c, m, y, k := int(src[4*x]), int(src[4*x+1]), int(src[4*x+2]), int(src[4*x+3])
		if inverted {
			c, m, y, k = 255-c, 255-m, 255-y, 255-k
		}
		nk := 255 - k
		dst[3*x] = clamp8(nk - muldiv255(c, nk))
		dst[3*x+1] = clamp8(nk - muldiv255(m, nk))
		dst[3*x+2] = clamp8(nk - muldiv255(y, nk))
	}
}

func muldiv255(a, b int) int {
	t := a*b + 128
	return ((t >> 8) + t) >> 8
}

func clamp8(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// alphaBand returns the alpha of each pixel of m, row-major, as Pillow's RGBA
// conversion holds it (16-bit: the high byte; a palette: the entry's alpha), or nil
// for an image type without alpha.
func alphaBand(m image.Image) []uint8 {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]uint8, w*h)
	switch s := m.(type) {
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			for x := 0; x < w; x++ {
				out[y*w+x] = row[4*x+3]
			}
		}
	case *image.NRGBA64:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+8*w]
			for x := 0; x < w; x++ {
				out[y*w+x] = row[8*x+6]
			}
		}
	case *image.NYCbCrA:
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], s.A[y*s.AStride:y*s.AStride+w])
		}
	case *image.Paletted:
		var pa [256]uint8
		for i := range pa {
			pa[i] = 255 // entries past the palette: opaque black, as Go pads
		}
		for i, c := range s.Palette {
			if i < 256 {
				_, _, _, a := c.RGBA()
				pa[i] = uint8(a >> 8)
			}
		}
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			for x, idx := range row {
				out[y*w+x] = pa[idx]
			}
		}
	default:
		return nil
	}
	return out
}
