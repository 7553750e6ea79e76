// Command gobench is the Go side of the side-by-side benchmark against Hugging Face
// transformers (bench/hf_bench.py), and its driver. `make bench` runs bench/run.sh,
// which runs `gobench run`; see bench/README.md.
//
//	gobench run [flags]          run every measurement, write bench/REPORT.md and bench/report.json
//	gobench images -dir D -n N   write N distinct 2560×1600 JPEGs (the benchmark's images)
//	gobench convert SRC DST DT   clip.Convert (float32 / bfloat16)
//	gobench load|tower|batching|steady|throughput|each|bf16|process|parity|text|labels ...
//	                             one measurement in this process; prints one JSON line
//	gobench scale [flags]        the scale benchmark (BENCH_SIZE=scale): bench/SCALE.md, bench/scale.json
//	gobench scale-images -dir D -n N   N small generated images and a few unreadable files
//	gobench scale-report [-dir bench]  re-render SCALE.md from scale.json
//	gobench compare A.npy B.npy  rows bit-identical and max |Δ| of two embedding files
//	gobench ops -model M -out D  op traces of one image and one text forward (bench/optrace.py)
//
// Each measurement runs in a fresh child process (so load times and peak RSS are those
// of a process that does just that), on the same thread count as the Python side.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "run":
		err = runDriver(args)
	case "images":
		err = runImages(args)
	case "convert":
		err = runConvert(args)
	case "load":
		err = childLoad(args)
	case "tower":
		err = childTower(args)
	case "batching":
		err = childBatching(args)
	case "steady":
		err = childSteady(args)
	case "throughput":
		err = childThroughput(args)
	case "each":
		err = childEach(args)
	case "bf16":
		err = childBF16(args)
	case "process":
		err = childProcess(args)
	case "parity":
		err = childParity(args)
	case "text":
		err = childText(args)
	case "tvpre":
		err = childTVPre(args)
	case "report":
		err = runReport(args)
	case "scale":
		err = runScale(args)
	case "scale-report":
		err = runScaleReport(args)
	case "scale-images":
		err = runScaleImages(args)
	case "labels":
		err = childLabels(args)
	case "compare":
		err = runCompare(args)
	case "ops":
		err = childOps(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gobench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gobench run|images|convert|load|tower|batching|steady|throughput|each|bf16|process|parity|text|tvpre|labels|report|scale|scale-report|scale-images|compare [flags]")
	os.Exit(2)
}

// emit prints v as the one JSON line a child answers with (the last line of stdout).
func emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", b)
	return err
}

// procStatus returns a /proc/self/status field in bytes (VmHWM: peak RSS), or -1.
func procStatus(key string) int64 { return procStatusOf(0, key) }

// procStatusOf is procStatus of process pid (0: this one).
func procStatusOf(pid int, key string) int64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				n, _ := strconv.ParseInt(fields[0], 10, 64)
				return n * 1024
			}
		}
	}
	return -1
}

// loadAvg is /proc/loadavg's three load averages.
func loadAvg() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}

// Stats summarises repeated timings (seconds).
type Stats struct {
	Min    float64   `json:"min"`
	Median float64   `json:"median"`
	Mean   float64   `json:"mean"`
	N      int       `json:"n"`
	All    []float64 `json:"all"`
}

func stats(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{Min: math.NaN(), Median: math.NaN(), Mean: math.NaN()}
	}
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
	return Stats{Min: s[0], Median: med, Mean: sum / float64(len(s)), N: len(s), All: xs}
}
