package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// childEach: the library's own end-to-end path (Classifier.ClassifyEach: labels once,
// files read ahead, decoded and preprocessed on all cores one batch ahead of the model,
// batches of -batch images), and beside it the rate that bounds it on a fast device:
// decoding and preprocessing the same files on all cores with no model (bytes already in
// memory). The GPU kit's classify step compares the two with the tower's rate
// (issue 22, item 5: images/s ≥ 0.8 × min(tower, decode)).
func childEach(args []string) error {
	fs := flag.NewFlagSet("each", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	var in inputFlags
	in.register(fs)
	batch := fs.Int("batch", 64, "images per forward (EachOptions.BatchSize)")
	fs.Parse(args)
	paths, labels, err := in.read()
	if err != nil {
		return err
	}
	c, err := mf.open()
	if err != nil {
		return err
	}
	defer c.Close()
	decodeS, err := decodeAll(c, paths)
	if err != nil {
		return err
	}
	req := zeroshot.Request{Labels: labels, TopK: 1}
	t := time.Now()
	if _, err := c.LabelEmbeddings(req); err != nil {
		return err
	}
	labelS := since(t)
	opts := zeroshot.EachOptions{BatchSize: *batch}
	run := func(ps []string) ([]string, int, error) {
		var top1 []string
		failed := 0
		err := c.ClassifyEach(context.Background(), ps, req, opts, func(rs []zeroshot.FileResult) error {
			for _, r := range rs {
				if r.Err != nil {
					failed++
					top1 = append(top1, "")
					continue
				}
				top1 = append(top1, r.Results[0].Label)
			}
			return nil
		})
		return top1, failed, err
	}
	t = time.Now() // warm-up: one batch (kernels, cuBLAS handles; the labels are cached now)
	if _, _, err := run(paths[:min(*batch, len(paths))]); err != nil {
		return err
	}
	warmS := since(t)
	t = time.Now()
	top1, failed, err := run(paths)
	if err != nil {
		return err
	}
	eachS := since(t)
	return emit(map[string]any{"images": len(paths), "labels": len(labels), "batch": *batch, "failed": failed,
		"label_s": labelS, "warm_s": warmS, "each_s": eachS, "images_per_s": float64(len(paths)) / eachS,
		"decode_s": decodeS, "decode_images_per_s": float64(len(paths)) / decodeS, "decoders": runtime.GOMAXPROCS(0),
		"top1": top1, "peak_rss": procStatus("VmHWM")})
}

// decodeAll reads the files into memory, then times decoding and preprocessing them
// (the profile's pipeline options and image processor) on GOMAXPROCS goroutines.
func decodeAll(c *zeroshot.Classifier, paths []string) (float64, error) {
	data := make([][]byte, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		data[i] = b
	}
	opts := c.Profile().PipelineOptions()
	next := make(chan int)
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	t := time.Now()
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				img, err := preprocess.Decode(data[i], opts)
				if err == nil {
					_, err = c.Processor.Preprocess(img)
				}
				errs[i] = err
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	s := since(t)
	for i, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("%s: %w", paths[i], err)
		}
	}
	return s, nil
}

// inputFlags are the -images, -labels, -n and -k flags of the end-to-end children.
type inputFlags struct {
	images, labels *string
	n, k           *int
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	f.images = fs.String("images", "", "file listing the images, one per line")
	f.labels = fs.String("labels", "", "file listing the labels, one per line")
	f.n = fs.Int("n", 0, "use the first n images (0: all)")
	f.k = fs.Int("k", 0, "use the first k labels (0: all)")
}

// read returns the first n image paths and k labels of the two files.
func (f *inputFlags) read() (paths, labels []string, err error) {
	if paths, err = readLabels(*f.images); err != nil {
		return nil, nil, err
	}
	if labels, err = readLabels(*f.labels); err != nil {
		return nil, nil, err
	}
	if *f.n > 0 && *f.n < len(paths) {
		paths = paths[:*f.n]
	}
	if *f.k > 0 && *f.k < len(labels) {
		labels = labels[:*f.k]
	}
	return paths, labels, nil
}
