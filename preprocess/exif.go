package preprocess

import (
	"bytes"
	"encoding/binary"
	"regexp"
)

// Orientation as Pillow's Image.getexif() finds it: the EXIF (TIFF IFD0) tag
// 0x0112, or, when absent, the first tiff:Orientation in the XMP packet.

// exifOrientation parses an EXIF block (optionally prefixed by one or two
// "Exif\0\0", as Pillow strips) or a whole TIFF file and returns tag 0x0112
// of IFD0 if it is a single SHORT/LONG/SSHORT/SLONG value (Pillow then gets an
// int). found is false when the tag is absent or the data is malformed.
func exifOrientation(b []byte) (v int, found bool) {
	for i := 0; i < 2 && bytes.HasPrefix(b, []byte("Exif\x00\x00")); i++ {
		b = b[6:]
	}
	if len(b) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	off := int64(bo.Uint32(b[4:8]))
	if off < 8 || off+2 > int64(len(b)) {
		return 0, false
	}
	n := int64(bo.Uint16(b[off:]))
	for i := int64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(b)) {
			return 0, false
		}
		if bo.Uint16(b[e:]) != 0x0112 {
			continue
		}
		typ, count := bo.Uint16(b[e+2:]), bo.Uint32(b[e+4:])
		if count != 1 {
			return 0, true
		}
		switch typ {
		case 3: // SHORT
			return int(bo.Uint16(b[e+8:])), true
		case 8: // SSHORT
			return int(int16(bo.Uint16(b[e+8:]))), true
		case 4: // LONG
			return int(bo.Uint32(b[e+8:])), true
		case 9: // SLONG
			return int(int32(bo.Uint32(b[e+8:]))), true
		}
		return 0, true
	}
	return 0, false
}

var xmpOrientation = regexp.MustCompile(`tiff:Orientation(="|>)([0-9])`)

func xmpOrient(xmp []byte) int {
	m := xmpOrientation.FindSubmatch(xmp)
	if m == nil {
		return 0
	}
	return int(m[2][0] - '0')
}

// orientation combines EXIF and XMP as Pillow's getexif does.
func orientation(exif []byte, haveExif bool, xmp []byte) int {
	if haveExif {
		if v, ok := exifOrientation(exif); ok {
			return v
		}
	}
	if xmp != nil {
		return xmpOrient(xmp)
	}
	return 0
}

// transpose applies Pillow's exif_transpose method for orientation o:
// 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE,
// 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90; others unchanged.
func transpose(m RGB, o int) RGB {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.W, m.H
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := NewRGB(ow, oh)
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			s, d := (sy*w+sx)*3, (y*ow+x)*3
			out.Pix[d], out.Pix[d+1], out.Pix[d+2] = m.Pix[s], m.Pix[s+1], m.Pix[s+2]
		}
	}
	return out
}
