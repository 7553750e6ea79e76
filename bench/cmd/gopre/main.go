// Command gopre times the preprocess package as the benchmark's metric 3 (bench/):
// decode + resize + centre crop + normalize of a JPEG held in memory, single thread,
// as hf_bench.py preprocess times Image.open + CLIPImageProcessor; then, with
// -threads > 1, a batch of files through Processor.PreprocessFiles (parallel).
// It links no libtorch, so its peak RSS is that of a process that only preprocesses.
// Prints one JSON line.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zeroshot-clip/zeroshot/preprocess"
)

func main() {
	model := flag.String("model", "", "model directory (its preprocessor_config.json); empty: CLIP's defaults")
	image := flag.String("image", "", "JPEG file")
	n := flag.Int("n", 10, "timed repetitions")
	images := flag.String("images", "", "file listing images for the batch figure (optional)")
	batch := flag.Int("batch", 8, "images in the batch figure")
	threads := flag.Int("threads", runtime.NumCPU(), "goroutines for the batch figure")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the single-thread loop")
	flag.Parse()
	if err := run(*model, *image, *n, *images, *batch, *threads, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "gopre:", err)
		os.Exit(1)
	}
}

func run(model, image string, n int, images string, batch, threads int, cpuprofile string) error {
	cfg := preprocess.Default()
	if model != "" {
		var err error
		if cfg, err = preprocess.LoadConfig(filepath.Join(model, "preprocessor_config.json")); err != nil {
			return err
		}
	}
	p, err := preprocess.New(cfg)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(image)
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(1)
	if _, err := p.PreprocessData(data, preprocess.ManualOptions); err != nil { // warm-up
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	// Whole preprocessing and decode alone, alternately (a load change hits both).
	var times, dec []float64
	for i := 0; i < n; i++ {
		t := time.Now()
		if _, err := p.PreprocessData(data, preprocess.ManualOptions); err != nil {
			return err
		}
		times = append(times, time.Since(t).Seconds())
		if cpuprofile != "" {
			continue
		}
		t = time.Now()
		if _, err := preprocess.Decode(data, preprocess.ManualOptions); err != nil {
			return err
		}
		dec = append(dec, time.Since(t).Seconds())
	}
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	out := map[string]any{"preprocess": stats(times), "peak_rss": vmHWM()}
	if len(dec) > 0 {
		out["decode"] = stats(dec)
	}
	if images != "" && threads > 0 {
		b, err := os.ReadFile(images)
		if err != nil {
			return err
		}
		var paths []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && len(paths) < batch {
				paths = append(paths, l)
			}
		}
		runtime.GOMAXPROCS(threads)
		if _, err := p.PreprocessFiles(paths, preprocess.ManualOptions); err != nil { // warm-up (page cache)
			return err
		}
		var per []float64
		for i := 0; i < max(1, n/4); i++ {
			t := time.Now()
			if _, err := p.PreprocessFiles(paths, preprocess.ManualOptions); err != nil {
				return err
			}
			per = append(per, time.Since(t).Seconds()/float64(len(paths)))
		}
		out["batch"] = map[string]any{"images": len(paths), "threads": threads, "per_image": stats(per),
			"peak_rss": vmHWM()}
	}
	js, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Printf("%s\n", js)
	return nil
}

func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v * 1024
			}
		}
	}
	return -1
}

func stats(xs []float64) map[string]any {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return map[string]any{"min": s[0], "median": med, "mean": sum / float64(len(s)), "n": len(s), "all": xs}
}
