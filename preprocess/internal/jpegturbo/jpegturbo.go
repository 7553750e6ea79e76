// Package jpegturbo decodes JPEG files with the system libjpeg-turbo, configured
// exactly as Pillow's JPEG decoder configures it (library defaults: JDCT_ISLOW,
// fancy upsampling, block smoothing; out_color_space JCS_GRAYSCALE / JCS_RGB /
// JCS_CMYK for 1 / 3 / 4 components), so that decoded samples are bit-identical
// to Pillow's when both use the same libjpeg-turbo release.
//
// libjpeg's default error handler calls exit(); this package installs one that
// longjmps back and reports the message, and it ignores warnings as Pillow does.
// Pillow feeds libjpeg from a suspending source: a file that ends before the last
// scanline has been produced is "truncated" and rejected; one that ends while only
// the end-of-image marker (or trailing markers) is missing is accepted. This
// package reproduces that decision: it reports where the data ran out.
//
// Build: cgo with -ljpeg (Debian: libjpeg62-turbo-dev).
package jpegturbo

/*
#cgo LDFLAGS: -ljpeg
#include "decoder.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// Stage names where the input ran out; see Header.EOFStage and Image.EOFStage.
const (
	StageNone     = -1 // the data never ran out
	StageHeader   = 0  // jpeg_read_header
	StageStart    = 1  // jpeg_start_decompress (progressive files read all scans here)
	StageScanline = 2  // jpeg_read_scanlines
	StageFinish   = 3  // jpeg_finish_decompress (only trailing markers missing)
)

// ErrTruncated reports that the data ended before the image was complete, in the
// cases where Pillow raises "image file is truncated".
var ErrTruncated = errors.New("image file is truncated")

// CorruptError is a fatal libjpeg error (what Pillow reports as "broken data stream").
type CorruptError struct{ Msg string }

func (e *CorruptError) Error() string { return "libjpeg: " + e.Msg }

// UnsupportedError reports a JPEG this decoder (like Pillow) does not handle,
// e.g. a component count other than 1, 3 or 4.
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return e.Msg }

// Header is what jpeg_read_header found.
type Header struct {
	Width, Height int
	Components    int // 1 (gray), 3 (YCbCr/RGB), 4 (CMYK/YCCK)
	ColorSpace    int // libjpeg J_COLOR_SPACE of the file
	Progressive   bool
}

// Image is a decoded JPEG: Pix holds Width*Height*Channels samples, interleaved,
// as libjpeg outputs them (gray: L; 3 components: RGB; 4: CMYK as stored, i.e.
// Adobe-inverted for Photoshop files — Pillow's "CMYK;I" rawmode inverts it).
type Image struct {
	Width, Height, Channels int
	Pix                     []byte
}

// Decoder holds one libjpeg decompressor over an in-memory file. It is not safe
// for concurrent use; always Close it.
type Decoder struct {
	h      *C.zs_handle
	pinner runtime.Pinner
	hdr    Header
	closed bool
}

// NewDecoder reads the JPEG header of data. data must not be modified until Close.
func NewDecoder(data []byte) (*Decoder, error) {
	if len(data) == 0 {
		return nil, ErrTruncated
	}
	d := &Decoder{}
	d.pinner.Pin(&data[0])
	d.h = C.zs_new((*C.uchar)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	if d.h == nil {
		d.pinner.Unpin()
		return nil, errors.New("jpegturbo: out of memory")
	}
	if rc := C.zs_read_header(d.h); rc != 0 {
		err := d.err(rc)
		d.Close()
		return nil, err
	}
	d.hdr = Header{
		Width:       int(d.h.width),
		Height:      int(d.h.height),
		Components:  int(d.h.components),
		ColorSpace:  int(d.h.jpeg_color_space),
		Progressive: d.h.progressive != 0,
	}
	return d, nil
}

// Header returns the header read by NewDecoder.
func (d *Decoder) Header() Header { return d.hdr }

// Decode decompresses the whole image into a new buffer. Call it at most once.
func (d *Decoder) Decode() (*Image, error) { return d.DecodeInto(nil) }

// DecodeInto is Decode writing into buf when it is large enough (its old
// contents are overwritten; no zeroing needed), else into a new buffer.
func (d *Decoder) DecodeInto(buf []byte) (*Image, error) {
	im, _, _, err := d.DecodeColumnsInto(buf, 0, d.hdr.Width)
	return im, err
}

// DecodeColumnsInto is DecodeInto that decodes only columns [x0, x1) — widened
// by libjpeg-turbo to whole iMCUs, the range it reports as [c0, c1) — into their
// places in the full-size image (Width×Height×Channels, as DecodeInto). Samples
// outside [c0, c1) are left as they were in buf. Inside the range, the samples
// equal a full decode's except near its edges when they are not the image's
// edges: there fancy upsampling and block smoothing see no neighbours, so callers
// ask for a margin (two iMCUs are enough: the package tests check 32 pixels).
// Errors, warnings and truncation are those of a full decode (every block is
// still entropy-decoded).
func (d *Decoder) DecodeColumnsInto(buf []byte, x0, x1 int) (im *Image, c0, c1 int, err error) {
	if d.closed {
		return nil, 0, 0, errors.New("jpegturbo: decoder closed")
	}
	ch := 0
	switch d.hdr.Components {
	case 1:
		ch = 1
	case 3:
		ch = 3
	case 4:
		ch = 4
	default:
		return nil, 0, 0, &UnsupportedError{Msg: fmt.Sprintf("cannot handle %d-layer images", d.hdr.Components)}
	}
	if rc := C.zs_start(d.h, C.int(ch)); rc != 0 {
		return nil, 0, 0, d.err(rc)
	}
	w, h := int(d.h.out_width), int(d.h.out_height)
	if int(d.h.out_components) != ch || w != d.hdr.Width || h != d.hdr.Height {
		return nil, 0, 0, &CorruptError{Msg: "unexpected output geometry"}
	}
	x0, x1 = max(x0, 0), min(x1, w)
	c0, c1 = 0, w
	if x1 <= x0 {
		x0, x1 = 0, w
	}
	if x0 > 0 || x1 < w {
		cx, cw := C.int(x0), C.int(x1-x0)
		if rc := C.zs_crop(d.h, &cx, &cw); rc != 0 {
			return nil, 0, 0, d.err(rc)
		}
		c0, c1 = int(cx), int(cx+cw)
		if c0 < 0 || c0 > x0 || c1 < x1 || c1 > w || int(d.h.out_width) != c1-c0 {
			return nil, 0, 0, &CorruptError{Msg: "unexpected crop geometry"}
		}
	}
	var pix []byte
	if cap(buf) >= w*h*ch {
		pix = buf[:w*h*ch]
	} else {
		pix = make([]byte, w*h*ch)
	}
	if rc := C.zs_read(d.h, (*C.uchar)(unsafe.Pointer(&pix[c0*ch])), C.size_t(w*ch)); rc != 0 {
		return nil, 0, 0, d.err(rc)
	}
	if st := int(d.h.eof_stage); st != StageNone && st < StageFinish {
		return nil, 0, 0, ErrTruncated
	}
	return &Image{Width: w, Height: h, Channels: ch, Pix: pix}, c0, c1, nil
}

// Close releases the libjpeg state.
func (d *Decoder) Close() {
	if d.closed {
		return
	}
	d.closed = true
	C.zs_free(d.h)
	d.h = nil
	d.pinner.Unpin()
}

func (d *Decoder) err(rc C.int) error {
	if d.h.eof_stage >= 0 && d.h.eof_stage < StageFinish {
		// libjpeg failed after the data ran out (e.g. a cut header): Pillow's
		// suspending source would have run dry first and reported truncation.
		return ErrTruncated
	}
	return &CorruptError{Msg: C.GoString(&d.h.msg[0])}
}

// Version is the libjpeg-turbo version this package was compiled against.
func Version() string { return C.GoString(C.zs_version()) }
