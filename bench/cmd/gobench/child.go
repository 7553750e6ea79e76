package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// modelFlags are the flags every model-loading child shares.
type modelFlags struct {
	model, dtype, device string
	threads              int
	tf32                 string
	attention, parity    string
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.model, "model", "", "model directory or weights file")
	fs.StringVar(&m.dtype, "dtype", "fp32", "fp32, bf16 or fp16")
	fs.StringVar(&m.device, "device", "cpu", "cpu or cuda[:N]")
	fs.IntVar(&m.threads, "threads", runtime.NumCPU(), "libtorch intra-op threads")
	fs.StringVar(&m.tf32, "tf32", "default", "CUDA float32: default (PyTorch's: matmul off, conv on), off or on")
	fs.StringVar(&m.attention, "attention", "", "eager or sdpa (default: the parity profile's)")
	fs.StringVar(&m.parity, "parity", "", "4.54 or 5 (default: the linked libtorch's, as zeroshot classify)")
}

// load is clip.Load of -model with the flags' options.
func (m *modelFlags) load() (*clip.Model, error) {
	opts, err := m.options()
	if err != nil {
		return nil, err
	}
	return clip.Load(m.model, opts)
}

// open is zeroshot.Open of -model with the flags' options and parity profile.
func (m *modelFlags) open() (*zeroshot.Classifier, error) {
	opts, err := m.zeroshotOptions()
	if err != nil {
		return nil, err
	}
	return zeroshot.Open(m.model, opts)
}

// zeroshotOptions is options() with the parity profile, for the pipeline children.
func (m *modelFlags) zeroshotOptions() (zeroshot.Options, error) {
	opts, err := m.options()
	if err != nil {
		return zeroshot.Options{}, err
	}
	p, err := zeroshot.ParseParity(m.parity)
	if err != nil {
		return zeroshot.Options{}, err
	}
	return zeroshot.Options{Model: opts, Parity: p}, nil
}

func (m *modelFlags) options() (clip.Options, error) {
	dt, err := clip.ParseDType(m.dtype)
	if err != nil {
		return clip.Options{}, err
	}
	dev, err := clip.ParseDevice(m.device)
	if err != nil {
		return clip.Options{}, err
	}
	switch m.tf32 {
	case "default":
	case "off":
		torch.SetTF32(false, false)
	case "on":
		torch.SetTF32(true, true)
	default:
		return clip.Options{}, fmt.Errorf("-tf32 %q: want default, off or on", m.tf32)
	}
	attn, err := clip.ParseAttnImplementation(m.attention)
	if err != nil {
		return clip.Options{}, err
	}
	return clip.Options{DType: dt, Device: dev, Threads: m.threads, Attention: attn}, nil
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }

// synthPixels is a deterministic pixel_values batch (no zeros, no denormals):
// sin(0.001·i), the same values hf_bench.py makes.
func synthPixels(v clip.VisionConfig, batch int) clip.Pixels {
	n := batch * v.NumChannels * v.ImageSize * v.ImageSize
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(math.Sin(0.001 * float64(i)))
	}
	return clip.Pixels{Data: d, Batch: batch, Channels: v.NumChannels, Height: v.ImageSize, Width: v.ImageSize}
}

// repeatPixels stacks px (one image) b times.
func repeatPixels(px clip.Pixels, b int) clip.Pixels {
	out := px
	out.Batch = b
	out.Data = make([]float32, 0, len(px.Data)*b)
	for i := 0; i < b; i++ {
		out.Data = append(out.Data, px.Data...)
	}
	return out
}

// childTower: the image tower alone on synthetic pixels (hf_bench.py bf16 with
// --batch 0 is the Python side), for A/B runs: one warm-up, then n timed calls.
func childTower(args []string) error {
	fs := flag.NewFlagSet("tower", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	n := fs.Int("n", 5, "timed calls")
	batch := fs.Int("batch", 1, "images per call")
	batches := fs.String("batches", "", "several batch sizes in this process, comma-separated (e.g. 1,8,64); overrides -batch")
	graphs := fs.Bool("graph", false, "with -batches on CUDA: also capture each batch size in a CUDA graph, check its output against the uncaptured forward bit for bit, and time its replays")
	fs.Parse(args)
	m, err := mf.load()
	if err != nil {
		return err
	}
	defer m.Close()
	if *batches != "" {
		return towerBatches(m, *batches, *n, *graphs)
	}
	px := synthPixels(m.Config().Vision, *batch)
	t := time.Now()
	if _, err := m.GetImageFeatures(px); err != nil {
		return err
	}
	first := since(t)
	var lat []float64
	for i := 0; i < *n; i++ {
		t := time.Now()
		if _, err := m.GetImageFeatures(px); err != nil {
			return err
		}
		lat = append(lat, since(t)/float64(*batch))
	}
	return emit(map[string]any{"first_s": first, "tower": stats(lat), "in_place": m.Info().InPlace,
		"attn_implementation": m.Attention().String(), "peak_rss": procStatus("VmHWM")})
}

// towerBatches times GetImageFeatures at each batch size (one warm-up call each) in
// this process: for a GPU, where a fresh process per figure costs a CUDA context.
func towerBatches(m *clip.Model, list string, n int, graphs bool) error {
	res := map[string]any{}
	for _, s := range strings.Split(list, ",") {
		b, err := strconv.Atoi(s)
		if err != nil || b < 1 {
			return fmt.Errorf("-batches: %q is not a batch size", s)
		}
		px := synthPixels(m.Config().Vision, b)
		t := time.Now()
		if _, err := m.GetImageFeatures(px); err != nil {
			return fmt.Errorf("batch %d: %w", b, err)
		}
		first := since(t)
		reps := n
		if reps < 1 {
			reps = max(3, min(20, 64/b))
		}
		var lat []float64
		for i := 0; i < reps; i++ {
			t := time.Now()
			if _, err := m.GetImageFeatures(px); err != nil {
				return err
			}
			lat = append(lat, since(t)/float64(b))
		}
		r := map[string]any{"first_s": first, "tower": stats(lat)}
		if graphs {
			if err := towerGraph(m, px, reps, r); err != nil {
				r["graph_error"] = err.Error()
			}
		}
		res[s] = r
	}
	res["peak_rss"] = procStatus("VmHWM")
	return emit(res)
}

// towerGraph captures the tower at px's batch size in a CUDA graph, compares one replay
// with the uncaptured forward (bit for bit, and max |Δ|), and times reps replays
// (upload, replay and download included, as the uncaptured figure).
func towerGraph(m *clip.Model, px clip.Pixels, reps int, r map[string]any) error {
	t := time.Now()
	ig, err := m.CaptureImages(px.Batch, false)
	if err != nil {
		return err
	}
	defer ig.Close()
	r["graph_capture_s"] = since(t)
	want, err := m.GetImageFeatures(px)
	if err != nil {
		return err
	}
	got, err := ig.Run(px)
	if err != nil {
		return err
	}
	same, maxd := compareBits(want.Data, got.Data)
	r["graph_identical"] = same == len(want.Data)
	r["graph_same_values"], r["graph_values"], r["graph_max_abs_diff"] = same, len(want.Data), maxd
	var lat []float64
	for i := 0; i < reps; i++ {
		t := time.Now()
		if _, err := ig.Run(px); err != nil {
			return err
		}
		lat = append(lat, since(t)/float64(px.Batch))
	}
	r["graph"] = stats(lat)
	return nil
}

// compareBits counts the bit-identical values of two equal-length slices and their
// largest absolute difference.
func compareBits(want, got []float32) (same int, maxAbs float64) {
	for i, w := range want {
		if math.Float32bits(w) == math.Float32bits(got[i]) {
			same++
		}
		maxAbs = math.Max(maxAbs, math.Abs(float64(w)-float64(got[i])))
	}
	return same, maxAbs
}

// childLoad: clip.Load (and optionally the first image forward, which faults in the
// pages of a memory-mapped model).
func childLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	forward := fs.Bool("forward", true, "time one image forward after the load")
	fs.Parse(args)
	opts, err := mf.options()
	if err != nil {
		return err
	}
	rss0 := procStatus("VmRSS")
	t0 := time.Now()
	m, err := clip.Load(mf.model, opts)
	if err != nil {
		return err
	}
	load := since(t0)
	out := map[string]any{"load_s": load, "rss_before_load": rss0, "peak_rss_load": procStatus("VmHWM"),
		"format": m.Info().Format, "in_place": m.Info().InPlace, "tensors": m.Info().Tensors}
	if *forward {
		px := synthPixels(m.Config().Vision, 1)
		t1 := time.Now()
		if _, err := m.GetImageFeatures(px); err != nil {
			return err
		}
		out["first_forward_s"] = since(t1)
	}
	out["peak_rss"] = procStatus("VmHWM")
	return emit(out)
}

func splitLabels(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// readLabels reads one label per line.
func readLabels(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

func toTokens(b *tokenize.Batch) clip.Tokens {
	t := clip.Tokens{Batch: len(b.IDs)}
	if t.Batch > 0 {
		t.Len = len(b.IDs[0])
	}
	for i, row := range b.IDs {
		for j, id := range row {
			t.InputIDs = append(t.InputIDs, int64(id))
			t.AttentionMask = append(t.AttentionMask, int64(b.AttentionMask[i][j]))
		}
	}
	return t
}

func pixelsOf(p zeroshot.ImageProcessor, data []float32, n int) clip.Pixels {
	cfg := p.Config()
	w, h := cfg.CropWidth, cfg.CropHeight
	if !cfg.DoCenterCrop { // square outputs only (CLIP's processors all crop)
		w = int(math.Sqrt(float64(len(data) / (3 * n))))
		h = w
	}
	return clip.Pixels{Data: data, Batch: n, Channels: 3, Height: h, Width: w}
}

// childSteady: steady-state latency of one image with K labels (the pipeline's work,
// with the label cache as the library does it, and without it as the pipeline does),
// and of the image tower alone.
func childSteady(args []string) error {
	fs := flag.NewFlagSet("steady", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	image := fs.String("image", "", "image file")
	labels := fs.String("labels", "cat|dog|fox|owl", "labels, |-separated")
	n := fs.Int("n", 3, "timed repetitions of each")
	fs.Parse(args)
	zopts, err := mf.zeroshotOptions()
	if err != nil {
		return err
	}
	c, err := zeroshot.Open(mf.model, zopts)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := context.Background()
	req := zeroshot.Request{Labels: splitLabels(*labels)}
	paths := []string{*image}

	t0 := time.Now()
	res, err := c.ClassifyFiles(ctx, paths, req)
	if err != nil {
		return err
	}
	first := since(t0)
	// The pipeline's own work, labels re-encoded every call: decode + preprocess,
	// tokenize, CLIPModel.forward, softmax.
	texts := make([]string, len(req.Labels))
	for i, l := range req.Labels {
		texts[i], _ = zeroshot.Format(zeroshot.DefaultTemplate, l)
	}
	uncachedCall := func() error {
		data, err := c.Processor.PreprocessFiles(paths, c.Profile().PipelineOptions())
		if err != nil {
			return err
		}
		b, err := c.Tokenizer.EncodeBatch(texts, tokenize.Options{})
		if err != nil {
			return err
		}
		out, err := c.Model.Forward(pixelsOf(c.Processor, data, 1), toTokens(b))
		if err != nil {
			return err
		}
		_, err = zeroshot.Softmax(out.LogitsPerImage)
		return err
	}
	data, err := c.Processor.PreprocessFiles(paths, c.Profile().PipelineOptions())
	if err != nil {
		return err
	}
	px := pixelsOf(c.Processor, data, 1)

	// The three figures alternate call by call, so a load change hits all of them.
	var cached, uncached, tower []float64
	timed := func(dst *[]float64, f func() error) error {
		t := time.Now()
		err := f()
		*dst = append(*dst, since(t))
		return err
	}
	for i := 0; i < *n; i++ {
		if err := timed(&cached, func() error { _, err := c.ClassifyFiles(ctx, paths, req); return err }); err != nil {
			return err
		}
		if err := timed(&uncached, uncachedCall); err != nil {
			return err
		}
		if err := timed(&tower, func() error { _, err := c.Model.GetImageFeatures(px); return err }); err != nil {
			return err
		}
	}
	return emit(map[string]any{"first_s": first, "classify": stats(cached), "classify_uncached": stats(uncached),
		"tower": stats(tower), "top1": res[0][0].Label, "peak_rss": procStatus("VmHWM")})
}

// childThroughput: N images × K labels through the library (labels encoded once),
// in batches of B images; decode+preprocess of a batch overlaps the previous batch's
// image forward, as a directory classifier does.
func childThroughput(args []string) error {
	fs := flag.NewFlagSet("throughput", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	var in inputFlags
	in.register(fs)
	batch := fs.Int("batch", 8, "images per image forward")
	fs.Parse(args)
	zopts, err := mf.zeroshotOptions()
	if err != nil {
		return err
	}
	paths, labels, err := in.read()
	if err != nil {
		return err
	}
	tl := time.Now()
	c, err := zeroshot.Open(mf.model, zopts)
	if err != nil {
		return err
	}
	defer c.Close()
	loadS := since(tl)
	req := zeroshot.Request{Labels: labels}

	t0 := time.Now()
	lab, err := c.LabelEmbeddings(req)
	if err != nil {
		return err
	}
	labelS := since(t0)

	type pre struct {
		px  []float32
		n   int
		err error
		s   float64
	}
	batches := make(chan pre, 1)
	go func() {
		defer close(batches)
		for i := 0; i < len(paths); i += *batch {
			part := paths[i:min(i+*batch, len(paths))]
			t := time.Now()
			d, err := c.Processor.PreprocessFiles(part, c.Profile().PipelineOptions())
			batches <- pre{d, len(part), err, since(t)}
			if err != nil {
				return
			}
		}
	}()
	t1 := time.Now()
	var towerS, preS float64
	var top1 []string
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		preS += b.s
		t := time.Now()
		emb, err := c.Model.ImageEmbeds(pixelsOf(c.Processor, b.px, b.n))
		if err != nil {
			return err
		}
		towerS += since(t)
		res, err := c.Score(emb, lab, 1)
		if err != nil {
			return err
		}
		for _, r := range res {
			top1 = append(top1, r[0].Label)
		}
	}
	imagesS := since(t1)
	total := since(t0)
	return emit(map[string]any{"images": len(paths), "labels": len(labels), "batch": *batch, "load_s": loadS,
		"label_s": labelS, "images_s": imagesS, "total_s": total, "tower_s": towerS, "preprocess_s": preS,
		"images_per_s": float64(len(paths)) / total, "per_image_s": imagesS / float64(len(paths)),
		"top1": top1, "peak_rss": procStatus("VmHWM")})
}

// childProcess is what `zeroshot classify` does, for when the CLI lacks it: open the
// model directory, classify one image file against labels, print the results.
func childProcess(args []string) error {
	fs := flag.NewFlagSet("process", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	labels := fs.String("labels", "cat|dog|fox|owl", "labels, |-separated")
	fs.Parse(args)
	zopts, err := mf.zeroshotOptions()
	if err != nil {
		return err
	}
	c, err := zeroshot.Open(mf.model, zopts)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.ClassifyFiles(context.Background(), fs.Args(), zeroshot.Request{Labels: splitLabels(*labels)})
	if err != nil {
		return err
	}
	for _, r := range res[0] {
		fmt.Printf("%.4f %s\n", r.Score, r.Label)
	}
	return nil
}

// childBF16: the image tower in float32 (-ref) and in -dtype (bfloat16; -model), both
// loaded in this process and timed alternately (so that a change in the machine's
// load hits both alike): latency at batch 1, throughput at batch B. Then the drift
// of the -dtype model on the full-size fixture's goldens (3 images × 5 labels, make
// fixtures-full): max |Δ| against the float32 goldens and against transformers' own
// bfloat16 outputs, and whether every image's top-1 label holds.
func childBF16(args []string) error {
	fs := flag.NewFlagSet("bf16", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	refPath := fs.String("ref", "", "the float32 model to compare with")
	gdir := fs.String("golden", "", "golden directory of make fixtures-full")
	n := fs.Int("n", 3, "timed repetitions")
	batch := fs.Int("batch", 4, "images per forward for the throughput figure (0: skip)")
	fs.Parse(args)
	opts, err := mf.options()
	if err != nil {
		return err
	}
	read := func(sub, name string) (*golden.Array, error) {
		return golden.Read(filepath.Join(*gdir, sub, name+".npy"))
	}
	pxa, err := read("", "pixel_values")
	if err != nil {
		return err
	}
	ids, err := read("", "input_ids")
	if err != nil {
		return err
	}
	mask, err := read("", "attention_mask")
	if err != nil {
		return err
	}
	px := clip.Pixels{Data: pxa.F32, Batch: pxa.Shape[0], Channels: pxa.Shape[1], Height: pxa.Shape[2], Width: pxa.Shape[3]}
	tok := clip.Tokens{InputIDs: ids.I64, AttentionMask: mask.I64, Batch: ids.Shape[0], Len: ids.Shape[1]}
	one := px
	one.Batch, one.Data = 1, px.Data[:len(px.Data)/px.Batch]

	refOpts := opts
	refOpts.DType = clip.Float32
	ref, err := clip.Load(*refPath, refOpts)
	if err != nil {
		return err
	}
	defer ref.Close()
	m, err := clip.Load(mf.model, opts)
	if err != nil {
		return err
	}
	defer m.Close()
	models := []*clip.Model{ref, m}
	timeOne := func(mm *clip.Model, p clip.Pixels) (float64, error) {
		t := time.Now()
		_, err := mm.GetImageFeatures(p)
		return since(t) / float64(p.Batch), err
	}
	out := map[string]any{"dtype": mf.dtype}
	// Warm-up (oneDNN makes its bf16 primitives at the first call of a shape).
	var pb clip.Pixels
	if *batch > 0 {
		pb = repeatPixels(one, *batch)
	}
	for _, mm := range models {
		if _, err := timeOne(mm, one); err != nil {
			return err
		}
		if *batch > 0 {
			if _, err := timeOne(mm, pb); err != nil {
				return err
			}
		}
	}
	lat := make([][]float64, 2)
	for i := 0; i < *n; i++ {
		for j, mm := range models {
			s, err := timeOne(mm, one)
			if err != nil {
				return err
			}
			lat[j] = append(lat[j], s)
		}
	}
	out["tower_fp32"], out["tower"] = stats(lat[0]), stats(lat[1])
	if *batch > 0 {
		bt := make([][]float64, 2)
		for i := 0; i < max(1, *n-1); i++ {
			for j, mm := range models {
				s, err := timeOne(mm, pb)
				if err != nil {
					return err
				}
				bt[j] = append(bt[j], s)
			}
		}
		out["batch"] = *batch
		out["tower_batch_per_image_fp32"], out["tower_batch_per_image"] = stats(bt[0]), stats(bt[1])
	}
	fw, err := m.Forward(px, tok)
	if err != nil {
		return err
	}
	got := map[string]clip.Matrix{"image_embeds": fw.ImageEmbeds, "text_embeds": fw.TextEmbeds, "logits_per_image": fw.LogitsPerImage}
	drift := map[string]any{}
	// The outputs transformers computed with the model's attention: eager in gdir, SDPA in
	// gdir/sdpa (full.py --sdpa); the inputs are shared.
	outDir := ""
	if m.Attention() == clip.AttnSDPA {
		outDir = "sdpa"
		if _, err := os.Stat(filepath.Join(*gdir, outDir)); err != nil {
			return fmt.Errorf("bf16: %s has no SDPA goldens (make parity-full makes them): %w", *gdir, err)
		}
	}
	out["attention"] = m.Attention().String()
	for name, g := range got {
		for _, sub := range []string{"", "bf16"} {
			w, err := read(filepath.Join(outDir, sub), name)
			if err != nil {
				continue
			}
			r, err := golden.Compare(g.Data, w.F32)
			if err != nil {
				return err
			}
			key := name + " vs fp32 goldens"
			if sub != "" {
				key = name + " vs transformers bf16"
			}
			drift[key] = map[string]any{"max_abs": r.MaxAbs, "max_rel": r.MaxRel, "equal": r.Equal, "n": r.N}
		}
	}
	out["drift"] = drift
	want, err := read(outDir, "logits_per_image")
	if err != nil {
		return err
	}
	cols := fw.LogitsPerImage.Cols
	out["top1"] = golden.ArgmaxRows(fw.LogitsPerImage.Data, cols)
	out["top1_fp32_goldens"] = golden.ArgmaxRows(want.F32, cols)
	out["peak_rss"] = procStatus("VmHWM")
	return emit(out)
}
