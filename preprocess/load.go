package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
)

// DefaultMaxPixels is Pillow's Image.MAX_IMAGE_PIXELS (89,478,485). Note: Pillow
// only warns between this and twice it, and raises DecompressionBombError above
// 2× (178,956,970); this package rejects anything above MaxPixels.
const DefaultMaxPixels = 89_478_485

// Options controls decoding.
type Options struct {
	// ApplyEXIF rotates/flips by the EXIF Orientation tag (Pillow's
	// ImageOps.exif_transpose), as transformers' pipeline (load_image) does.
	// false matches the manual flow (Image.open → processor). TIFF is the
	// exception: Pillow ≥ 13 applies the TIFF Orientation tag while loading, so
	// it is applied in both cases.
	ApplyEXIF bool
	// MaxPixels rejects images with more pixels (checked from the header,
	// before any pixel buffer is allocated). 0 means DefaultMaxPixels; < 0 no limit.
	MaxPixels int
	// AlphaOnWhite is transformers 5's convert_to_rgb (both of its image processor
	// backends): transparency is composited onto white, as Pillow's alpha_composite
	// does, where transformers 4 drops the alpha. In the manual flow that is the alpha
	// band or the transparency colour; with ApplyEXIF (the pipeline's load_image, which
	// converts to RGB first) only a transparency colour survives to be composited
	// (alpha.go).
	AlphaOnWhite bool
}

// ManualOptions matches the manual flow: Image.open(path) → processor.
var ManualOptions = Options{}

// PipelineOptions matches pipeline("zero-shot-image-classification"), whose
// load_image applies EXIF orientation.
var PipelineOptions = Options{ApplyEXIF: true}

func (o Options) maxPixels() int64 {
	switch {
	case o.MaxPixels == 0:
		return DefaultMaxPixels
	case o.MaxPixels < 0:
		return -1
	}
	return int64(o.MaxPixels)
}

// Load reads and decodes an image file. Errors are *ImageError naming path.
func Load(path string, opts Options) (RGB, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return RGB{}, &ImageError{File: path, Kind: KindUnreadable, Reason: err.Error(), Err: err}
	}
	img, err := Decode(data, opts)
	return img, withFile(err, path)
}

// DecodeReader reads r to the end and decodes it.
func DecodeReader(r io.Reader, opts Options) (RGB, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return RGB{}, &ImageError{Kind: KindUnreadable, Reason: err.Error(), Err: err}
	}
	return Decode(data, opts)
}

// Decode decodes an image file held in memory (JPEG, PNG, GIF, WebP, BMP,
// TIFF) into RGB exactly as Pillow's Image.open + [exif_transpose] +
// convert("RGB") would. It never panics; errors are *ImageError.
func Decode(data []byte, opts Options) (RGB, error) { return decodeWith(data, opts, nil, nil) }

// decodeWith is Decode with pooled buffers and, for JPEG, a column crop (see
// decodeJPEGWith: cols only from callers that read just those columns).
func decodeWith(data []byte, opts Options, bufs *bufPool, cols func(w, h int) (int, int, bool)) (img RGB, err error) {
	defer func() {
		// The pure-Go decoders are not expected to panic, but a malformed file
		// must never crash a server: report it as corrupt data instead.
		if r := recover(); r != nil {
			img, err = RGB{}, newErr(KindCorrupt, sniff(data), fmt.Sprintf("decoder panic: %v", r), nil)
		}
	}()
	if len(data) == 0 {
		return RGB{}, newErr(KindEmpty, "", "0 bytes", nil)
	}
	format := sniff(data)
	var d decoded
	switch format {
	case "jpeg":
		d, err = decodeJPEGWith(data, opts, bufs, cols)
	case "png":
		d, err = decodePNG(data, opts)
	case "gif":
		d, err = decodeGIF(data, opts)
	case "webp":
		d, err = decodeWebP(data, opts)
	case "bmp":
		d, err = decodeBMP(data, opts)
	case "tiff":
		d, err = decodeTIFF(data, opts)
	default:
		return RGB{}, newErr(KindUnsupported, "", "cannot identify image format", nil)
	}
	if err != nil {
		var ie *ImageError
		if errors.As(err, &ie) {
			if ie.Format == "" {
				ie.Format = format
			}
			return RGB{}, ie
		}
		return RGB{}, classify(format, err)
	}
	if opts.AlphaOnWhite { // pixel by pixel: before or after the transpose alike
		d.applyAlphaOnWhite(opts)
	}
	if d.orientation > 1 && (opts.ApplyEXIF || format == "tiff") {
		d.rgb = transpose(d.rgb, d.orientation)
	}
	return d.rgb, nil
}

// decoded is a format decoder's result: the RGB pixels (Pillow's convert("RGB")), the
// orientation that Pillow's getexif() would report (0 or 1: none), and the image's
// transparency (for AlphaOnWhite).
type decoded struct {
	rgb          RGB
	orientation  int
	transparency transparency
}

// Sniff names the image format of a file's first bytes ("jpeg", "png", "gif", "webp",
// "bmp", "tiff"), as Decode identifies it, or "" for none of them: the content decides,
// never a name or a Content-Type.
func Sniff(b []byte) string { return sniff(b) }

// sniff identifies the format by its signature, as Pillow's _accept functions.
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case bytes.HasPrefix(b, []byte("BM")):
		return "bmp"
	case bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")):
		return "tiff"
	}
	return ""
}

// classify maps a decoder error to an *ImageError.
func classify(format string, err error) *ImageError {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return newErr(KindTruncated, format, "image file is truncated", err)
	}
	var ue interface{ unsupported() }
	if errors.As(err, &ue) {
		return newErr(KindUnsupported, format, "", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "not enough") || strings.Contains(msg, "unexpected EOF") {
		// image/png "not enough pixel data", image/gif "not enough image data"
		return newErr(KindTruncated, format, "image file is truncated: "+msg, err)
	}
	if bytes.Contains([]byte(msg), []byte("unsupported")) || bytes.Contains([]byte(msg), []byte("not implemented")) {
		return newErr(KindUnsupported, format, msg, err)
	}
	return newErr(KindCorrupt, format, msg, err)
}

// checkPixels rejects decompression bombs before decoding.
func checkPixels(format string, w, h int, opts Options) error {
	if w <= 0 || h <= 0 {
		return newErr(KindCorrupt, format, fmt.Sprintf("invalid size %dx%d", w, h), nil)
	}
	limit := opts.maxPixels()
	if limit >= 0 && int64(w)*int64(h) > limit {
		return newErr(KindTooLarge, format,
			fmt.Sprintf("%dx%d = %d pixels exceeds the limit of %d (possible decompression bomb)",
				w, h, int64(w)*int64(h), limit), nil)
	}
	return nil
}

// checkConfig runs a header-only DecodeConfig and the pixel check.
func checkConfig(format string, data []byte, dc func(io.Reader) (image.Config, error), opts Options) error {
	cfg, err := dc(bytes.NewReader(data))
	if err != nil {
		return classify(format, err)
	}
	return checkPixels(format, cfg.Width, cfg.Height, opts)
}
