package tvprocess

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// The generated sweep of testdata/gen/v5_sweep.py: random sizes (1..5,000 px a side,
// aspect ratios to 1:200, tiny ones, sizes next to the resize and crop), contents,
// alpha (composited onto white) and processor configs (padding, no crop, no resize,
// 336), against transformers 5's torchvision backend ("tv5", this package) and its PIL
// backend ("pil5", package preprocess). make test runs the committed sample;
// ZEROSHOT_V5_SWEEP=file runs another (make parity-v5-sweep: a full one).
//
// The shape sweep of the preprocessing issue (testdata/shapes, gen_shapes.py) can feed
// the same check: its cases are decoded files (PNG modes, JPEG subsamplings, EXIF) with
// named references; a "tv5" reference computed by this processor's oracle
// (gen_shapes.py --add-refs with v5_sweep.reference) is compared by sweepCheck as here.

type sweepCase struct {
	ID        int                    `json:"id"`
	Seed      uint64                 `json:"seed"`
	Config    string                 `json:"config"`
	W         int                    `json:"w"`
	H         int                    `json:"h"`
	Content   string                 `json:"content"`
	Alpha     string                 `json:"alpha"`
	PixelsSHA string                 `json:"pixels_sha256"`
	Ref       map[string]sweepDigest `json:"ref"`
}

type sweepDigest struct {
	PV    string `json:"pv"`
	Crop  string `json:"crop"`
	Shape []int  `json:"shape"`
	Error string `json:"error"`
}

type sweepDoc struct {
	Meta    map[string]any             `json:"meta"`
	Configs map[string]json.RawMessage `json:"configs"`
	Cases   []sweepCase                `json:"cases"`
}

func (c *sweepCase) String() string {
	return fmt.Sprintf("case %d: %dx%d %s alpha=%s config %s", c.ID, c.W, c.H, c.Content, c.Alpha, c.Config)
}

func TestV5Sweep(t *testing.T) {
	path := golden.Path(t, filepath.Join("..", "testdata"), "images/sweep-v5.json")
	if p := os.Getenv("ZEROSHOT_V5_SWEEP"); p != "" {
		path = p
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "make goldens ORACLE=5 writes the sample")
	var doc sweepDoc
	require.NoError(t, json.Unmarshal(b, &doc))
	want, _ := doc.Meta["torch"].(string)
	if want, _, _ = strings.Cut(want, "+"); want != torch.Version() {
		t.Skipf("libtorch %s: the sweep's references were computed on torch %s (transformers 5 needs torch >= 2.2)", torch.Version(), want)
	}
	if env, _ := doc.Meta["repro_env"].(map[string]any); env != nil {
		want, _ := env["ATEN_CPU_CAPABILITY"].(string) // null: unset (make parity's unpinned goldens)
		require.Equal(t, want, os.Getenv("ATEN_CPU_CAPABILITY"),
			"the sweep was made with ATEN_CPU_CAPABILITY=%q (libtorch's uint8 resize has per-ISA kernels): run with the same", want)
	}
	tv, pil := map[string]*Processor{}, map[string]*preprocess.Processor{}
	for name, raw := range doc.Configs {
		cfg, err := preprocess.ParseConfig(mergeConfig(t, raw))
		require.NoError(t, err, name)
		tv[name] = newProcessor(t, cfg)
		pil[name], err = preprocess.New(cfg)
		require.NoError(t, err)
	}
	start := time.Now()
	stats := map[string][2]int{} // reference/config → (identical, total)
	var fails []string
	for i := range doc.Cases {
		c := &doc.Cases[i]
		img := sweepImage(t, c)
		for ref, run := range map[string]func(preprocess.RGB) (preprocess.RGB, []float32, error){
			"tv5": func(m preprocess.RGB) (preprocess.RGB, []float32, error) {
				crop, err := tv[c.Config].Crop(m)
				if err != nil {
					return crop, nil, err
				}
				pv, err := tv[c.Config].Preprocess(m)
				return crop, pv, err
			},
			"pil5": func(m preprocess.RGB) (preprocess.RGB, []float32, error) {
				crop, err := pil[c.Config].Crop(m)
				if err != nil {
					return crop, nil, err
				}
				return crop, pil[c.Config].Normalize(crop, nil), nil
			},
		} {
			want, ok := c.Ref[ref]
			if !ok {
				continue
			}
			crop, pv, err := run(img)
			same := want.Error == "" && err == nil && sha(crop.Pix)[:32] == want.Crop && sha(f32bytes(pv))[:32] == want.PV
			if want.Error != "" && err != nil {
				same = true // both refuse
			}
			k := ref + "/" + c.Config
			s := stats[k]
			s[1]++
			if same {
				s[0]++
			} else if len(fails) < 20 {
				fails = append(fails, fmt.Sprintf("%s: %s differs (go err %v, python %q)", c, ref, err, want.Error))
			}
			stats[k] = s
		}
	}
	keys := make([]string, 0, len(stats))
	total, ok := 0, 0
	for k, s := range stats {
		keys = append(keys, k)
		total += s[1]
		ok += s[0]
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %-14s %d/%d\n", k, stats[k][0], stats[k][1])
	}
	t.Logf("%s: %d cases, %d/%d bit-identical (pixel_values and crop), %s, libtorch %s, ATEN_CPU_CAPABILITY=%q\n%s",
		path, len(doc.Cases), ok, total, time.Since(start).Round(time.Millisecond), torch.Version(), os.Getenv("ATEN_CPU_CAPABILITY"), sb.String())
	for _, f := range fails {
		t.Error(f)
	}
}

// sweepImage rebuilds a case's pixels (v5_sweep.pixels) and, for an RGBA case, takes
// them through a PNG and preprocess.Decode with transformers 5's alpha rule (the
// manual flow: Image.fromarray(RGBA) → processor).
func sweepImage(t *testing.T, c *sweepCase) preprocess.RGB {
	t.Helper()
	px, nch := sweepPixels(c)
	require.Equal(t, c.PixelsSHA, sha(px)[:32], "%s: generated pixels differ from Python's", c)
	if nch == 3 {
		return preprocess.RGB{W: c.W, H: c.H, Pix: px}
	}
	m := image.NewNRGBA(image.Rect(0, 0, c.W, c.H))
	copy(m.Pix, px)
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, m))
	img, err := preprocess.Decode(buf.Bytes(), preprocess.Options{AlphaOnWhite: true})
	require.NoError(t, err)
	return img
}

const golden64 = 0x9E3779B97F4A7C15

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// noise is v5_sweep.noise: byte i is the top byte of splitmix64(seed + (i+1)·golden).
func noise(seed uint64, n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = uint8(mix64(seed+uint64(i+1)*golden64) >> 56)
	}
	return out
}

// sweepPixels is v5_sweep.pixels: HWC, 3 or 4 channels.
func sweepPixels(c *sweepCase) ([]uint8, int) {
	w, h := c.W, c.H
	var rgb []uint8
	if c.Content == "noise" {
		rgb = noise(c.Seed, w*h*3)
	} else {
		rgb = make([]uint8, w*h*3)
		for ch := 0; ch < 3; ch++ {
			k := int((c.Seed >> (8 * ch)) & 0xFF)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					var v int
					if c.Content == "edges" {
						px, py := 1+(k&15), 1+(k>>4)
						v = ((x/px + y/py + ch) & 1) * 255
					} else {
						s := (x*(k+1)*256)/w + (y*(256-k)*256)/h + ch*85
						v = min(abs((s&511)-256), 255)
					}
					rgb[(y*w+x)*3+ch] = uint8(v)
				}
			}
		}
	}
	if c.Alpha == "none" {
		return rgb, 3
	}
	var a []uint8
	if c.Alpha == "noise" {
		a = noise(c.Seed^0xA1FA, w*h)
	} else {
		a = make([]uint8, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				a[y*w+x] = uint8(x * 255 / max(1, w-1))
			}
		}
	}
	out := make([]uint8, w*h*4)
	for i := 0; i < w*h; i++ {
		copy(out[4*i:4*i+3], rgb[3*i:3*i+3])
		out[4*i+3] = a[i]
	}
	return out, 4
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
