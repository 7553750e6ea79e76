package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// cpuReport is the part of a CPU benchmark report (bench/report.json, bench/runs/*/
// report.json: make bench) that the plots read.
type cpuReport struct {
	path    string
	Date    string `json:"date"`
	Machine struct {
		CPU   string `json:"cpu"`
		Cores int    `json:"cores"`
	} `json:"machine"`
	Versions struct {
		Libtorch string `json:"libtorch (Go side)"`
	} `json:"versions"`
	Config struct {
		Threads   int  `json:"threads"`
		BF16Batch int  `json:"bf16_batch"`
		TPBatch   int  `json:"tp_batch"`
		TPLabels  int  `json:"tp_labels"`
		Quick     bool `json:"quick"`
	} `json:"config"`
	Summary struct {
		Rows []struct {
			ID     string   `json:"id"`
			Metric string   `json:"metric"`
			Unit   string   `json:"unit"`
			Go     *float64 `json:"go"`
			HF     *float64 `json:"hf"`
			Basis  string   `json:"basis"`
		} `json:"rows"`
		GFLOPs map[string]json.RawMessage `json:"gflops"`
		BF16   struct {
			HFTowerBatch1 float64 `json:"hf_bf16_tower_batch1_s"`
			HFTowerBatchB float64 `json:"hf_bf16_tower_batchB_s_per_image"`
			Throughput    struct {
				BF16 float64 `json:"bf16_images_per_s"`
				FP32 float64 `json:"fp32_images_per_s"`
			} `json:"throughput"`
		} `json:"bf16"`
	} `json:"summary"`
}

// row returns the Go and transformers values of a summary row, and whether both were
// measured.
func (r *cpuReport) row(id string) (goV, hfV float64, unit string, ok bool) {
	for _, x := range r.Summary.Rows {
		if x.ID == id && x.Go != nil && x.HF != nil && *x.Go > 0 && *x.HF > 0 {
			return *x.Go, *x.HF, x.Unit, true
		}
	}
	return 0, 0, "", false
}

// extrapolated reports whether a row's value is extrapolated rather than measured.
func (r *cpuReport) extrapolated(id string) bool {
	for _, x := range r.Summary.Rows {
		if x.ID == id {
			return strings.HasPrefix(x.Basis, "EXTRAPOLATED")
		}
	}
	return false
}

// secondsPerImage is a gflops entry's s_per_image.
func (r *cpuReport) secondsPerImage(key string) (float64, error) {
	raw, ok := r.Summary.GFLOPs[key]
	if !ok {
		return 0, fmt.Errorf("%s: summary.gflops has no %s", r.path, key)
	}
	var v struct {
		S float64 `json:"s_per_image"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.S <= 0 {
		return 0, fmt.Errorf("%s: summary.gflops.%s.s_per_image: not a positive number (%v)", r.path, key, err)
	}
	return v.S, nil
}

// gpuReport is the part of a GPU kit report (bench/gpu/runs/*/report.json) the plots read.
type gpuReport struct {
	path  string
	Steps struct {
		Env struct {
			GPU          string `json:"gpu"`
			Torch        string `json:"torch"`
			Transformers string `json:"transformers"`
		} `json:"env"`
		Tower    []gpuTowerRow `json:"tower"`
		Classify struct {
			DType string `json:"dtype"`
			Go    struct {
				Images       int     `json:"images"`
				Labels       int     `json:"labels"`
				ImagesPerSec float64 `json:"images_per_s"`
			} `json:"go"`
			HF struct {
				Images       int     `json:"images"`
				ImagesPerSec float64 `json:"images_per_s"`
			} `json:"hf"`
		} `json:"classify"`
	} `json:"steps"`
}

type gpuSide struct {
	ImagesPerSec float64 `json:"images_per_s"`
}

// gpuTowerRow is one dtype and batch of the kit's tower step: its sides are keys
// ("go" and "hf" in the first kit; "go-eager", "go-sdpa", "go-graph", "hf-sdpa",
// "hf-eager" since the kit compares attentions).
type gpuTowerRow struct {
	DType string
	Batch int
	Sides map[string]gpuSide
	Go    gpuSide // the Go default attention's column: go-sdpa, else go
	HF    gpuSide // transformers' default (SDPA): hf-sdpa, else hf
}

func (r *gpuTowerRow) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	r.Sides = map[string]gpuSide{}
	for k, v := range raw {
		var err error
		switch {
		case k == "dtype":
			err = json.Unmarshal(v, &r.DType)
		case k == "batch":
			err = json.Unmarshal(v, &r.Batch)
		case strings.HasPrefix(k, "go") || strings.HasPrefix(k, "hf"):
			var s gpuSide
			if json.Unmarshal(v, &s) == nil { // a side that failed holds an error, not a number
				r.Sides[k] = s
			}
		}
		if err != nil {
			return fmt.Errorf("tower row %s: %w", k, err)
		}
	}
	r.Go, r.HF = r.first("go-sdpa", "go"), r.first("hf-sdpa", "hf")
	return nil
}

func (r *gpuTowerRow) first(keys ...string) gpuSide {
	for _, k := range keys {
		if s, ok := r.Sides[k]; ok {
			return s
		}
	}
	return gpuSide{}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// reports are the committed benchmark reports under a clone's root.
type reports struct {
	cpu     *cpuReport   // bench/report.json: the current CPU report
	cpuRuns []*cpuReport // bench/runs/*/report.json with the full CPU metrics, by date, then bench/report.json
	gpu     *gpuReport   // the newest of bench/gpu/runs/*/report.json
}

func loadReports(root string) (*reports, error) {
	var rs reports
	rs.cpu = &cpuReport{path: filepath.Join(root, "bench", "report.json")}
	if err := readJSON(rs.cpu.path, rs.cpu); err != nil {
		return nil, err
	}
	runs, err := filepath.Glob(filepath.Join(root, "bench", "runs", "*", "report.json"))
	if err != nil {
		return nil, err
	}
	for _, p := range runs {
		r := &cpuReport{path: p}
		if err := readJSON(p, r); err != nil {
			return nil, err
		}
		if _, _, _, ok := r.row("5b"); ok && !r.Config.Quick { // a full run (not a partial one such as -v5's)
			rs.cpuRuns = append(rs.cpuRuns, r)
		}
	}
	sort.Slice(rs.cpuRuns, func(i, j int) bool { return rs.cpuRuns[i].Date < rs.cpuRuns[j].Date })
	rs.cpuRuns = append(rs.cpuRuns, rs.cpu)
	gpus, err := filepath.Glob(filepath.Join(root, "bench", "gpu", "runs", "*", "report.json"))
	if err != nil {
		return nil, err
	}
	if len(gpus) == 0 {
		return nil, fmt.Errorf("no bench/gpu/runs/*/report.json under %s", root)
	}
	sort.Strings(gpus) // named by date
	rs.gpu = &gpuReport{path: gpus[len(gpus)-1]}
	if err := readJSON(rs.gpu.path, rs.gpu); err != nil {
		return nil, err
	}
	if len(rs.gpu.Steps.Tower) == 0 {
		return nil, fmt.Errorf("%s: no steps.tower", rs.gpu.path)
	}
	return &rs, nil
}
