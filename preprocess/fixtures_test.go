package preprocess

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
)

// testdata/images is written by testdata/gen/gen_images.py with Hugging Face
// transformers + Pillow (see its meta).
var imagesDir = filepath.Join("..", "testdata", "images")

type flowFacts struct {
	OK                bool   `json:"ok"`
	Error             string `json:"error"`
	RGBSize           [2]int `json:"rgb_size"`
	RGBSHA            string `json:"rgb_sha256"`
	CropSHA           string `json:"crop_sha256"`
	PixelValuesSHA    string `json:"pixel_values_sha256"`
	CropPNG           string `json:"crop_png"`
	GoldenNPY         string `json:"golden_npy"`
	HFInferredLayout  bool   `json:"hf_inferred_layout_same"`
	HFInferredLayoutE string `json:"hf_inferred_layout_error"`
}

type imageEntry struct {
	File     string    `json:"file"`
	SHA      string    `json:"sha256"`
	Format   string    `json:"format"`
	Mode     string    `json:"mode"`
	Size     []int     `json:"size"`
	Manual   flowFacts `json:"manual"`
	Pipeline flowFacts `json:"pipeline"`
}

type vector struct {
	W, H       int
	CropSHA    string  `json:"crop_sha256"`
	PVSHA      string  `json:"pixel_values_sha256"`
	P000       float64 `json:"p000"`
	P2_223_223 float64 `json:"p2_223_223"`
}

type index struct {
	Meta    map[string]any `json:"meta"`
	Images  []imageEntry   `json:"images"`
	Vectors []vector       `json:"vectors"`
}

func loadIndex(t testing.TB) index {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(imagesDir, "index.json"))
	if err != nil {
		t.Fatalf("fixtures missing (run $ORACLE_PY testdata/gen/gen_images.py): %v", err)
	}
	var ix index
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	return ix
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// f32bytes: the bytes the goldens' pixel_values digests are taken over.
func f32bytes(v []float32) []byte { return golden.F32Bytes(v) }

func defaultProcessor(t testing.TB) *Processor {
	t.Helper()
	cfg, err := LoadConfig(filepath.Join("..", "testdata", "clip-vit-large-patch14", "preprocessor_config.json"))
	if err != nil {
		t.Fatalf("the real preprocessor_config.json (testdata/clip-vit-large-patch14): %v", err)
	}
	if cfg != Default() {
		t.Fatalf("preprocessor_config.json parsed to %+v, want Default() %+v", cfg, Default())
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFixtures: for every fixture file and both flows (manual: no EXIF;
// pipeline: EXIF applied) the Go result must equal HF's: same accept/reject,
// identical decoded RGB, uint8 crop and float32 pixel_values (sha256).
func TestFixtures(t *testing.T) {
	ix := loadIndex(t)
	p := defaultProcessor(t)
	var nImg, nRGB, nCrop, nPV, nRej int
	for _, e := range ix.Images {
		for _, flow := range []struct {
			name  string
			opts  Options
			facts flowFacts
		}{{"manual", ManualOptions, e.Manual}, {"pipeline", PipelineOptions, e.Pipeline}} {
			t.Run(filepath.Base(e.File)+"/"+flow.name, func(t *testing.T) {
				path := filepath.Join(imagesDir, e.File)
				img, err := Load(path, flow.opts)
				want := flow.facts
				if !want.OK {
					nRej++
					if err == nil {
						t.Fatalf("decoded %dx%d, but Pillow/HF rejects it: %s", img.W, img.H, want.Error)
					}
					var ie *ImageError
					if !errors.As(err, &ie) || ie.File != path {
						t.Fatalf("error %v is not an *ImageError naming the file", err)
					}
					if k := pillowKind(want.Error); k != 0 && ie.Kind != k && !(k == KindUnsupported && ie.Kind == KindEmpty) {
						t.Errorf("kind %v, want %v (Pillow: %s)", ie.Kind, k, want.Error)
					}
					t.Logf("rejected as Pillow does: go=%q pillow=%q", err, want.Error)
					return
				}
				nImg++
				if err != nil {
					t.Fatalf("Load: %v (Pillow/HF accepts it)", err)
				}
				if img.W != want.RGBSize[0] || img.H != want.RGBSize[1] {
					t.Fatalf("size %dx%d, want %dx%d", img.W, img.H, want.RGBSize[0], want.RGBSize[1])
				}
				if sha(img.Pix) != want.RGBSHA {
					t.Errorf("decoded RGB differs from Pillow's")
				} else {
					nRGB++
				}
				crop, err := p.Crop(img)
				if err != nil {
					t.Fatal(err)
				}
				if sha(crop.Pix) != want.CropSHA {
					t.Errorf("uint8 crop differs from HF's%s", cropDiff(t, crop, e, flow.name))
				} else {
					nCrop++
				}
				pv, err := p.Preprocess(img)
				if err != nil {
					t.Fatal(err)
				}
				if sha(f32bytes(pv)) != want.PixelValuesSHA {
					t.Errorf("float32 pixel_values differ from HF's")
				} else {
					nPV++
				}
				data, _ := os.ReadFile(path)
				for rep := 0; rep < 2; rep++ { // second round uses recycled buffers
					pv2, err := p.PreprocessData(data, flow.opts)
					if err != nil || sha(f32bytes(pv2)) != want.PixelValuesSHA {
						t.Errorf("PreprocessData differs from HF's (%v)", err)
					}
				}
				if want.GoldenNPY != "" {
					gold := readNPY(t, filepath.Join(imagesDir, want.GoldenNPY))
					for i := range gold {
						if math.Float32bits(gold[i]) != math.Float32bits(pv[i]) {
							t.Fatalf("golden .npy differs at %d: %v vs %v", i, pv[i], gold[i])
						}
					}
				}
			})
		}
	}
	t.Logf("accepted flows: %d; RGB identical %d/%d, uint8 crop identical %d/%d, float32 identical %d/%d; rejected as HF: %d",
		nImg, nRGB, nImg, nCrop, nImg, nPV, nImg, nRej)
}

// pillowKind maps a Pillow/HF error message to the Kind Go should report.
func pillowKind(msg string) Kind {
	switch m := strings.ToLower(msg); {
	case strings.Contains(m, "decompressionbomb"):
		return KindTooLarge
	case strings.Contains(m, "truncated"):
		return KindTruncated
	case strings.Contains(m, "cannot identify"):
		return KindUnsupported
	case strings.Contains(m, "broken data stream"):
		return KindCorrupt
	}
	return 0
}

// cropDiff describes the difference to the stored HF crop PNG, if any.
func cropDiff(t *testing.T, crop RGB, e imageEntry, flow string) string {
	name := e.Manual.CropPNG
	if flow == "pipeline" && e.Pipeline.CropPNG != "" {
		name = e.Pipeline.CropPNG
	}
	if name == "" {
		return ""
	}
	f, err := os.Open(filepath.Join(imagesDir, name))
	if err != nil {
		return ""
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		return ""
	}
	ref, _ := FromImage(m)
	maxd, n := 0, 0
	for i := range ref.Pix {
		d := int(ref.Pix[i]) - int(crop.Pix[i])
		if d < 0 {
			d = -d
		}
		if d > 0 {
			n++
		}
		maxd = max(maxd, d)
	}
	return " (" + itoa(n) + " samples differ, max |Δ| " + itoa(maxd) + ")"
}

func itoa(v int) string { return string(appendInt(nil, v)) }

func appendInt(b []byte, v int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// readNPY reads a little-endian float32 .npy file (as numpy.save writes).
func readNPY(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("%s: not an npy file", path)
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	body := b[10+hl:]
	out := make([]float32, len(body)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return out
}

// synthetic is the spec §1.9 pattern: R=(7x+3y)%256, G=(x²+5y)%256, B=(xy+11)%256.
func synthetic(w, h int) RGB {
	m := NewRGB(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			m.Pix[i] = uint8((7*x + 3*y) % 256)
			m.Pix[i+1] = uint8((x*x + 5*y) % 256)
			m.Pix[i+2] = uint8((x*y + 11) % 256)
		}
	}
	return m
}

// TestSpecVectors checks the parity-spec §1.9 vectors, recomputed with HF.
func TestSpecVectors(t *testing.T) {
	ix := loadIndex(t)
	p := defaultProcessor(t)
	if len(ix.Vectors) != 6 {
		t.Fatalf("want 6 vectors, have %d", len(ix.Vectors))
	}
	for _, v := range ix.Vectors {
		img := synthetic(v.W, v.H)
		crop, err := p.Crop(img)
		if err != nil {
			t.Fatal(err)
		}
		pv := p.Normalize(crop, nil)
		if got := sha(crop.Pix); got != v.CropSHA {
			t.Errorf("%dx%d: crop sha %s, want %s", v.W, v.H, got[:16], v.CropSHA[:16])
		}
		if got := sha(f32bytes(pv)); got != v.PVSHA {
			t.Errorf("%dx%d: pixel_values sha %s, want %s", v.W, v.H, got[:16], v.PVSHA[:16])
		}
		if pv[0] != float32(v.P000) || pv[len(pv)-1] != float32(v.P2_223_223) {
			t.Errorf("%dx%d: corners %v %v, want %v %v", v.W, v.H, pv[0], pv[len(pv)-1], v.P000, v.P2_223_223)
		}
	}
}
