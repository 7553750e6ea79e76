package preprocess

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/shapes"
)

// TestShapeSweep runs the generated shape sweep (testdata/gen/gen_shapes.py) against
// a reference's digests: random sizes (1..5,000 px a side, aspect ratios to 1:200),
// PNG modes and JPEG variants, contents and processor configs. Every case runs in
// both flows (manual: no EXIF; pipeline: EXIF applied), on every resampling code path
// the CPU has (AVX2 passes and Go loops), through Decode + Crop + Normalize (uint8
// crop and float32 pixel_values) and through PreprocessData (pixel_values; for JPEG
// the crop-decode shortcut, with a poisoned pool buffer).
//
// By default it runs the committed sample (testdata/shapes); ZEROSHOT_SHAPES=dir runs
// a full sweep written by `make parity-shapes`, and ZEROSHOT_SHAPES_REF picks the
// reference: "pil" (the default: transformers 4.54's slow PIL path) or "pil5"
// (transformers 5's CLIPImageProcessorPil, which composites transparency onto white:
// Options.AlphaOnWhite). On the committed sample it runs every one the sample has.
func TestShapeSweep(t *testing.T) {
	sw, dir, full, err := shapes.LoadEnv(golden.Path(t, filepath.Join("..", "testdata"), "shapes"))
	if err != nil {
		t.Fatal(err)
	}
	refs := []string{os.Getenv("ZEROSHOT_SHAPES_REF")}
	if refs[0] == "" {
		refs = []string{"pil"}
		if _, ok := sw.Cases[0].Ref["pil5"]; ok && !full {
			refs = append(refs, "pil5")
		}
	}
	for _, ref := range refs {
		t.Run(ref, func(t *testing.T) { shapeSweep(t, sw, dir, ref, full) })
	}
}

func shapeSweep(t *testing.T, sw *shapes.Sweep, dir, ref string, full bool) {
	if ref != "pil" && ref != "pil5" {
		t.Fatalf("reference %q: package preprocess reproduces pil and pil5 (tv5: package tvprocess)", ref)
	}
	procs := map[string]*Processor{}
	for name, raw := range sw.Configs {
		cfg, err := ParseConfig(raw)
		if err != nil {
			t.Fatalf("config %s: %v", name, err)
		}
		if procs[name], err = New(cfg); err != nil {
			t.Fatalf("config %s: %v", name, err)
		}
	}
	defer func(v bool) { useSIMD = v }(useSIMD)
	st := newSweepStats()
	start := time.Now()
	failures := 0
	fail := func(format string, a ...any) {
		failures++
		if failures <= 30 {
			t.Errorf(format, a...)
		}
	}
	for i := range sw.Cases {
		c := &sw.Cases[i]
		want, ok := c.Ref[ref]
		if !ok {
			t.Fatalf("case %d has no %q reference", c.ID, ref)
		}
		p := procs[c.Config]
		if p == nil {
			t.Fatalf("case %d: unknown config %q", c.ID, c.Config)
		}
		data, err := sw.Input(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, flow := range []struct {
			name string
			opts Options
		}{{"manual", ManualOptions}, {"pipeline", PipelineOptions}} {
			flow.opts.AlphaOnWhite = ref == "pil5" // transformers 5's convert_to_rgb
			w := want[flow.name]
			for _, simd := range codePaths() {
				useSIMD = simd
				key := sweepKey{simd, flow.name}
				for _, r := range runSweepCase(p, data, flow.opts) {
					ok := r.matches(w)
					st.add(key, r.entry, c, ok)
					if !ok {
						fail("%v, %s flow, AVX2 %v, %s: %s", c, flow.name, simd, r.entry, r.describe(w))
					}
				}
			}
		}
	}
	if failures > 30 {
		t.Errorf("... %d failures in all", failures)
	}
	report := st.report(sw, ref, dir, time.Since(start))
	if full {
		fmt.Print(report) // make parity-shapes prints it
	} else {
		t.Log("\n" + report)
	}
	if !full && len(sw.Cases) < 300 {
		t.Fatalf("the committed sample has only %d cases", len(sw.Cases))
	}
}

// sweepResult is one entry point's result for one case, flow and code path.
type sweepResult struct {
	entry string // "Decode+Preprocess" or "PreprocessData"
	err   error
	pv    string
	crop  string // "" where the entry point has no crop to compare
	shape [3]int
}

func runSweepCase(p *Processor, data []byte, opts Options) []sweepResult {
	a := sweepResult{entry: "Decode+Preprocess"}
	pixels := 0
	if img, err := Decode(data, opts); err != nil {
		a.err = err
	} else if crop, err := p.Crop(img); err != nil {
		a.err = err
	} else {
		pixels = img.W * img.H
		a.crop = shapes.Sum(crop.Pix)
		a.pv = shapes.Sum(f32bytes(p.Normalize(crop, nil)))
		a.shape = [3]int{3, crop.H, crop.W}
	}
	b := sweepResult{entry: "PreprocessData"}
	// A fresh poisoned buffer in the pool (large enough for a CMYK decode): a column
	// the crop-decode reads but did not decode shows up as a mismatch.
	if pixels > 0 {
		poison := make([]byte, 4*pixels)
		for i := range poison {
			poison[i] = uint8(i*131 + 17)
		}
		p.bufs.put(poison)
	}
	pv, err := p.PreprocessData(data, opts)
	b.err = err
	if err == nil {
		b.pv = shapes.Sum(f32bytes(pv))
		b.shape = a.shape
	}
	return []sweepResult{a, b}
}

func (r sweepResult) matches(w shapes.Digest) bool {
	if w.Error != "" || r.err != nil {
		return w.Error != "" && r.err != nil
	}
	return r.pv == w.PV && (r.crop == "" || r.crop == w.Crop)
}

func (r sweepResult) describe(w shapes.Digest) string {
	switch {
	case w.Error != "" && r.err == nil:
		return "accepted, but the reference raised " + w.Error
	case r.err != nil && w.Error == "":
		return "error " + r.err.Error() + ", but the reference accepts it"
	case r.crop != "" && r.crop != w.Crop:
		return fmt.Sprintf("uint8 crop differs (shape %v, reference %v)", r.shape, w.Shape)
	}
	return fmt.Sprintf("float32 pixel_values differ (shape %v, reference %v)", r.shape, w.Shape)
}

type sweepKey struct {
	simd bool
	flow string
}

type sweepCount struct{ ok, n int }

type sweepStats struct {
	byKey   map[sweepKey]map[string]*sweepCount // entry -> count
	byClass map[string]*sweepCount              // format/mode or JPEG variant, all runs
	cases   map[int]bool
	bad     map[int]bool
}

func newSweepStats() *sweepStats {
	return &sweepStats{byKey: map[sweepKey]map[string]*sweepCount{}, byClass: map[string]*sweepCount{},
		cases: map[int]bool{}, bad: map[int]bool{}}
}

func (s *sweepStats) add(k sweepKey, entry string, c *shapes.Case, ok bool) {
	m := s.byKey[k]
	if m == nil {
		m = map[string]*sweepCount{}
		s.byKey[k] = m
	}
	bump := func(cnt *sweepCount) {
		cnt.n++
		if ok {
			cnt.ok++
		}
	}
	if m[entry] == nil {
		m[entry] = &sweepCount{}
	}
	bump(m[entry])
	class := c.Format + " " + c.Mode
	if c.Format == "jpeg" && c.Mode == "RGB" {
		class = "jpeg " + c.Sampling
		if c.Progressive {
			class += " progressive"
		}
	}
	if s.byClass[class] == nil {
		s.byClass[class] = &sweepCount{}
	}
	bump(s.byClass[class])
	s.cases[c.ID] = true
	if !ok {
		s.bad[c.ID] = true
	}
}

func (s *sweepStats) report(sw *shapes.Sweep, ref, dir string, took time.Duration) string {
	var b strings.Builder
	seed, _ := sw.Meta["seed"].(float64)
	m := sw.RefMeta(ref)
	fmt.Fprintf(&b, "shape sweep %s: %d cases (seed %d), reference %q (Pillow %v, transformers %v); %d/%d cases identical in every run\n",
		dir, len(s.cases), int64(seed), ref, m["pillow"], m["transformers"], len(s.cases)-len(s.bad), len(s.cases))
	keys := make([]sweepKey, 0, len(s.byKey))
	for k := range s.byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].simd != keys[j].simd {
			return keys[i].simd
		}
		return keys[i].flow < keys[j].flow
	})
	fmt.Fprintf(&b, "  %-10s %-9s %-20s %s\n", "code path", "flow", "entry point", "bit-identical (pixel_values and, for Decode+Preprocess, the uint8 crop)")
	for _, k := range keys {
		path := "Go loops"
		if k.simd {
			path = "AVX2"
		}
		for _, e := range []string{"Decode+Preprocess", "PreprocessData"} {
			if c := s.byKey[k][e]; c != nil {
				fmt.Fprintf(&b, "  %-10s %-9s %-20s %d/%d\n", path, k.flow, e, c.ok, c.n)
			}
		}
	}
	classes := make([]string, 0, len(s.byClass))
	for k := range s.byClass {
		classes = append(classes, k)
	}
	sort.Strings(classes)
	b.WriteString("  by input (all runs):")
	for _, k := range classes {
		fmt.Fprintf(&b, " %s %d/%d;", k, s.byClass[k].ok, s.byClass[k].n)
	}
	fmt.Fprintf(&b, "\n  Go side: %.1f s\n", took.Seconds())
	return b.String()
}

// TestShapeTable prints issue 13's table: for random-noise RGB PNGs of its sizes
// (the default CLIP config, manual flow), how many float32 pixel_values equal HF's
// and the largest |Δ|, per code path. Opt-in: ZEROSHOT_SHAPES_TABLE=dir, written by
// `gen_shapes.py --table dir` (make parity-shapes does both).
func TestShapeTable(t *testing.T) {
	dir := os.Getenv("ZEROSHOT_SHAPES_TABLE")
	if dir == "" {
		t.Skip("ZEROSHOT_SHAPES_TABLE not set (make parity-shapes)")
	}
	b, err := os.ReadFile(filepath.Join(dir, "table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Cases []shapes.Case }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	p, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	defer func(v bool) { useSIMD = v }(useSIMD)
	var out strings.Builder
	fmt.Fprintf(&out, "issue 13's table (noise RGB PNG, CLIP config, manual flow): values identical / max |Δ| vs HF\n")
	fmt.Fprintf(&out, "  %-11s", "input (w×h)")
	for _, simd := range codePaths() {
		fmt.Fprintf(&out, " %-26s", map[bool]string{true: "AVX2", false: "Go loops"}[simd])
	}
	out.WriteString("\n")
	for i := range doc.Cases {
		c := &doc.Cases[i]
		data, err := shapes.EncodePNG(c)
		if err != nil {
			t.Fatal(err)
		}
		want := readNPY(t, filepath.Join(dir, fmt.Sprintf("%dx%d.npy", c.W, c.H)))
		fmt.Fprintf(&out, "  %-11s", fmt.Sprintf("%dx%d", c.W, c.H))
		for _, simd := range codePaths() {
			useSIMD = simd
			img, err := Decode(data, ManualOptions)
			if err != nil {
				t.Fatal(err)
			}
			pv, err := p.Preprocess(img)
			if err != nil || len(pv) != len(want) {
				t.Fatalf("%dx%d: %v (%d values, want %d)", c.W, c.H, err, len(pv), len(want))
			}
			same, maxd := 0, 0.0
			for j := range pv {
				if math.Float32bits(pv[j]) == math.Float32bits(want[j]) {
					same++
				}
				maxd = max(maxd, math.Abs(float64(pv[j])-float64(want[j])))
			}
			fmt.Fprintf(&out, " %-26s", fmt.Sprintf("%d/%d, %.3g", same, len(pv), maxd))
			if same != len(pv) {
				t.Errorf("%dx%d (AVX2 %v): %d of %d values differ from HF's, max |Δ| %g", c.W, c.H, simd, len(pv)-same, len(pv), maxd)
			}
		}
		out.WriteString("\n")
	}
	fmt.Print(out.String())
}
