package preprocess

import (
	"bytes"
	"image"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// BMP and TIFF go through golang.org/x/image; samples are stored values, so the
// RGB conversion rules are the only Pillow behaviour to match. A 32-bit BMP that these
// decoders read is Pillow's "BGRX" (RGB): no alpha for AlphaOnWhite. Variants those
// decoders lack (BMP 1/4/16-bit and RLE, TIFF JPEG/CCITT compression) are
// KindUnsupported here although Pillow reads them.

func decodeBMP(data []byte, opts Options) (decoded, error) {
	if err := checkConfig("bmp", data, bmp.DecodeConfig, opts); err != nil {
		return decoded{}, err
	}
	m, err := bmp.Decode(bytes.NewReader(data))
	if err != nil {
		return decoded{}, classify("bmp", err)
	}
	return decoded{rgb: toRGB(m, true)}, nil
}

// decodeTIFF decodes the first page. Pillow 13 applies the TIFF Orientation tag
// while loading (TiffImageFile.load_end → exif_transpose), so the orientation
// is returned for both flows (Decode applies it regardless of ApplyEXIF).
func decodeTIFF(data []byte, opts Options) (decoded, error) {
	if err := checkConfig("tiff", data, tiff.DecodeConfig, opts); err != nil {
		return decoded{}, err
	}
	m, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		return decoded{}, classify("tiff", err)
	}
	d := decoded{rgb: toRGB(m, true)}
	if _, ok := m.(*image.NRGBA); ok && opts.AlphaOnWhite {
		// unassociated alpha (ExtraSamples 2): Pillow's "RGBA". Associated alpha is
		// "RGBa", which has no "A" band: transformers 5 does not composite it.
		d.transparency.alpha = alphaBand(m)
	}
	if o, ok := exifOrientation(data); ok {
		d.orientation = o
	}
	return d, nil
}
