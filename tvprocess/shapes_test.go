package tvprocess

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/shapes"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// The generated shape sweep of issue 13 (every decoder mode: PNG RGB/L/LA/RGBA/P/16-bit,
// JPEG subsamplings, progressive, restart markers, CMYK, EXIF; sizes 1..5,000 px, aspect
// to 1:200; every processor config) against transformers 5's torchvision backend ("tv5",
// added by testdata/gen/shapes_v5.py): decode as the pipeline and the manual flow do with
// transparency composited onto white, then this package's resize, crop and normalize.
// The committed sample by default; ZEROSHOT_SHAPES=dir a full sweep (make parity-shapes-v5).
func TestShapeSweepTorchvision(t *testing.T) {
	sw, dir, full, err := shapes.LoadEnv(golden.Path(t, filepath.Join("..", "testdata"), "shapes"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sw.Cases[0].Ref["tv5"]; !ok {
		t.Fatalf("%s has no tv5 reference: testdata/gen/shapes_v5.py adds it", dir)
	}
	want, _ := sw.RefMeta("tv5")["torch"].(string)
	if want, _, _ = strings.Cut(want, "+"); want != torch.Version() {
		t.Skipf("libtorch %s: the tv5 reference was computed on torch %q", torch.Version(), want)
	}
	procs := map[string]*Processor{}
	for name, raw := range sw.Configs {
		cfg, err := preprocess.ParseConfig(raw)
		if err != nil {
			t.Fatalf("config %s: %v", name, err)
		}
		procs[name] = newProcessor(t, cfg)
	}
	start := time.Now()
	stats := map[string][2]int{} // flow/format → identical, total
	failures := 0
	for i := range sw.Cases {
		c := &sw.Cases[i]
		data, err := sw.Input(c)
		if err != nil {
			t.Fatal(err)
		}
		p := procs[c.Config]
		for _, flow := range []struct {
			name string
			opts preprocess.Options
		}{{"manual", preprocess.ManualOptions}, {"pipeline", preprocess.PipelineOptions}} {
			w := c.Ref["tv5"][flow.name]
			flow.opts.AlphaOnWhite = true // transformers 5's convert_to_rgb
			var got string
			same := false
			img, err := preprocess.Decode(data, flow.opts)
			if err == nil {
				// One resize per case: the crop, and pixel_values normalized from it as
				// Preprocess normalizes cropCHW's output (the fixture tests run Preprocess).
				var crop preprocess.RGB
				if crop, err = p.Crop(img); err == nil {
					pv := p.normalize(chwOf(crop), crop.W*crop.H, nil)
					same = w.Error == "" && shapes.Sum(crop.Pix) == w.Crop && shapes.Sum(f32bytes(pv)) == w.PV
					got = fmt.Sprintf("crop %s pv %s", shapes.Sum(crop.Pix), shapes.Sum(f32bytes(pv)))
				}
			}
			if err != nil {
				same = w.Error != "" // both refuse
				got = err.Error()
			}
			k := flow.name + "/" + c.Format
			s := stats[k]
			s[1]++
			if same {
				s[0]++
			} else if failures++; failures <= 20 {
				t.Errorf("case %d (%dx%d %s %s, config %s), %s flow: got %s, want %+v", c.ID, c.W, c.H, c.Format, c.Mode, c.Config, flow.name, got, w)
			}
			stats[k] = s
		}
	}
	keys := make([]string, 0, len(stats))
	ok, total := 0, 0
	for k, s := range stats {
		keys = append(keys, k)
		ok, total = ok+s[0], total+s[1]
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %-14s %d/%d\n", k, stats[k][0], stats[k][1])
	}
	report := fmt.Sprintf("tv5 (transformers 5 torchvision backend) on %s: %d cases, %d/%d flows bit-identical (crop and pixel_values or the same refusal), %s, libtorch %s\n%s",
		dir, len(sw.Cases), ok, total, time.Since(start).Round(time.Millisecond), torch.Version(), sb.String())
	if full {
		fmt.Print(report)
	} else {
		t.Log(report)
	}
}

// chwOf is an HWC image's planes, CHW.
func chwOf(img preprocess.RGB) []uint8 {
	n := img.W * img.H
	out := make([]uint8, 3*n)
	for i := 0; i < n; i++ {
		out[i], out[n+i], out[2*n+i] = img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2]
	}
	return out
}
