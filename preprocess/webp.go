package preprocess

import (
	"bytes"
	"encoding/binary"
	"image"

	"golang.org/x/image/webp"
)

// WebP: golang.org/x/image/webp decodes the VP8/VP8L bitstreams (VP8
// reconstruction is normative, VP8L lossless). Pillow decodes through libwebp's
// WebPAnimDecoder into RGBA, which for lossy frames upsamples chroma with
// libwebp's "fancy" upsampler and converts with its 14-bit fixed-point
// YUV→RGB; both are reproduced here (src/dsp/upsampling.c, src/dsp/yuv.h).
// Animated WebP is not supported by the Go decoder (KindUnsupported).

func decodeWebP(data []byte, opts Options) (decoded, error) {
	if err := checkConfig("webp", data, webp.DecodeConfig, opts); err != nil {
		return decoded{}, err
	}
	m, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return decoded{}, classify("webp", err)
	}
	var out RGB
	switch s := m.(type) {
	case *image.YCbCr:
		out = webpFancyRGB(s)
	case *image.NYCbCrA:
		out = webpFancyRGB(&s.YCbCr)
	default:
		out = toRGB(m, true)
	}
	d := decoded{rgb: out}
	if opts.AlphaOnWhite {
		d.transparency.alpha = alphaBand(m) // Pillow: RGBA when the file has alpha
	}
	if opts.ApplyEXIF {
		exif, xmp := webpMeta(data)
		d.orientation = orientation(exif, exif != nil, xmp)
	}
	return d, nil
}

// webpMeta returns the EXIF and "XMP " chunks of a RIFF WebP file.
func webpMeta(b []byte) (exif, xmp []byte) {
	i := 12
	for i+8 <= len(b) {
		id := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return
		}
		switch id {
		case "EXIF":
			exif = b[i+8 : i+8+n]
		case "XMP ":
			xmp = b[i+8 : i+8+n]
		}
		i += 8 + n + n&1
	}
	return
}

func webpClip8(v int) uint8 {
	const yuvMask2 = (256 << 6) - 1
	if v&^yuvMask2 == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

func multHi(v, c int) int { return (v * c) >> 8 }

func yuvToRGB(y, u, v int, dst []uint8) {
	dst[0] = webpClip8(multHi(y, 19077) + multHi(v, 26149) - 14234)
	dst[1] = webpClip8(multHi(y, 19077) - multHi(u, 6419) - multHi(v, 13320) + 8708)
	dst[2] = webpClip8(multHi(y, 19077) + multHi(u, 33050) - 17685)
}

// upsamplePair is libwebp's UpsampleRgbLinePair (UPSAMPLE_FUNC): two output
// rows from two luma rows and the two chroma rows around them. U and V are
// packed in one uint32 (u | v<<16) exactly as the C code does.
func upsamplePair(topY, botY, topU, topV, curU, curV []uint8, topDst, botDst []uint8, n int) {
	load := func(u, v uint8) uint32 { return uint32(u) | uint32(v)<<16 }
	last := (n - 1) >> 1
	tl := load(topU[0], topV[0])
	l := load(curU[0], curV[0])
	{
		uv0 := (3*tl + l + 0x00020002) >> 2
		yuvToRGB(int(topY[0]), int(uv0&0xff), int(uv0>>16), topDst[0:])
	}
	if botY != nil {
		uv0 := (3*l + tl + 0x00020002) >> 2
		yuvToRGB(int(botY[0]), int(uv0&0xff), int(uv0>>16), botDst[0:])
	}
	for x := 1; x <= last; x++ {
		t := load(topU[x], topV[x])
		uv := load(curU[x], curV[x])
		avg := tl + t + l + uv + 0x00080008
		diag12 := (avg + 2*(t+l)) >> 3
		diag03 := (avg + 2*(tl+uv)) >> 3
		{
			uv0 := (diag12 + tl) >> 1
			uv1 := (diag03 + t) >> 1
			yuvToRGB(int(topY[2*x-1]), int(uv0&0xff), int(uv0>>16), topDst[(2*x-1)*3:])
			yuvToRGB(int(topY[2*x]), int(uv1&0xff), int(uv1>>16), topDst[(2*x)*3:])
		}
		if botY != nil {
			uv0 := (diag03 + l) >> 1
			uv1 := (diag12 + uv) >> 1
			yuvToRGB(int(botY[2*x-1]), int(uv0&0xff), int(uv0>>16), botDst[(2*x-1)*3:])
			yuvToRGB(int(botY[2*x]), int(uv1&0xff), int(uv1>>16), botDst[(2*x)*3:])
		}
		tl, l = t, uv
	}
	if n&1 == 0 {
		{
			uv0 := (3*tl + l + 0x00020002) >> 2
			yuvToRGB(int(topY[n-1]), int(uv0&0xff), int(uv0>>16), topDst[(n-1)*3:])
		}
		if botY != nil {
			uv0 := (3*l + tl + 0x00020002) >> 2
			yuvToRGB(int(botY[n-1]), int(uv0&0xff), int(uv0>>16), botDst[(n-1)*3:])
		}
	}
}

// webpFancyRGB is libwebp's EmitFancyRGB over the whole 4:2:0 picture.
func webpFancyRGB(m *image.YCbCr) RGB {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := NewRGB(w, h)
	yRow := func(y int) []uint8 { return m.Y[m.YOffset(m.Rect.Min.X, m.Rect.Min.Y+y):][:w] }
	uvw := (w + 1) / 2
	cRow := func(p []uint8, cy int) []uint8 {
		off := m.COffset(m.Rect.Min.X, m.Rect.Min.Y+2*cy)
		return p[off : off+uvw]
	}
	dst := func(y int) []uint8 { return out.Pix[y*w*3 : (y+1)*w*3] }
	// First row: chroma row 0 mirrored.
	upsamplePair(yRow(0), nil, cRow(m.Cb, 0), cRow(m.Cr, 0), cRow(m.Cb, 0), cRow(m.Cr, 0), dst(0), nil, w)
	y := 0
	cy := 0
	for ; y+2 < h; y += 2 {
		upsamplePair(yRow(y+1), yRow(y+2), cRow(m.Cb, cy), cRow(m.Cr, cy), cRow(m.Cb, cy+1), cRow(m.Cr, cy+1),
			dst(y+1), dst(y+2), w)
		cy++
	}
	if h&1 == 0 {
		// Last row of an even-height picture: the last chroma row only.
		upsamplePair(yRow(h-1), nil, cRow(m.Cb, cy), cRow(m.Cr, cy), cRow(m.Cb, cy), cRow(m.Cr, cy), dst(h-1), nil, w)
	}
	return out
}
