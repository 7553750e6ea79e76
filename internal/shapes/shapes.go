// Package shapes reads the generated shape sweep of testdata/gen/gen_shapes.py and
// rebuilds its inputs: random sizes, modes, contents and processor configs, each with
// the digests that a Python reference (Pillow + transformers) computed.
//
// A PNG case is stored as parameters only: its pixels come from the integer-only
// generator below, the same as the Python one (counter-based splitmix64 noise and
// integer formulas), and are written as a PNG of the same mode (the zlib stream
// differs from Python's, the pixels do not). A JPEG case names its file, which the
// generator wrote next to cases.json: lossy bytes cannot be regenerated.
//
// References are named (Case.Ref): "pil" is CLIPImageProcessor's slow PIL path; a
// sweep may carry others beside it, each with its own digests of the same inputs.
package shapes

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Digest is one reference's result for one flow: sha256 prefixes (32 hex digits)
// of the float32 pixel_values [3,H,W] (little-endian) and of the uint8 crop (HWC), or
// the error the reference raised.
type Digest struct {
	PV    string `json:"pv"`
	Crop  string `json:"crop"`
	Shape []int  `json:"shape"`
	Error string `json:"error"`
}

// Case is one generated input with its references' digests.
type Case struct {
	ID          int    `json:"id"`
	Seed        uint64 `json:"seed"`
	Config      string `json:"config"`
	W           int    `json:"w"`
	H           int    `json:"h"`
	Format      string `json:"format"`  // png, jpeg
	Mode        string `json:"mode"`    // PNG: RGB L LA RGBA P L16 RGB16; JPEG: RGB L CMYK
	Content     string `json:"content"` // noise, smooth, photo, edges
	Orientation int    `json:"orientation"`
	Shift       int    `json:"shift"` // L16: sample = ((b0<<8)|b1) >> Shift
	Listed      string `json:"listed"`
	PixelsSHA   string `json:"pixels_sha256"` // PNG: the samples (and PLTE) before encoding

	// JPEG only.
	Encoder     string `json:"encoder"` // pillow, jpegenc
	Sampling    string `json:"sampling"`
	Quality     int    `json:"quality"`
	Progressive bool   `json:"progressive"`
	Restart     int    `json:"restart"`
	RestartUnit string `json:"restart_unit"`
	File        string `json:"file"`
	FileSHA     string `json:"file_sha256"`

	// Ref[reference][flow], flow "manual" or "pipeline".
	Ref map[string]map[string]Digest `json:"ref"`
}

// String describes the case for a failure message.
func (c *Case) String() string {
	s := fmt.Sprintf("case %d: %dx%d %s %s %s, config %s", c.ID, c.W, c.H, c.Format, c.Mode, c.Content, c.Config)
	if c.Format == "jpeg" {
		s += fmt.Sprintf(" (%s q%d", c.Encoder, c.Quality)
		if c.Sampling != "" {
			s += " " + c.Sampling
		}
		if c.Progressive {
			s += " progressive"
		}
		if c.Restart > 0 {
			s += fmt.Sprintf(" restart %d %s", c.Restart, c.RestartUnit)
		}
		s += ")"
	}
	if c.Orientation > 0 {
		s += fmt.Sprintf(", EXIF orientation %d", c.Orientation)
	}
	return s
}

// Sweep is a loaded cases.json.
type Sweep struct {
	Meta    map[string]any             `json:"meta"`
	Configs map[string]json.RawMessage `json:"configs"`
	Counts  map[string]int             `json:"counts"`
	Cases   []Case                     `json:"cases"`
	dir     string
}

// Load reads dir/cases.json.
func Load(dir string) (*Sweep, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		return nil, err
	}
	s := &Sweep{dir: dir}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "cases.json"), err)
	}
	return s, nil
}

// EnvDir names a full sweep's directory (written by make parity-shapes) for the tests
// that otherwise run the committed sample.
const EnvDir = "ZEROSHOT_SHAPES"

// LoadEnv loads the sweep EnvDir names, else the committed sample in sampleDir; full
// says which.
func LoadEnv(sampleDir string) (s *Sweep, dir string, full bool, err error) {
	dir = os.Getenv(EnvDir)
	if full = dir != ""; !full {
		dir = sampleDir
	}
	s, err = Load(dir)
	return s, dir, full, err
}

// RefMeta is the versions that made reference ref: its own entry of the meta's
// reference_meta when it was added later (gen_shapes.py --add-refs), else the meta.
func (s *Sweep) RefMeta(ref string) map[string]any {
	if rm, ok := s.Meta["reference_meta"].(map[string]any); ok {
		if r, ok := rm[ref].(map[string]any); ok {
			return r
		}
	}
	return s.Meta
}

// Input returns the file bytes of c: the PNG rebuilt from its parameters, or the
// JPEG file (checked against its digest).
func (s *Sweep) Input(c *Case) ([]byte, error) {
	switch c.Format {
	case "png":
		return EncodePNG(c)
	case "jpeg":
		b, err := os.ReadFile(filepath.Join(s.dir, c.File))
		if err != nil {
			return nil, err
		}
		if Sum(b) != c.FileSHA {
			return nil, fmt.Errorf("%s: sha256 differs from cases.json", c.File)
		}
		return b, nil
	}
	return nil, fmt.Errorf("case %d: unknown format %q", c.ID, c.Format)
}

// Sum is the digest the sweep stores: the first 32 hex digits of sha256.
func Sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// Pixels: counter-based splitmix64, as gen_shapes.py (mix_int, noise_bytes).

const golden = 0x9E3779B97F4A7C15

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// NoiseByte is byte i of noise stream seed.
func NoiseByte(seed, i uint64) uint8 { return uint8(mix(seed+(i+1)*golden) >> 56) }

func channelParam(seed uint64, c int) uint64 {
	return mix((seed ^ 0x5DEECE66D) + uint64(c+1)*golden)
}

// Content returns h×w×nch samples of a content kind (gen_shapes.content).
func Content(kind string, seed uint64, w, h, nch int) ([]byte, error) {
	out := make([]byte, w*h*nch)
	switch kind {
	case "noise":
		for i := range out {
			out[i] = NoiseByte(seed, uint64(i))
		}
		return out, nil
	case "smooth", "photo", "edges":
	default:
		return nil, fmt.Errorf("unknown content %q", kind)
	}
	for c := 0; c < nch; c++ {
		r := channelParam(seed, c)
		if kind == "edges" {
			px, py := int64(1+r&63), int64(1+(r>>6)&63)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					out[(y*w+x)*nch+c] = uint8(((int64(x)/px + int64(y)/py + int64(c)) & 1) * 255)
				}
			}
			continue
		}
		ax, ay, axy, off := int64(r&3), int64(r>>2&3), int64(r>>4&3), int64(r>>8&1023)
		if ax == 0 && ay == 0 && axy == 0 {
			ax = 1
		}
		W, H := int64(w), int64(h)
		for y := int64(0); y < H; y++ {
			for x := int64(0); x < W; x++ {
				phase := ax*x*1024/W + ay*y*1024/H + axy*x*y*1024/(W*H) + off
				v := phase&1023 - 512
				if v < 0 {
					v = -v
				}
				v = min(v>>1, 255)
				i := (y*W+x)*int64(nch) + int64(c)
				if kind == "photo" {
					v = min(max(v+int64(NoiseByte(seed, uint64(i))>>3)-16, 0), 255)
				}
				out[i] = uint8(v)
			}
		}
	}
	return out, nil
}

// pngLayout: mode -> colour type, bit depth, generated bytes per pixel.
var pngLayout = map[string][3]int{
	"L": {0, 8, 1}, "LA": {4, 8, 2}, "RGB": {2, 8, 3}, "RGBA": {6, 8, 4}, "P": {3, 8, 1},
	"L16": {0, 16, 2}, "RGB16": {2, 16, 6},
}

// TIFFOrientation is a big-endian TIFF header whose IFD0 holds Orientation = o.
func TIFFOrientation(o int) []byte {
	b := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01")
	b = binary.BigEndian.AppendUint16(b, 0x0112)
	b = binary.BigEndian.AppendUint16(b, 3)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(o))
	return append(b, 0, 0, 0, 0, 0, 0)
}

// Pixels returns the samples of a png case as its PNG stores them (16-bit
// big-endian; L16 shifted) and, for mode P, the palette (gen_shapes.png_samples).
func Pixels(c *Case) (px, plte []byte, err error) {
	lay, ok := pngLayout[c.Mode]
	if !ok {
		return nil, nil, fmt.Errorf("case %d: unknown PNG mode %q", c.ID, c.Mode)
	}
	px, err = Content(c.Content, c.Seed, c.W, c.H, lay[2])
	if err != nil {
		return nil, nil, err
	}
	if c.Mode == "L16" {
		for i := 0; i < len(px); i += 2 {
			v := (uint16(px[i])<<8 | uint16(px[i+1])) >> c.Shift
			px[i], px[i+1] = uint8(v>>8), uint8(v)
		}
	}
	if c.Mode == "P" {
		plte = make([]byte, 768)
		for i := range plte {
			plte[i] = NoiseByte(c.Seed^0x9A1E77E, uint64(i))
		}
	}
	return px, plte, nil
}

// EncodePNG writes the PNG of a png case (gen_shapes.encode_png): IHDR, PLTE for
// mode P, eXIf with the orientation when set, one IDAT, IEND. It checks the
// samples against the case's pixels_sha256 first, so that a generator that drifted
// from the Python one is reported as such.
func EncodePNG(c *Case) ([]byte, error) {
	px, plte, err := Pixels(c)
	if err != nil {
		return nil, err
	}
	if c.PixelsSHA != "" && Sum(append(px[:len(px):len(px)], plte...)) != c.PixelsSHA {
		return nil, fmt.Errorf("case %d: generated pixels differ from gen_shapes.py's", c.ID)
	}
	lay := pngLayout[c.Mode]
	ct, depth, nb := lay[0], lay[1], lay[2]
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(c.W))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(c.H))
	ihdr = append(ihdr, byte(depth), byte(ct), 0, 0, 0)
	chunk(&out, "IHDR", ihdr)
	if plte != nil {
		chunk(&out, "PLTE", plte)
	}
	if c.Orientation > 0 {
		chunk(&out, "eXIf", TIFFOrientation(c.Orientation))
	}
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	row := c.W * nb
	for y := 0; y < c.H; y++ {
		zw.Write([]byte{0}) // filter: none
		zw.Write(px[y*row : (y+1)*row])
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	chunk(&out, "IDAT", z.Bytes())
	chunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

func chunk(w *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	w.WriteString(typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}
