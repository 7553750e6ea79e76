// Package preprocess turns image files into CLIP pixel_values exactly as Hugging
// Face's CLIPImageProcessor (the slow PIL path of transformers v4, or v5 with
// backend="pil") does: bit-identical float32 output, given the same decoded pixels.
//
// The pipeline, step by step (parity-spec §1):
//
//	decode (as Pillow: libjpeg-turbo for JPEG, Pillow's rules for PNG/GIF/WebP/BMP/TIFF)
//	→ [EXIF orientation, Options.ApplyEXIF] → convert("RGB") as Pillow
//	  [or transformers 5's convert_to_rgb: transparency onto white, Options.AlphaOnWhite]
//	→ resize, shortest edge, Pillow BICUBIC (fixed point, two passes, uint8 between;
//	  vertical first where Pillow 13 puts it first: the height shrinks by more than
//	  twice as many pixels as the width)
//	→ centre crop (uint8) → rescale (float64 → float32) → normalize (float32) → CHW
//
// Entry points and their EXIF default:
//
//   - [Load], [Decode], [DecodeReader] take an [Options]. The zero Options (and
//     [ManualOptions]) match the manual flow, Image.open(path) → processor: no EXIF
//     transpose. [PipelineOptions] matches transformers' pipeline (load_image does
//     ImageOps.exif_transpose). A zero-shot server that must equal
//     pipeline(...) should use PipelineOptions.
//   - [FromImage] converts an already decoded image.Image (no EXIF is available).
//
// Concurrency: a [Processor] is immutable after [New] and safe for concurrent use
// by many goroutines; [Load]/[Decode] are safe to call concurrently. An [RGB] value
// is plain data: share it read-only or copy it.
//
// Errors: every failure to read an image is an *[ImageError] naming the file (if
// any), the format and the reason; use errors.As, or errors.Is with the Err*
// kind sentinels ([ErrTruncated], [ErrTooLarge], ...). Nothing panics across the
// package boundary.
//
// Accept/reject follows Pillow 13 (without LOAD_TRUNCATED_IMAGES): a JPEG that
// ends before its last scanline — even one missing only its EOI marker — is
// KindTruncated; libjpeg warnings (corrupt entropy data) are ignored and the
// image decodes as in Pillow; fatal libjpeg errors are KindCorrupt. The pixel
// limit is checked from the header before any pixel buffer is allocated.
//
// Deliberate differences from HF/Pillow (documented, not replicated):
//   - Images more than Options.MaxPixels (default 89,478,485) are rejected;
//     Pillow only warns up to twice that.
//   - HF's slow processor infers the channel layout and mis-reads images 1 or 3
//     pixels high as channels-first (it fails or returns garbage); this package
//     always treats input as HWC, which equals HF called with
//     input_data_format="channels_last".
//   - Variants the Go decoders lack are KindUnsupported where Pillow decodes
//     them: animated WebP, BMP 1/4/16-bit and RLE, TIFF with JPEG/CCITT
//     compression, GIF frames outside the logical screen or pixels beyond the
//     palette. Malformed EXIF is ignored (Pillow may raise in exif_transpose).
//
// Speed without changing a bit: only the centre crop's window of the resize is
// computed; on CPUs with AVX2 both resize passes run as exact integer SIMD
// (internal/hsimd; the Go loops remain the fallback and the tests' reference); and
// [Processor.PreprocessData] decodes only the JPEG columns that window reads (plus
// a margin; libjpeg-turbo still entropy-decodes every block, so errors are those
// of a full decode). The tests compare each shortcut with the long way, and a
// generated sweep of sizes, modes and configs with HF (testdata/gen/gen_shapes.py;
// `make parity-shapes` runs thousands).
//
// JPEG decoding needs cgo and libjpeg-turbo (Debian: libjpeg62-turbo-dev); the
// resize's SIMD passes are C compiled by cgo; the rest is plain Go
// (golang.org/x/image for WebP, BMP, TIFF).
package preprocess
