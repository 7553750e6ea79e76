package preprocess

import (
	"bytes"
	"errors"

	"github.com/zeroshot-clip/zeroshot/preprocess/internal/jpegturbo"
)

// JPEG goes through libjpeg-turbo (package internal/jpegturbo) with Pillow's
// settings; Go's image/jpeg differs by up to 16 levels on 4:2:0 files.
// Accept/reject follows Pillow 13 without LOAD_TRUNCATED_IMAGES: data ending
// before the last scanline → KindTruncated ("image file is truncated"), even if
// only the EOI marker is missing (libjpeg's Huffman decoder reads ahead, so
// Pillow's suspending source runs dry first); fatal libjpeg errors →
// KindCorrupt; libjpeg warnings (corrupt entropy data, extraneous bytes) are
// ignored, as Pillow ignores them.

func decodeJPEG(data []byte, opts Options) (decoded, error) {
	return decodeJPEGWith(data, opts, nil, nil)
}

// cropMargin widens the columns asked of a cropped decode on both sides: inside
// it, fancy upsampling and block smoothing see the same neighbours as in a full
// decode (jpegturbo's tests find 8 pixels enough on every fixture).
const cropMargin = 32

// decodeJPEGWith decodes with buffers from bufs (nil: fresh allocations). When
// cols is given and the image is not EXIF-rotated, it tells which input columns
// [c0, c1) the caller will read, and only those (plus cropMargin, widened to whole
// iMCUs) are decoded: the others hold whatever the buffer held. Only callers that
// read nothing else — PreprocessData's crop — may pass cols.
func decodeJPEGWith(data []byte, opts Options, bufs *bufPool, cols func(w, h int) (int, int, bool)) (decoded, error) {
	dec, err := jpegturbo.NewDecoder(data)
	if err != nil {
		return decoded{}, jpegErr(err)
	}
	defer dec.Close()
	h := dec.Header()
	if err := checkPixels("jpeg", h.Width, h.Height, opts); err != nil {
		return decoded{}, err
	}
	var d decoded
	if opts.ApplyEXIF {
		exif, haveExif, xmp := jpegMeta(data)
		d.orientation = orientation(exif, haveExif, xmp)
	}
	x0, x1 := 0, h.Width
	if cols != nil && d.orientation <= 1 {
		if c0, c1, ok := cols(h.Width, h.Height); ok && c0 < c1 {
			x0, x1 = c0-cropMargin, c1+cropMargin
		}
	}
	ch := min(h.Components, 4)
	im, _, _, err := dec.DecodeColumnsInto(bufs.get(h.Width*h.Height*ch), x0, x1)
	if err != nil {
		return decoded{}, jpegErr(err)
	}
	out := RGB{W: im.Width, H: im.Height}
	if im.Channels == 3 {
		out.Pix = im.Pix
	} else {
		out.Pix = bufs.get(im.Width * im.Height * 3)
		defer bufs.put(im.Pix)
	}
	switch im.Channels {
	case 1:
		for i, v := range im.Pix {
			out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = v, v, v
		}
	case 4:
		// Pillow reads every 4-component JPEG with rawmode "CMYK;I".
		cmykRow(out.Pix, im.Pix, true)
	}
	d.rgb = out
	return d, nil
}

func jpegErr(err error) error {
	var ce *jpegturbo.CorruptError
	var ue *jpegturbo.UnsupportedError
	switch {
	case errors.Is(err, jpegturbo.ErrTruncated):
		return newErr(KindTruncated, "jpeg", "image file is truncated", err)
	case errors.As(err, &ue):
		return newErr(KindUnsupported, "jpeg", ue.Msg, err)
	case errors.As(err, &ce):
		return newErr(KindCorrupt, "jpeg", "broken data stream: "+ce.Msg, err)
	}
	return newErr(KindCorrupt, "jpeg", "", err)
}

// jpegMeta walks the markers before the first SOS as Pillow's JpegImagePlugin
// does and returns the EXIF (APP1 "Exif\0\0", later segments appended without
// their 6-byte header) and XMP (APP1 "http://ns.adobe.com/xap/1.0/\0") data.
func jpegMeta(b []byte) (exif []byte, haveExif bool, xmp []byte) {
	const xmpNS = "http://ns.adobe.com/xap/1.0/\x00"
	i := 2
	for i+1 < len(b) {
		if b[i] != 0xFF {
			i++ // Pillow skips non-0xFF junk
			continue
		}
		m := b[i+1]
		switch {
		case m == 0xFF:
			i++
			continue
		case m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			i += 2
			continue
		case m == 0xDA || m == 0xD9:
			return
		}
		if i+4 > len(b) {
			return
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return
		}
		s := b[i+4 : i+2+n]
		if m == 0xE1 {
			switch {
			case bytes.HasPrefix(s, []byte("Exif\x00\x00")):
				if haveExif {
					exif = append(exif, s[6:]...)
				} else {
					exif, haveExif = append([]byte(nil), s...), true
				}
			case bytes.HasPrefix(s, []byte(xmpNS)):
				xmp = s[len(xmpNS):]
			}
		}
		i += 2 + n
	}
	return
}
