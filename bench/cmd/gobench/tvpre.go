package main

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tvprocess"
)

// childTVPre: metric 3 for the torchvision backend (transformers 5's default image
// processor): decode + libtorch's uint8 antialiased resize + crop + fused normalize of
// a JPEG held in memory, one thread (GOMAXPROCS 1, libtorch 1 thread), as hf_bench.py
// preprocess --backend torchvision times Image.open + CLIPImageProcessor. gopre is the
// PIL backend's (it links no libtorch; this does).
func childTVPre(args []string) error {
	fs := flag.NewFlagSet("tvpre", flag.ExitOnError)
	model := fs.String("model", "", "model directory (its preprocessor_config.json); empty: CLIP's defaults")
	image := fs.String("image", "", "JPEG file")
	n := fs.Int("n", 10, "timed repetitions")
	fs.Parse(args)
	cfg := preprocess.Default()
	if *model != "" {
		var err error
		if cfg, err = preprocess.LoadConfig(filepath.Join(*model, "preprocessor_config.json")); err != nil {
			return err
		}
	}
	runtime.GOMAXPROCS(1)
	if err := tvprocess.SetThreads(1); err != nil {
		return err
	}
	p, err := tvprocess.New(cfg)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(*image)
	if err != nil {
		return err
	}
	opts := preprocess.Options{AlphaOnWhite: true}          // transformers 5's manual flow
	if _, err := p.PreprocessData(data, opts); err != nil { // warm-up
		return err
	}
	var times, dec []float64
	for i := 0; i < *n; i++ { // whole preprocessing and decode alone, alternately
		t := time.Now()
		if _, err := p.PreprocessData(data, opts); err != nil {
			return err
		}
		times = append(times, since(t))
		t = time.Now()
		if _, err := preprocess.Decode(data, opts); err != nil {
			return err
		}
		dec = append(dec, since(t))
	}
	return emit(map[string]any{"preprocess": stats(times), "decode": stats(dec), "backend": "torchvision",
		"peak_rss": procStatus("VmHWM")})
}
