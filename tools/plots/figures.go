package main

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// figure is one SVG file of docs/images: its name, its size in centimetres and the plots
// drawn side by side in it.
type figure struct {
	file          string
	width, height float64
	plots         []*plot.Plot
}

// figures builds every figure from the reports.
func figures(rs *reports) ([]figure, error) {
	var out []figure
	for _, f := range []func(*reports) (figure, error){gpuTower, cpuTower, classify, cpuFactors, cpuRuns} {
		fig, err := f(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, fig)
	}
	return out, nil
}

// gpuTower: the image tower's images/s against the batch size on the GPU, Go and
// transformers in fp16 and bf16 (the GPU kit's tower step).
func gpuTower(rs *reports) (figure, error) {
	g := rs.gpu
	ss := map[string]*series{}
	var order []string
	add := func(name string, c colorPair, dtype string, batch int, v float64) {
		key := name + " " + dtype
		s, ok := ss[key]
		if !ok {
			s = &series{name: key, color: c.of(dtype), dashed: dtype != "fp16", ring: name != "Go"}
			ss[key] = s
			order = append(order, key)
		}
		s.xys = append(s.xys, plotter.XY{X: float64(batch), Y: v})
	}
	for _, t := range g.Steps.Tower {
		if t.Go.ImagesPerSec <= 0 || t.HF.ImagesPerSec <= 0 {
			return figure{}, fmt.Errorf("%s: tower %s batch %d: no images/s", g.path, t.DType, t.Batch)
		}
		add("Go", goColors, t.DType, t.Batch, t.Go.ImagesPerSec)
		add("transformers", hfColors, t.DType, t.Batch, t.HF.ImagesPerSec)
	}
	var list []series
	for _, k := range order {
		list = append(list, *ss[k])
	}
	p, err := lineChart(fmt.Sprintf("Image tower, ViT-L/14, on an %s", g.Steps.Env.GPU), "batch size", "images/s (log scale)", true, list)
	if err != nil {
		return figure{}, fmt.Errorf("%s: %w", g.path, err)
	}
	return figure{file: "gpu-tower-batch.svg", width: 16, height: 10, plots: []*plot.Plot{p}}, nil
}

// cpuTower: the image tower's images/s against the batch size on the CPU of
// bench/report.json, fp32 and bf16 (the rows of its GFLOP/s and bfloat16 tables).
func cpuTower(rs *reports) (figure, error) {
	r := rs.cpu
	b := float64(r.Config.BF16Batch)
	ips := func(key string) (float64, error) {
		s, err := r.secondsPerImage(key)
		return 1 / s, err
	}
	var errs []error
	point := func(key string, x float64) plotter.XY {
		v, err := ips(key)
		errs = append(errs, err)
		return plotter.XY{X: x, Y: v}
	}
	bf := r.Summary.BF16
	if bf.HFTowerBatch1 <= 0 || bf.HFTowerBatchB <= 0 || b < 2 {
		return figure{}, fmt.Errorf("%s: summary.bf16 lacks transformers' bf16 tower times or config.bf16_batch", r.path)
	}
	ss := []series{
		{name: "Go fp32", color: goColor, xys: plotter.XYs{point("go_tower_batch1", 1), point("go_fp32_batchB", b), point("go_tower_batch8", 8)}},
		{name: "transformers fp32", color: hfColor, ring: true, xys: plotter.XYs{point("hf_tower_batch1", 1)}},
		{name: "Go bf16", color: goColor2, dashed: true, xys: plotter.XYs{point("go_bf16_batch1", 1), point("go_bf16_batchB", b)}},
		{name: "transformers bf16", color: hfColor2, dashed: true, ring: true, xys: plotter.XYs{{X: 1, Y: 1 / bf.HFTowerBatch1}, {X: b, Y: 1 / bf.HFTowerBatchB}}},
	}
	for _, err := range errs {
		if err != nil {
			return figure{}, err
		}
	}
	title := fmt.Sprintf("Image tower, ViT-L/14, on %d CPU threads (%s)", r.Config.Threads, r.Machine.CPU)
	p, err := lineChart(title, "batch size", "images/s", false, ss)
	if err != nil {
		return figure{}, fmt.Errorf("%s: %w", r.path, err)
	}
	return figure{file: "cpu-tower-batch.svg", width: 16, height: 10, plots: []*plot.Plot{p}}, nil
}

// classify: end-to-end classification, images × 1,000 labels, images/s: the CPU report's
// throughput (metric 5a, and bf16) and the GPU kit's classify step, side by side.
func classify(rs *reports) (figure, error) {
	r, g := rs.cpu, rs.gpu
	goV, hfV, _, ok := r.row("5a")
	if !ok {
		return figure{}, fmt.Errorf("%s: no measured row 5a", r.path)
	}
	bf := r.Summary.BF16.Throughput.BF16
	cpu, err := barChart(fmt.Sprintf("CPU: %d threads (%s), %d labels", r.Config.Threads, r.Machine.CPU, r.Config.TPLabels), "images/s", []bar{
		{"Go fp32", goV, goColor}, {"Go bf16", bf, goColor2}, {"transformers fp32", hfV, hfColor},
	})
	if err != nil {
		return figure{}, fmt.Errorf("%s: %w", r.path, err)
	}
	c := g.Steps.Classify
	if c.Go.ImagesPerSec <= 0 || c.HF.ImagesPerSec <= 0 {
		return figure{}, fmt.Errorf("%s: steps.classify: no images/s", g.path)
	}
	gpu, err := barChart(fmt.Sprintf("GPU: %s, %d labels", g.Steps.Env.GPU, c.Go.Labels), "images/s", []bar{
		{"Go " + c.DType, c.Go.ImagesPerSec, goColor}, {"transformers " + c.DType, c.HF.ImagesPerSec, hfColor},
	})
	if err != nil {
		return figure{}, fmt.Errorf("%s: %w", g.path, err)
	}
	return figure{file: "classify-throughput.svg", width: 18, height: 9, plots: []*plot.Plot{cpu, gpu}}, nil
}

// The rows of the factor charts: the summary row ids of a CPU report, each named, and
// whether more is better (throughput) or less (times, memory).
var factorRows = []struct {
	id, name string
	more     bool
}{
	{"1", "process: load + 1 image × 4 labels", false},
	{"2a", "model load (model.safetensors)", false},
	{"3", "preprocess a 2560×1600 JPEG", false},
	{"4a", "steady latency, 1 image × 4 labels", false},
	{"4c", "image tower alone, batch 1", false},
	{"5b", "throughput, 64 images × 1,000 labels", true},
	{"6a", "peak RSS, preprocessing", false},
	{"6b", "peak RSS, throughput run", false},
}

// advantage is how many times better Go is on a row: transformers' time (or memory)
// over Go's, Go's throughput over transformers'.
func advantage(r *cpuReport, id string, more bool) (float64, bool) {
	goV, hfV, _, ok := r.row(id)
	if !ok {
		return 0, false
	}
	if more {
		return goV / hfV, true
	}
	return hfV / goV, true
}

// estimate is the note of an extrapolated value (the report's basis says how).
func estimate(r *cpuReport, id string) string {
	if r.extrapolated(id) {
		return "(extrapolated)"
	}
	return ""
}

// cpuFactors: Go against transformers on the CPU report's main rows, as factors.
func cpuFactors(rs *reports) (figure, error) {
	r := rs.cpu
	var names []string
	var fs []factor
	for _, row := range factorRows {
		v, ok := advantage(r, row.id, row.more)
		if !ok {
			return figure{}, fmt.Errorf("%s: no measured row %s", r.path, row.id)
		}
		names = append(names, row.name)
		fs = append(fs, factor{name: row.name, value: v, color: goColor, note: estimate(r, row.id)})
	}
	title := fmt.Sprintf("Go against transformers, %d CPU threads (%s), ViT-L/14 fp32", r.Config.Threads, r.Machine.CPU)
	p, err := factorChart(title, "times better than transformers (faster, or less memory; log scale)", names, fs, nil)
	if err != nil {
		return figure{}, fmt.Errorf("%s: %w", r.path, err)
	}
	return figure{file: "cpu-vs-transformers.svg", width: 18, height: 10, plots: []*plot.Plot{p}}, nil
}

// cpuRuns: the same factors in every full CPU run committed (bench/runs and the current
// report, oldest first), to show how much they move between machines and libtorch
// releases.
func cpuRuns(rs *reports) (figure, error) {
	var names []string
	for _, row := range factorRows {
		names = append(names, row.name)
	}
	var fs []factor
	var legend []series
	n := len(rs.cpuRuns)
	for i, r := range rs.cpuRuns {
		c := runColors[i%len(runColors)]
		if i == n-1 {
			c = goColor // the current report
		}
		dy := 0.25 - 0.5*float64(i)/float64(max(n-1, 1))
		for _, row := range factorRows {
			if v, ok := advantage(r, row.id, row.more); ok {
				fs = append(fs, factor{name: row.name, value: v, color: c, dy: dy, note: estimate(r, row.id)})
			}
		}
		legend = append(legend, series{name: runName(r), color: c})
	}
	p, err := factorChart("Go against transformers in each committed CPU run", "times better than transformers (log scale)", names, fs, legend)
	if err != nil {
		return figure{}, err
	}
	return figure{file: "cpu-runs.svg", width: 18, height: 12, plots: []*plot.Plot{p}}, nil
}

// runColors are the earlier runs' colors.
var runColors = []color.Color{color.RGBA{R: 0xe8, G: 0x71, B: 0x0a, A: 0xff}, color.RGBA{R: 0x9a, G: 0x9a, B: 0x9a, A: 0xff}}

// runName names a run in a legend: its date, CPU and libtorch.
func runName(r *cpuReport) string {
	date, clock, _ := strings.Cut(r.Date, "T")
	if len(clock) >= 5 {
		date += " " + clock[:5]
	}
	cpu := strings.NewReplacer("(R)", "", "(TM)", "", " Processor", "", " CPU", "").Replace(r.Machine.CPU)
	return fmt.Sprintf("%s, %s, libtorch %s", date, cpu, r.Versions.Libtorch)
}

// colorPair is a side's two shades: a for fp32 or fp16, b for bf16.
type colorPair struct{ a, b color.Color }

func (c colorPair) of(dtype string) color.Color {
	if dtype == "bf16" {
		return c.b
	}
	return c.a
}

var (
	goColors = colorPair{goColor, goColor2}
	hfColors = colorPair{hfColor, hfColor2}
)
