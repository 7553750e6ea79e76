package preprocess

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
)

// GIF: the first frame, as Pillow 13 loads it (mode "P", or "L" for an identity
// gray palette — the same RGB): a canvas of the logical screen size filled
// with the frame's transparency index (else 0), the frame pasted at its offset,
// then palette lookup of the stored RGB (transparency ignored by convert).
// Go's decoder supplies the indices; the palette is re-read from the file
// because Go blanks the transparent entry.

func decodeGIF(data []byte, opts Options) (decoded, error) {
	g, err := gifHeader(data)
	if err != nil {
		return decoded{}, err
	}
	if err := checkPixels("gif", g.w, g.h, opts); err != nil {
		return decoded{}, err
	}
	m, err := gif.Decode(bytes.NewReader(data))
	if err != nil {
		return decoded{}, classify("gif", err)
	}
	p, ok := m.(*image.Paletted)
	if !ok {
		return decoded{}, newErr(KindCorrupt, "gif", "unexpected frame type", nil)
	}
	pal := g.global
	if g.local != nil {
		pal = g.local
	}
	var lut [256][3]uint8
	for i := 0; i < 256 && 3*i+2 < len(pal); i++ {
		lut[i] = [3]uint8{pal[3*i], pal[3*i+1], pal[3*i+2]}
	}
	fill := uint8(0)
	if g.transparent >= 0 {
		fill = uint8(g.transparent)
	}
	out := NewRGB(g.w, g.h)
	fc := lut[fill]
	for i := 0; i < g.w*g.h; i++ {
		out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = fc[0], fc[1], fc[2]
	}
	r := p.Rect.Intersect(image.Rect(0, 0, g.w, g.h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := lut[p.Pix[p.PixOffset(x, y)]]
			o := (y*g.w + x) * 3
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = c[0], c[1], c[2]
		}
	}
	d := decoded{rgb: out}
	if opts.AlphaOnWhite && g.transparent >= 0 {
		// Pillow: mode P (or L) with info["transparency"] = the index: its pixels, the
		// canvas fill included, get alpha 0; convert("RGB") keeps the entry's colour.
		t := fill                       // the canvas is filled with the transparency index
		alpha := make([]uint8, g.w*g.h) // so it is transparent outside the frame
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if p.Pix[p.PixOffset(x, y)] == t {
					alpha[y*g.w+x] = 0
				} else {
					alpha[y*g.w+x] = 255
				}
			}
		}
		c := lut[t]
		d.transparency = transparency{alpha: alpha, key: [3]int{int(c[0]), int(c[1]), int(c[2])}, hasKey: true}
	}
	return d, nil
}

type gifInfo struct {
	w, h          int
	global, local []byte
	transparent   int
}

// gifHeader reads the logical screen, the palettes and the transparency index
// of the first frame.
func gifHeader(b []byte) (gifInfo, error) {
	g := gifInfo{transparent: -1}
	trunc := newErr(KindTruncated, "gif", "image file is truncated", nil)
	if len(b) < 13 {
		return g, trunc
	}
	g.w, g.h = int(binary.LittleEndian.Uint16(b[6:])), int(binary.LittleEndian.Uint16(b[8:]))
	i := 13
	if b[10]&0x80 != 0 {
		n := 3 << (b[10]&7 + 1)
		if i+n > len(b) {
			return g, trunc
		}
		g.global = b[i : i+n]
		i += n
	}
	for i < len(b) {
		switch b[i] {
		case 0x21: // extension
			if i+2 > len(b) {
				return g, trunc
			}
			label := b[i+1]
			i += 2
			first := true
			for {
				if i >= len(b) {
					return g, trunc
				}
				n := int(b[i])
				if i+1+n > len(b) {
					return g, trunc
				}
				if label == 0xF9 && first && n >= 4 {
					if b[i+1]&1 != 0 {
						g.transparent = int(b[i+4])
					} else {
						g.transparent = -1
					}
				}
				first = false
				i += 1 + n
				if n == 0 {
					break
				}
			}
		case 0x2C: // image descriptor
			if i+10 > len(b) {
				return g, trunc
			}
			flags := b[i+9]
			i += 10
			if flags&0x80 != 0 {
				n := 3 << (flags&7 + 1)
				if i+n > len(b) {
					return g, trunc
				}
				g.local = b[i : i+n]
			}
			return g, nil
		case 0x3B:
			return g, newErr(KindCorrupt, "gif", "image not found in GIF frame", nil)
		default:
			return g, newErr(KindCorrupt, "gif", "bad block", nil)
		}
	}
	return g, trunc
}
