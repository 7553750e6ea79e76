package preprocess

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/png"
	"io"
	"strings"
)

// PNG: Go's image/png gives the stored samples; the IHDR tells which Pillow
// mode they came from (16-bit gray is "I;16", whose RGB conversion clips).
// EXIF comes from eXIf or a "Raw profile type exif" text chunk; XMP from iTXt
// "XML:com.adobe.xmp".

func decodePNG(data []byte, opts Options) (decoded, error) {
	meta, err := pngChunks(data)
	if err != nil {
		return decoded{}, err
	}
	if err := checkPixels("png", meta.w, meta.h, opts); err != nil {
		return decoded{}, err
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return decoded{}, classify("png", err)
	}
	d := decoded{rgb: toRGB(m, meta.colorType == 0 && meta.depth == 16)}
	if opts.AlphaOnWhite {
		d.transparency = pngTransparency(m, meta)
	}
	if opts.ApplyEXIF {
		d.orientation = orientation(meta.exif, meta.haveExif, meta.xmp)
	}
	return d, nil
}

type pngMeta struct {
	w, h             int
	depth, colorType int
	exif, xmp        []byte
	haveExif         bool
	trns             []byte // the tRNS chunk, nil if none
}

// pngTransparency is what Pillow's PNG plugin makes of the alpha samples and the tRNS
// chunk (PngImagePlugin.chunk_tRNS): gray+alpha and RGBA have an alpha band (16-bit:
// its high byte); a palette's tRNS gives per-entry alphas, and is a transparency key
// (the entry's colour after convert("RGB")) only when it holds a single 0 among 255s;
// gray and RGB tRNS are a key, 16-bit values compared with the converted samples.
func pngTransparency(m image.Image, meta pngMeta) transparency {
	var t transparency
	switch meta.colorType {
	case 4, 6:
		t.alpha = alphaBand(m)
	case 3:
		if meta.trns == nil {
			break
		}
		t.alpha = alphaBand(m)
		if i, ok := simplePaletteTRNS(meta.trns); ok {
			if p, isP := m.(*image.Paletted); isP && i < len(p.Palette) {
				c := paletteRGB(p.Palette)[i]
				t.key, t.hasKey = [3]int{int(c[0]), int(c[1]), int(c[2])}, true
			} else {
				t.key, t.hasKey = [3]int{0, 0, 0}, true // an entry past the palette: black
			}
		}
	case 0:
		if len(meta.trns) >= 2 {
			v := int(binary.BigEndian.Uint16(meta.trns))
			t.key, t.hasKey = [3]int{v, v, v}, true
		}
	case 2:
		if len(meta.trns) >= 6 {
			b := meta.trns
			t.key = [3]int{int(binary.BigEndian.Uint16(b)), int(binary.BigEndian.Uint16(b[2:])), int(binary.BigEndian.Uint16(b[4:]))}
			t.hasKey = true
		}
	}
	return t
}

// simplePaletteTRNS matches Pillow's _simple_palette (b"^\xff*\x00\xff*$"): one fully
// transparent entry among opaque ones, which Pillow keeps as an int index.
func simplePaletteTRNS(b []byte) (int, bool) {
	idx := -1
	for i, v := range b {
		switch {
		case v == 0 && idx < 0:
			idx = i
		case v != 0xff:
			return 0, false
		}
	}
	return idx, idx >= 0
}

// pngChunks reads IHDR and the metadata chunks (CRCs are left to image/png).
func pngChunks(b []byte) (pngMeta, error) {
	var m pngMeta
	i := 8
	first := true
	for i+8 <= len(b) {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n > int64(len(b)-i-8) {
			if first {
				return m, newErr(KindTruncated, "png", "image file is truncated", nil)
			}
			break // image/png reports the truncation
		}
		body := b[i+8 : i+8+int(n)]
		if first {
			if typ != "IHDR" || n < 13 {
				return m, newErr(KindCorrupt, "png", "missing IHDR", nil)
			}
			m.w = int(binary.BigEndian.Uint32(body[0:]))
			m.h = int(binary.BigEndian.Uint32(body[4:]))
			if m.w < 0 || m.h < 0 || m.w > 1<<31-1 || m.h > 1<<31-1 {
				return m, newErr(KindCorrupt, "png", "invalid size", nil)
			}
			m.depth, m.colorType = int(body[8]), int(body[9])
			first = false
		}
		switch typ {
		case "eXIf":
			if !m.haveExif {
				m.exif, m.haveExif = append([]byte("Exif\x00\x00"), body...), true
			}
		case "tEXt", "zTXt", "iTXt":
			k, v := pngText(typ, body)
			switch k {
			case "Raw profile type exif":
				if raw, ok := rawProfile(v); ok && !m.haveExif {
					m.exif, m.haveExif = raw, true
				}
			case "XML:com.adobe.xmp":
				m.xmp = v
			}
		case "tRNS":
			if m.trns == nil {
				m.trns = append([]byte{}, body...)
			}
		case "IEND":
			return m, nil
		}
		i += 12 + int(n)
	}
	if first {
		return m, newErr(KindTruncated, "png", "image file is truncated", nil)
	}
	return m, nil
}

// pngText decodes a tEXt/zTXt/iTXt chunk into keyword and text.
func pngText(typ string, b []byte) (string, []byte) {
	k, rest, ok := bytes.Cut(b, []byte{0})
	if !ok {
		return "", nil
	}
	switch typ {
	case "tEXt":
		return string(k), rest
	case "zTXt":
		if len(rest) < 1 {
			return "", nil
		}
		return string(k), inflate(rest[1:])
	case "iTXt":
		if len(rest) < 2 {
			return "", nil
		}
		compressed := rest[0] == 1
		rest = rest[2:]
		_, rest, ok = bytes.Cut(rest, []byte{0}) // language tag
		if !ok {
			return "", nil
		}
		_, rest, ok = bytes.Cut(rest, []byte{0}) // translated keyword
		if !ok {
			return "", nil
		}
		if compressed {
			return string(k), inflate(rest)
		}
		return string(k), rest
	}
	return "", nil
}

func inflate(b []byte) []byte {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, err := io.ReadAll(io.LimitReader(r, 1<<24))
	if err != nil {
		return nil
	}
	return out
}

// rawProfile decodes ImageMagick's "\nexif\n   len\nHEX..." text as Pillow does
// (bytes.fromhex of the lines after the third).
func rawProfile(v []byte) ([]byte, bool) {
	lines := strings.Split(string(v), "\n")
	if len(lines) < 4 {
		return nil, false
	}
	h := strings.Join(lines[3:], "")
	h = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' {
			return -1
		}
		return r
	}, h)
	raw, err := hex.DecodeString(h)
	if err != nil {
		return nil, false
	}
	return raw, true
}
