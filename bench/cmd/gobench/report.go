package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// runReport re-renders REPORT.md (and the summary in report.json) from a report.json.
func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	in := fs.String("in", "bench/report.json", "report.json to render")
	out := fs.String("out", "bench", "output directory")
	fs.Parse(args)
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return err
	}
	summarize(&rep)
	return writeReport(&rep, *out)
}

// find returns the runs named name on side that succeeded.
func (r *Report) find(name, side string) []*Run {
	var out []*Run
	for _, x := range r.Runs {
		if x.Name == name && x.Side == side && x.Err == "" {
			out = append(out, x)
		}
	}
	return out
}

// get reads a dotted path ("classify.min") from a child's JSON answer.
func get(m map[string]any, path string) (float64, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return 0, false
		}
		cur = mm[k]
	}
	f, ok := cur.(float64)
	return f, ok
}

// minOf is the minimum of f over runs (NaN if none).
func minOf(runs []*Run, f func(*Run) (float64, bool)) float64 {
	best := math.NaN()
	for _, r := range runs {
		if v, ok := f(r); ok && (math.IsNaN(best) || v < best) {
			best = v
		}
	}
	return best
}

func field(path string) func(*Run) (float64, bool) {
	return func(r *Run) (float64, bool) { return get(r.Result, path) }
}

func wall(r *Run) (float64, bool) { return r.WallS, true }
func maxRSS(r *Run) (float64, bool) {
	return float64(r.MaxRSS), r.MaxRSS > 0
}

func loads(runs ...[]*Run) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, rs := range runs {
		for _, r := range rs {
			for _, l := range []float64{r.LoadBef[0], r.LoadAft[0]} {
				lo, hi = math.Min(lo, l), math.Max(hi, l)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return "–"
	}
	return fmt.Sprintf("%.1f–%.1f", lo, hi)
}

// Row is one line of the ratio table.
type Row struct {
	ID      string  `json:"id"`
	Metric  string  `json:"metric"`
	Go      float64 `json:"go"`
	HF      float64 `json:"hf"`
	Unit    string  `json:"unit"`
	Ratio   float64 `json:"ratio"` // Go/HF (for throughput: images/s, Go/HF)
	Target  string  `json:"target"`
	Pass    *bool   `json:"pass,omitempty"`
	Basis   string  `json:"basis"` // measured / extrapolated, sizes, statistic
	LoadAvg string  `json:"loadavg"`
}

func check(ratio float64, le bool, target float64) *bool {
	if math.IsNaN(ratio) {
		return nil
	}
	p := ratio <= target
	if !le {
		p = ratio >= target
	}
	return &p
}

// visionFLOPs counts the image tower (+ visual projection) of one image: multiply-adds
// of the patch convolution, q/k/v/out projections, QKᵀ and AV, the MLP and the
// projection, at 2 FLOPs per multiply-add (torch.utils.flop_counter's and open_clip's
// convention; layer norms, softmax, GELU and adds are left out, < 0.5%).
func visionFLOPs(c *clip.Config) float64 {
	v := c.Vision
	p := float64(v.ImageSize / v.PatchSize)
	t := p*p + 1
	d, f := float64(v.HiddenSize), float64(v.IntermediateSize)
	patch := p * p * float64(v.NumChannels*v.PatchSize*v.PatchSize) * d
	layer := 4*t*d*d + 2*t*t*d + 2*t*d*f
	proj := d * float64(c.ProjectionDim)
	return 2 * (patch + float64(v.NumHiddenLayers)*layer + proj)
}

// peakFLOPs is cores × GHz × FP32 FLOPs/cycle: 2 FMA units × (16 lanes with AVX-512,
// 8 with AVX2) × 2 FLOPs per FMA.
func peakFLOPs(m map[string]any) (float64, string) {
	cores, _ := m["cores"].(float64)
	if c, ok := m["cores"].(int); ok {
		cores = float64(c)
	}
	mhz, _ := m["mhz"].(float64)
	lanes := 8.0
	simd := "AVX2"
	if fl, ok := m["flags"].([]any); ok {
		for _, f := range fl {
			if f == "avx512f" {
				lanes, simd = 16, "AVX-512"
			}
		}
	}
	if fl, ok := m["flags"].([]string); ok {
		for _, f := range fl {
			if f == "avx512f" {
				lanes, simd = 16, "AVX-512"
			}
		}
	}
	perCycle := 2 * lanes * 2
	return cores * mhz / 1e3 * perCycle * 1e9, fmt.Sprintf("%g cores × %.2f GHz × %g FP32 FLOPs/cycle (%s: 2 FMA units × %g lanes × 2)", cores, mhz/1e3, perCycle, simd, lanes)
}

func summarize(rep *Report) {
	s := map[string]any{}
	var rows []Row
	add := func(r Row) { rows = append(rows, r) }
	c := rep.Config

	// 1. process wall time.
	gp, hp := rep.find("process", "go"), rep.find("process", "hf")
	g, h := minOf(gp, wall), minOf(hp, wall)
	add(Row{ID: "1", Metric: "process wall time, 1 image × 4 labels, load included", Go: g, HF: h, Unit: "s", Ratio: g / h,
		Target: "≤ 0.6", Pass: check(g/h, true, 0.6), Basis: fmt.Sprintf("measured, min of %d/%d fresh processes", len(gp), len(hp)), LoadAvg: loads(gp, hp)})
	if gc := rep.find("process/converted", "go"); len(gc) > 0 {
		g := minOf(gc, wall)
		add(Row{ID: "1b", Metric: "… Go on the converted weights (model dir with Convert's file)", Go: g, HF: h, Unit: "s", Ratio: g / h,
			Target: "(≤ 0.6)", Pass: check(g/h, true, 0.6), Basis: fmt.Sprintf("measured, min of %d/%d", len(gc), len(hp)), LoadAvg: loads(gc, hp)})
	}

	// 2. load.
	gl, hl, gc := rep.find("load/safetensors", "go"), rep.find("load/safetensors", "hf"), rep.find("load/converted", "go")
	g, h = minOf(gl, field("load_s")), minOf(hl, field("load_s"))
	add(Row{ID: "2a", Metric: "model load, model.safetensors (both)", Go: g, HF: h, Unit: "s", Ratio: g / h, Target: "≤ 0.5",
		Pass: check(g/h, true, 0.5), Basis: fmt.Sprintf("measured, min of %d/%d fresh processes", len(gl), len(hl)), LoadAvg: loads(gl, hl)})
	gcv := minOf(gc, field("load_s"))
	add(Row{ID: "2b", Metric: "model load, Go converted file vs HF model.safetensors", Go: gcv, HF: h, Unit: "s", Ratio: gcv / h, Target: "≤ 0.5",
		Pass: check(gcv/h, true, 0.5), Basis: fmt.Sprintf("measured, min of %d/%d", len(gc), len(hl)), LoadAvg: loads(gc, hl)})
	lf := func(r *Run) (float64, bool) {
		a, ok1 := get(r.Result, "load_s")
		b, ok2 := get(r.Result, "first_forward_s")
		return a + b, ok1 && ok2
	}
	g, h = minOf(gl, lf), minOf(hl, lf)
	add(Row{ID: "2c", Metric: "load + first image forward (mmap faults land here), model.safetensors", Go: g, HF: h, Unit: "s", Ratio: g / h,
		Target: "(info)", Basis: "measured", LoadAvg: loads(gl, hl)})
	g = minOf(gc, lf)
	add(Row{ID: "2d", Metric: "load + first image forward, Go converted vs HF model.safetensors", Go: g, HF: h, Unit: "s", Ratio: g / h,
		Target: "(info)", Basis: "measured", LoadAvg: loads(gc, hl)})

	// 3. preprocessing.
	gpp, hpp := rep.find("preprocess", "go"), rep.find("preprocess", "hf")
	g, h = minOf(gpp, field("preprocess.min")), minOf(hpp, field("preprocess.min"))
	add(Row{ID: "3", Metric: fmt.Sprintf("preprocess one %d×%d JPEG (decode+resize+crop+normalize), 1 thread each", imgW, imgH), Go: g * 1e3, HF: h * 1e3, Unit: "ms",
		Ratio: g / h, Target: "≤ 0.2", Pass: check(g/h, true, 0.2), Basis: fmt.Sprintf("measured, min of n calls × %d/%d alternating processes", len(gpp), len(hpp)), LoadAvg: loads(gpp, hpp)})
	gd, hd := minOf(gpp, field("decode.min")), minOf(hpp, field("decode.min"))
	add(Row{ID: "3a", Metric: "… of which JPEG decode alone (libjpeg-turbo both)", Go: gd * 1e3, HF: hd * 1e3, Unit: "ms", Ratio: gd / hd,
		Target: "(info)", Basis: "measured", LoadAvg: loads(gpp, hpp)})
	gb := minOf(gpp, field("batch.per_image.min"))
	add(Row{ID: "3b", Metric: fmt.Sprintf("… Go batch of 8 files on %d threads (per image) vs HF 1 thread", c.Threads), Go: gb * 1e3, HF: h * 1e3, Unit: "ms",
		Ratio: gb / h, Target: "(info)", Basis: "measured", LoadAvg: loads(gpp, hpp)})

	// 3v. preprocessing, torchvision backend (transformers 5's default).
	if gv, hv := rep.find("preprocess-tv", "go"), rep.find("preprocess-tv", "hf"); len(gv) > 0 && len(hv) > 0 {
		g, h := minOf(gv, field("preprocess.min")), minOf(hv, field("preprocess.min"))
		add(Row{ID: "3v", Metric: fmt.Sprintf("preprocess one %d×%d JPEG, torchvision backend (transformers 5's default), 1 thread each", imgW, imgH),
			Go: g * 1e3, HF: h * 1e3, Unit: "ms", Ratio: g / h, Target: "(info)",
			Basis: fmt.Sprintf("measured, min of n calls × %d/%d alternating processes; Go: tvprocess (libtorch's uint8 resize, as torchvision)", len(gv), len(hv)), LoadAvg: loads(gv, hv)})
	}

	// 4s. the image tower, SDPA and eager, both sides forced.
	for _, attn := range []string{"sdpa", "eager"} {
		gtw, htw := rep.find("tower-"+attn, "go"), rep.find("tower-"+attn, "hf")
		if len(gtw) == 0 || len(htw) == 0 {
			continue
		}
		g, h := minOf(gtw, field("tower.min")), minOf(htw, field("tower.min"))
		id := map[string]string{"sdpa": "4s", "eager": "4e"}[attn]
		add(Row{ID: id, Metric: "image tower alone, batch 1, attn_implementation=" + attn + " on both sides", Go: g, HF: h, Unit: "s", Ratio: g / h,
			Target: "(info)", Basis: fmt.Sprintf("measured, min of %d calls × %d/%d alternating processes", c.N, len(gtw), len(htw)), LoadAvg: loads(gtw, htw)})
	}

	// 4. steady state.
	gs, hs := rep.find("steady", "go"), rep.find("steady", "hf")
	g, h = minOf(gs, field("classify.min")), minOf(hs, field("classify.min"))
	add(Row{ID: "4a", Metric: "steady-state latency, 1 image × 4 labels (file → scores)", Go: g, HF: h, Unit: "s", Ratio: g / h, Target: "≤ 0.95",
		Pass: check(g/h, true, 0.95), Basis: fmt.Sprintf("measured, min of %d calls × %d/%d processes; Go with its label cache (labels encoded once)", c.N, len(gs), len(hs)), LoadAvg: loads(gs, hs)})
	gu := minOf(gs, field("classify_uncached.min"))
	add(Row{ID: "4b", Metric: "… Go re-encoding the labels every call, as the pipeline does", Go: gu, HF: h, Unit: "s", Ratio: gu / h, Target: "(info)",
		Basis: "measured", LoadAvg: loads(gs, hs)})
	gtw, htw := append(rep.find("tower", "go"), gs...), append(rep.find("tower", "hf"), hs...)
	gt, ht := minOf(gtw, field("tower.min")), minOf(htw, field("tower.min"))
	add(Row{ID: "4c", Metric: "image tower alone (get_image_features, batch 1)", Go: gt, HF: ht, Unit: "s", Ratio: gt / ht, Target: "≤ 1.0",
		Pass: check(gt/ht, true, 1.0), Basis: fmt.Sprintf("measured, min of %d calls × %d/%d alternating processes", c.N, len(gtw), len(htw)), LoadAvg: loads(gtw, htw)})

	// 5. throughput.
	gT, hT := rep.find("throughput", "go"), rep.find("throughput", "hf")
	if len(gT) > 0 && len(hT) > 0 {
		gr, hr := gT[0].Result, hT[0].Result
		gips, _ := get(gr, "images_per_s")
		hips, _ := get(hr, "images_per_s")
		gn, _ := get(gr, "images")
		hn, _ := get(hr, "images")
		k, _ := get(gr, "labels")
		label, _ := get(gr, "label_s")
		per, _ := get(gr, "per_image_s")
		ref := float64(c.TPImagesRef)
		gref := ref / (label + ref*per)
		basis := fmt.Sprintf("measured: Go %g images, HF %g image(s), × %g labels", gn, hn, k)
		add(Row{ID: "5a", Metric: fmt.Sprintf("throughput, images/s at the sizes run (Go %g, HF %g images × %g labels)", gn, hn, k), Go: gips, HF: hips, Unit: "images/s",
			Ratio: gips / hips, Target: "≥ 3", Pass: check(gips/hips, false, 3), Basis: basis, LoadAvg: loads(gT, hT)})
		b5 := fmt.Sprintf("EXTRAPOLATED to %g images: Go = %g/(label pass %.1fs + %g × %.2fs per image, both measured); HF = its measured per-image rate (the pipeline's cost per image does not depend on the count)", ref, ref, label, ref, per)
		if gn == ref && hn == ref {
			b5 = "measured at the issue's size"
			gref = gips
		}
		add(Row{ID: "5b", Metric: fmt.Sprintf("throughput at %g images × %g labels", ref, k), Go: gref, HF: hips, Unit: "images/s", Ratio: gref / hips,
			Target: "≥ 3", Pass: check(gref/hips, false, 3), Basis: b5, LoadAvg: loads(gT, hT)})
		s["throughput"] = map[string]any{"go_label_pass_s": label, "go_per_image_s": per, "go_batch": gr["batch"],
			"hf_per_image_s": 1 / hips, "go_images": gn, "hf_images": hn, "labels": k}
	}

	// 6. peak RSS.
	g, h = minOf(gpp, field("peak_rss")), minOf(hpp, field("peak_rss"))
	add(Row{ID: "6a", Metric: "peak RSS, preprocessing process (3)", Go: g / 1e6, HF: h / 1e6, Unit: "MB", Ratio: g / h, Target: "≤ 0.7",
		Pass: check(g/h, true, 0.7), Basis: "measured (VmHWM; Go: a binary without libtorch; HF: transformers' image processor imports torch)", LoadAvg: loads(gpp, hpp)})
	g, h = minOf(gT, maxRSS), minOf(hT, maxRSS)
	add(Row{ID: "6b", Metric: "peak RSS, throughput process (5)", Go: g / 1e9, HF: h / 1e9, Unit: "GB", Ratio: g / h, Target: "≤ 0.7",
		Pass: check(g/h, true, 0.7), Basis: "measured (ru_maxrss); per-image state is freed, so it does not grow with the image count", LoadAvg: loads(gT, hT)})
	s["rows"] = rows

	// GFLOP/s.
	if cfg, err := clip.LoadConfig(filepath.Join(c.Model, clip.ConfigFile)); err == nil {
		fl := visionFLOPs(cfg)
		peak, how := peakFLOPs(rep.Machine)
		gf := map[string]any{"flops_per_image": fl, "peak": peak, "peak_formula": how,
			"convention": "2 FLOPs per multiply-add (open_clip's 162 GFLOPs for ViT-L/14 uses the same: 81 G multiply-adds)"}
		if hf, ok := get(firstResult(hs), "tower_flops"); ok {
			gf["torch_flop_counter"] = hf
		}
		put := func(key string, sec float64) {
			if !math.IsNaN(sec) && sec > 0 && peak > 0 {
				gf[key] = map[string]float64{"s_per_image": sec, "gflops": fl / sec / 1e9, "of_peak": fl / sec / peak}
			}
		}
		put("go_tower_batch1", gt)
		put("hf_tower_batch1", ht)
		if len(gT) > 0 {
			ts, _ := get(gT[0].Result, "tower_s")
			n, _ := get(gT[0].Result, "images")
			put(fmt.Sprintf("go_tower_batch%v", gT[0].Result["batch"]), ts/n)
		}
		b16 := rep.find("bf16/tower", "go")
		put("go_fp32_batch1_bf16run", minOf(b16, field("tower_fp32.min")))
		put("go_bf16_batch1", minOf(b16, field("tower.min")))
		put("go_fp32_batchB", minOf(b16, field("tower_batch_per_image_fp32.min")))
		put("go_bf16_batchB", minOf(b16, field("tower_batch_per_image.min")))
		s["gflops"] = gf
	}

	// bf16.
	b16, hb := rep.find("bf16/tower", "go"), rep.find("bf16/tower-bf16", "hf")
	if len(b16) > 0 {
		bf := map[string]any{}
		f1, f2 := minOf(b16, field("tower_fp32.min")), minOf(b16, field("tower.min"))
		bb1, bb2 := minOf(b16, field("tower_batch_per_image_fp32.min")), minOf(b16, field("tower_batch_per_image.min"))
		bf["tower_batch1"] = map[string]float64{"fp32_s": f1, "bf16_s": f2, "speedup": f1 / f2}
		bf["tower_batchB"] = map[string]any{"batch": c.BF16Batch, "fp32_s_per_image": bb1, "bf16_s_per_image": bb2, "speedup": bb1 / bb2}
		bf["hf_bf16_tower_batch1_s"] = minOf(hb, field("tower.min"))
		bf["hf_bf16_tower_batchB_s_per_image"] = minOf(hb, field("tower_batch_per_image.min"))
		r := b16[0].Result
		bf["drift"] = r["drift"]
		bf["fixture_top1"], bf["fixture_top1_fp32"] = r["top1"], r["top1_fp32_goldens"]
		bf["fixture_top1_unchanged"] = fmt.Sprint(r["top1"]) == fmt.Sprint(r["top1_fp32_goldens"])
		if t16 := rep.find("throughput-bf16", "go"); len(t16) > 0 && len(gT) > 0 {
			a, b := gT[0].Result, t16[0].Result
			ia, _ := get(a, "images_per_s")
			ib, _ := get(b, "images_per_s")
			pa, _ := get(a, "per_image_s")
			pb, _ := get(b, "per_image_s")
			la, _ := get(a, "label_s")
			lb, _ := get(b, "label_s")
			t1, _ := a["top1"].([]any)
			t2, _ := b["top1"].([]any)
			same := 0
			for i := range min(len(t1), len(t2)) {
				if t1[i] == t2[i] {
					same++
				}
			}
			bf["throughput"] = map[string]any{"fp32_images_per_s": ia, "bf16_images_per_s": ib, "speedup": ib / ia,
				"per_image_speedup": pa / pb, "label_pass_speedup": la / lb, "top1_same": same, "images": min(len(t1), len(t2))}
		}
		s["bf16"] = bf
	}
	s["notes"] = notes(rep, s)
	rep.Summary = s
}

// notes are the data-driven remarks under the table: sanity checks and, for the
// misses, what the run's own numbers say about the cause.
func notes(rep *Report, s map[string]any) []string {
	var out []string
	gs, hs := firstResult(rep.find("steady", "go")), firstResult(rep.find("steady", "hf"))
	if gs != nil && hs != nil {
		out = append(out, fmt.Sprintf("Sanity: top-1 label of the metric-4 image: Go %q, transformers %q (same: %v).", gs["top1"], hs["top1"], gs["top1"] == hs["top1"]))
	}
	all := func(side string) Stats {
		var xs []float64
		for _, r := range append(rep.find("tower", side), rep.find("steady", side)...) {
			if t, ok := r.Result["tower"].(map[string]any); ok {
				if a, ok := t["all"].([]any); ok {
					for _, v := range a {
						xs = append(xs, num(v))
					}
				}
			}
		}
		return stats(xs)
	}
	if g, h := all("go"), all("hf"); g.N > 0 && h.N > 0 {
		out = append(out, fmt.Sprintf("Image tower, every timed call (metric 4 processes): Go min %s / median %s s (n=%d), transformers min %s / median %s s (n=%d); medians' ratio %.3f.",
			fmtNum(g.Min), fmtNum(g.Median), g.N, fmtNum(h.Min), fmtNum(h.Median), h.N, g.Median/h.Median))
	}
	if gt, ht := firstResult(rep.find("throughput", "go")), firstResult(rep.find("throughput", "hf")); gt != nil && ht != nil {
		a, _ := gt["top1"].([]any)
		b, _ := ht["top1"].([]any)
		same := 0
		for i := range min(len(a), len(b)) {
			if a[i] == b[i] {
				same++
			}
		}
		out = append(out, fmt.Sprintf("Sanity: metric-5 top-1 labels, Go vs transformers on the images both ran: %d of %d the same.", same, min(len(a), len(b))))
	}
	if l := firstResult(rep.find("load/safetensors", "go")); l != nil {
		in, tot := num(l["in_place"]), num(l["tensors"])
		if in < tot {
			c := firstResult(rep.find("load/converted", "go"))
			a64, a4, n := safetensorsAlignment(filepath.Join(rep.Config.Model, clip.SafetensorsFile))
			out = append(out, fmt.Sprintf("Load of model.safetensors: Go used %v of %v tensors in place and copied the rest: clip uses a mapped tensor in place when it is aligned for its element type "+
				"(of this file's %d tensors, %d are 64-byte aligned, %d 4-byte aligned, what float32 needs). The converted file: %v of %v in place. "+
				"transformers memory-maps the file and copies nothing.", in, tot, n, a64, a4, num(c["in_place"]), num(c["tensors"])))
		}
	}
	if p := firstResult(rep.find("preprocess", "go")); p != nil {
		h := firstResult(rep.find("preprocess", "hf"))
		d, t := num(getAny(p, "decode.min")), num(getAny(p, "preprocess.min"))
		out = append(out, fmt.Sprintf("Preprocessing: a full JPEG decode (libjpeg-turbo, full resolution as Pillow does; row 3a) takes %.0f%% of Go's whole single-thread time and is %.2f of transformers' whole preprocessing. "+
			"Go's preprocessing decodes only the columns the centre crop's resize reads (plus a margin; entropy decoding still reads every block, so errors are a full decode's) and resizes with AVX2 where the CPU has it; both are bit-identical to Pillow (preprocess tests).",
			100*d/t, d/num(getAny(h, "preprocess.min"))))
	}
	if st, err := os.Stat(filepath.Join(rep.Config.Model, clip.SafetensorsFile)); err == nil {
		if g := rep.find("throughput", "go"); len(g) > 0 {
			out = append(out, fmt.Sprintf("Peak RSS of the metric-5 processes against the %.2f GB of fp32 weights: Go %.2f GB, transformers %.2f GB (the 1,000-label text pass is one batch on both sides).",
				float64(st.Size())/1e9, float64(g[0].MaxRSS)/1e9, minOf(rep.find("throughput", "hf"), maxRSS)/1e9))
		}
	}
	return out
}

// safetensorsAlignment counts a safetensors file's tensors whose data starts 64-byte
// and 4-byte aligned in the file (so in a page-aligned memory map).
func safetensorsAlignment(path string) (a64, a4, n int) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var size [8]byte
	if _, err := io.ReadFull(f, size[:]); err != nil {
		return
	}
	hl := binary.LittleEndian.Uint64(size[:])
	if hl > 100<<20 {
		return
	}
	hdr := make([]byte, hl)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(hdr, &m) != nil {
		return
	}
	for k, v := range m {
		if k == "__metadata__" {
			continue
		}
		var t struct {
			Offsets [2]int64 `json:"data_offsets"`
		}
		if json.Unmarshal(v, &t) != nil {
			continue
		}
		at := 8 + int64(hl) + t.Offsets[0]
		n++
		if at%64 == 0 {
			a64++
		}
		if at%4 == 0 {
			a4++
		}
	}
	return
}

func getAny(m map[string]any, path string) any {
	v, ok := get(m, path)
	if !ok {
		return math.NaN()
	}
	return v
}

// sanitize turns NaN (a figure that was not measured) into null, which JSON can hold.
func sanitize(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sanitize(e)
		}
		return out
	case map[string]float64:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sanitize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	case []Row:
		out := make([]any, len(x))
		for i, r := range x {
			b, _ := json.Marshal(map[string]any{"id": r.ID, "metric": r.Metric, "go": sanitize(r.Go), "hf": sanitize(r.HF), "unit": r.Unit,
				"ratio": sanitize(r.Ratio), "target": r.Target, "pass": r.Pass, "basis": r.Basis, "loadavg": r.LoadAvg})
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			out[i] = m
		}
		return out
	}
	return v
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[string]float64:
		out := map[string]any{}
		for k, x := range m {
			out[k] = x
		}
		return out, true
	}
	return nil, false
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return math.NaN()
}

func firstResult(rs []*Run) map[string]any {
	if len(rs) == 0 {
		return nil
	}
	return rs[0].Result
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.Abs(v) >= 10 {
		return fmtNum(v)
	}
	return fmt.Sprintf("%.3f", v)
}

func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func writeReport(rep *Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	clean := *rep
	clean.Summary, _ = sanitize(rep.Summary).(map[string]any)
	js, err := json.MarshalIndent(&clean, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "REPORT.md"), []byte(markdown(rep)), 0o644)
}

func markdown(rep *Report) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m, v, c := rep.Machine, rep.Version, rep.Config
	py, _ := v["python side"].(map[string]any)
	w("# Go vs Hugging Face transformers: side-by-side benchmark\n\n")
	w("**%v, %v cores, %.0f GB, %v** · %s · load average %.2f/%.2f/%.2f at start, %.2f/%.2f/%.2f at end · "+
		"Go %v, libtorch %v (Go) · Python %v, torch %v, transformers %v, Pillow %v · git %v · %d threads both sides · %s%s\n\n",
		m["cpu"], m["cores"], m["mem_gb"], strings.Trim(fmt.Sprint(m["flags"]), "[]"), rep.Date,
		rep.LoadBeg[0], rep.LoadBeg[1], rep.LoadBeg[2], rep.LoadEnd[0], rep.LoadEnd[1], rep.LoadEnd[2],
		v["go"], v["libtorch (Go side)"], py["python"], py["torch"], py["transformers"], py["pillow"], v["git"], c.Threads, c.Device, map[bool]string{true: " · BENCH_QUICK", false: ""}[c.Quick])
	w("Model: the full-size random ViT-L/14 of `make fixtures-full` (real config, HF layout, %s), warm page cache. "+
		"Images: %d×%d JPEGs (`gobench images`), labels: the 1,000 ImageNet class names, template \"This is a photo of {}.\". "+
		"Timings are wall clock; \"min\" is the best of the repetitions (the machine may be shared: see the load averages per row). "+
		"Reproduce: `make bench` (see bench/README.md).\n\n", c.Model, imgW, imgH)
	w("## Ratios (Go/HF; throughput: Go images/s ÷ HF images/s)\n\n")
	w("| # | metric | Go | HF | unit | Go/HF | target | ok | basis | load avg |\n|---|---|---|---|---|---|---|---|---|---|\n")
	rows, _ := rep.Summary["rows"].([]Row)
	if rows == nil { // re-read from JSON
		b, _ := json.Marshal(rep.Summary["rows"])
		_ = json.Unmarshal(b, &rows)
	}
	for _, r := range rows {
		ok := ""
		if r.Pass != nil {
			ok = map[bool]string{true: "✅", false: "❌"}[*r.Pass]
		}
		w("| %s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s |\n", r.ID, r.Metric, fmtNum(r.Go), fmtNum(r.HF), r.Unit, fmtRatio(r.Ratio), r.Target, ok, r.Basis, r.LoadAvg)
	}
	switch ns := rep.Summary["notes"].(type) {
	case []string:
		for _, n := range ns {
			w("\n- %s", n)
		}
	case []any:
		for _, n := range ns {
			w("\n- %v", n)
		}
	}
	w("\n")
	if note, ok := rep.Notes["process_go"]; ok {
		w("\nMetric 1, Go side: %s. HF side: `hf_bench.py process` (import transformers, `pipeline(...)`, classify, print).\n", note)
	}
	if t, ok := rep.Summary["throughput"].(map[string]any); ok {
		w("\nMetric 5 components (measured): Go label pass %s s for %v labels (once), then %s s per image (batches of %v, decode overlapped); "+
			"HF %s s per image (1,000-label text forward + image forward, every image).\n",
			fmtNum(t["go_label_pass_s"].(float64)), t["labels"], fmtNum(t["go_per_image_s"].(float64)), t["go_batch"], fmtNum(t["hf_per_image_s"].(float64)))
	}
	if gf, ok := rep.Summary["gflops"].(map[string]any); ok {
		w("\n## Vision tower GFLOP/s\n\n")
		w("FLOPs per image: %.1f G (%v", gf["flops_per_image"].(float64)/1e9, gf["convention"])
		if fc, ok := gf["torch_flop_counter"].(float64); ok {
			w("; torch.utils.flop_counter on transformers' get_image_features: %.1f G", fc/1e9)
		}
		w("). FP32 peak: %.0f GFLOP/s = %v (assumed: 2 AVX-512 FMA units per core, base clock as /proc/cpuinfo reports it under the hypervisor; turbo/AVX-512 licence clocks unknown).\n\n",
			gf["peak"].(float64)/1e9, gf["peak_formula"])
		w("| run | s/image | GFLOP/s | of FP32 peak |\n|---|---|---|---|\n")
		for _, k := range []string{"go_tower_batch1", "hf_tower_batch1", fmt.Sprintf("go_tower_batch%d", c.TPBatch), "go_fp32_batch1_bf16run", "go_bf16_batch1", "go_fp32_batchB", "go_bf16_batchB"} {
			if x, ok := gf[k].(map[string]any); ok {
				w("| %s | %s | %s | %.0f%% |\n", k, fmtNum(x["s_per_image"].(float64)), fmtNum(x["gflops"].(float64)), 100*x["of_peak"].(float64))
			} else if x, ok := gf[k].(map[string]float64); ok {
				w("| %s | %s | %s | %.0f%% |\n", k, fmtNum(x["s_per_image"]), fmtNum(x["gflops"]), 100*x["of_peak"])
			}
		}
	}
	if bf, ok := asMap(rep.Summary["bf16"]); ok {
		w("\n## bfloat16 (CPU: oneDNN on AVX-512 BF16 / AMX; target ≥ 1.6× fp32 throughput, top-1 unchanged)\n\n")
		w("| Go, %s (tower rows: fp32 and bf16 models in one process, timed alternately) | fp32 | bf16 | bf16 speed-up |\n|---|---|---|---|\n", c.Device)
		if t, ok := asMap(bf["tower_batch1"]); ok {
			w("| image tower, batch 1 (s) | %s | %s | **%s×** |\n", fmtNum(num(t["fp32_s"])), fmtNum(num(t["bf16_s"])), fmtNum(num(t["speedup"])))
		}
		if t, ok := asMap(bf["tower_batchB"]); ok {
			w("| image tower, batch %v (s/image) | %s | %s | **%s×** |\n", t["batch"], fmtNum(num(t["fp32_s_per_image"])), fmtNum(num(t["bf16_s_per_image"])), fmtNum(num(t["speedup"])))
		}
		if t, ok := asMap(bf["throughput"]); ok {
			w("| metric 5 workload (%v images × %v labels), images/s | %s | %s | **%s×** (label pass %s×, per image %s×) |\n",
				t["images"], rep.Config.TPLabels, fmtNum(num(t["fp32_images_per_s"])), fmtNum(num(t["bf16_images_per_s"])), fmtNum(num(t["speedup"])),
				fmtNum(num(t["label_pass_speedup"])), fmtNum(num(t["per_image_speedup"])))
			w("\nTop-1 over the metric-5 images, bf16 vs fp32: %v of %v the same.", t["top1_same"], t["images"])
		}
		w(" Top-1 on the fixture's 3 images × 5 labels (`make fixtures-full` goldens): bf16 %v, fp32 goldens %v: unchanged = **%v**.",
			bf["fixture_top1"], bf["fixture_top1_fp32"], bf["fixture_top1_unchanged"])
		if h := num(bf["hf_bf16_tower_batch1_s"]); !math.IsNaN(h) {
			w(" transformers in bf16 (`torch_dtype=torch.bfloat16`): image tower %s s at batch 1, %s s/image at batch %v.",
				fmtNum(h), fmtNum(num(bf["hf_bf16_tower_batchB_s_per_image"])), rep.Config.BF16Batch)
		}
		w("\n\nDrift of Go's bf16 outputs (the fixture's inputs; `max |Δ|`, and values bit-identical):\n\n| output | vs fp32 goldens | vs transformers bf16 |\n|---|---|---|\n")
		if d, ok := asMap(bf["drift"]); ok {
			for _, name := range []string{"logits_per_image", "image_embeds", "text_embeds"} {
				a, _ := asMap(d[name+" vs fp32 goldens"])
				b, _ := asMap(d[name+" vs transformers bf16"])
				w("| %s | %.3g (%v/%v identical) | %.3g (%v/%v identical) |\n", name, num(a["max_abs"]), a["equal"], a["n"], num(b["max_abs"]), b["equal"], b["n"])
			}
		}
	}
	w("\n## GPU recipe (not run here)\n\nSee bench/README.md: `make bench BENCH_DEVICE=cuda BENCH_DTYPE=fp16` (or bf16).\n")
	return b.String()
}
