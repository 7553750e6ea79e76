package main

import (
	"flag"
	"math"
	"syscall"
	"time"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// childBatching: what batching buys on this device, and what it costs in bits. One
// model, two classifiers over it (zeroshot.BatchingPerImage and BatchingBatched); each
// round scores the same -batch distinct images (synthetic pixel_values) against
// -labels with both, in alternating order, so that the machine's load hits both alike.
// Times are per image (tower + logits + softmax; no decoding): wall time, and the
// process's CPU time (all threads), which a shared machine's load disturbs less. Then
// the scores of the batch under each batching against each image scored alone.
func childBatching(args []string) error {
	fs := flag.NewFlagSet("batching", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	batch := fs.Int("batch", 8, "images per batch")
	rounds := fs.Int("rounds", 3, "timed rounds (each: both batchings once)")
	labels := fs.String("labels", "cat|dog|fox|owl", "labels separated by |")
	fs.Parse(args)
	opts, err := mf.zeroshotOptions()
	if err != nil {
		return err
	}
	per, err := zeroshot.Open(mf.model, withBatching(opts, zeroshot.BatchingPerImage))
	if err != nil {
		return err
	}
	defer per.Close()
	batched := zeroshot.New(per.Model, per.Processor, per.Tokenizer, withBatching(opts, zeroshot.BatchingBatched))
	req := zeroshot.Request{Labels: splitLabels(*labels)}
	lab, err := per.LabelEmbeddings(req)
	if err != nil {
		return err
	}
	px := distinctPixels(per.Model.Config().Vision, *batch)
	score := func(c *zeroshot.Classifier, px clip.Pixels) ([][]zeroshot.Result, error) {
		emb, err := c.ImageEmbeds(px)
		if err != nil {
			return nil, err
		}
		return c.Score(emb, lab, 0)
	}
	// Warm-up: each path once.
	for _, c := range []*zeroshot.Classifier{per, batched} {
		if _, err := score(c, px); err != nil {
			return err
		}
	}
	var tPer, tBatched, cPer, cBatched []float64
	var resPer, resBatched [][]zeroshot.Result
	for r := 0; r < *rounds; r++ {
		order := []*zeroshot.Classifier{per, batched}
		if r%2 == 1 {
			order[0], order[1] = batched, per
		}
		for _, c := range order {
			t, cpu := time.Now(), cpuSeconds()
			res, err := score(c, px)
			if err != nil {
				return err
			}
			s, cs := since(t)/float64(*batch), (cpuSeconds()-cpu)/float64(*batch)
			if c == per {
				tPer, cPer, resPer = append(tPer, s), append(cPer, cs), res
			} else {
				tBatched, cBatched, resBatched = append(tBatched, s), append(cBatched, cs), res
			}
		}
	}
	// Each image alone (a batch of one: the pipeline's numbers).
	n := len(px.Data) / *batch
	same := map[string]int{}
	worst := map[string]float64{}
	for i := 0; i < *batch; i++ {
		one := px
		one.Batch, one.Data = 1, px.Data[i*n:(i+1)*n]
		alone, err := score(per, one)
		if err != nil {
			return err
		}
		for name, got := range map[string][]zeroshot.Result{"per_image": resPer[i], "batched": resBatched[i]} {
			d := maxScoreDiff(alone[0], got)
			worst[name] = math.Max(worst[name], d)
			if d == 0 {
				same[name]++
			}
		}
	}
	sp, sb := stats(tPer), stats(tBatched)
	cp, cb := stats(cPer), stats(cBatched)
	return emit(map[string]any{"batch": *batch, "labels": len(req.Labels), "threads": mf.threads, "device": mf.device,
		"per_image_s": sp, "batched_s": sb, "batched_over_per_image_min": sb.Min / sp.Min,
		"per_image_cpu_s": cp, "batched_cpu_s": cb, "batched_over_per_image_cpu_min": cb.Min / cp.Min,
		"identical_to_alone": same, "max_abs_diff_to_alone": worst, "load_avg": loadAvg()})
}

func withBatching(o zeroshot.Options, b zeroshot.Batching) zeroshot.Options {
	o.Batching = b
	return o
}

// distinctPixels is a batch of synthetic pixel_values, each image its own phase.
func distinctPixels(v clip.VisionConfig, batch int) clip.Pixels {
	per := v.NumChannels * v.ImageSize * v.ImageSize
	d := make([]float32, batch*per)
	for b := 0; b < batch; b++ {
		for i := 0; i < per; i++ {
			d[b*per+i] = float32(math.Sin(0.001*float64(i) + 0.7*float64(b)))
		}
	}
	return clip.Pixels{Data: d, Batch: batch, Channels: v.NumChannels, Height: v.ImageSize, Width: v.ImageSize}
}

// maxScoreDiff is the largest |Δ| between two rankings' scores by label (+Inf if the
// labels differ).
func maxScoreDiff(a, b []zeroshot.Result) float64 {
	by := map[string]float64{}
	for _, r := range a {
		by[r.Label] = r.Score
	}
	d := 0.0
	for _, r := range b {
		s, ok := by[r.Label]
		if !ok || len(a) != len(b) {
			return math.Inf(1)
		}
		d = math.Max(d, math.Abs(s-r.Score))
	}
	return d
}

// cpuSeconds is the CPU time this process has used (user + system, every thread).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
