package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// ViT-L/14 at 224: 81.0 G multiply-adds in the image tower, 162.0 GFLOPs at 2 per
// multiply-add (open_clip's figure, and torch.utils.flop_counter's count).
func TestVisionFLOPsViTL14(t *testing.T) {
	c := &clip.Config{ProjectionDim: 768, Vision: clip.VisionConfig{HiddenSize: 1024, IntermediateSize: 4096,
		NumHiddenLayers: 24, NumAttentionHeads: 16, NumChannels: 3, ImageSize: 224, PatchSize: 14}}
	if got := visionFLOPs(c) / 1e9; math.Abs(got-162.0) > 0.1 {
		t.Fatalf("ViT-L/14 image tower: %.2f GFLOPs, want 162.0", got)
	}
}

func TestPeakFLOPs(t *testing.T) {
	p, _ := peakFLOPs(map[string]any{"cores": 2, "mhz": 2100.0, "flags": []string{"avx2", "avx512f"}})
	if p != 2*2.1e9*64 {
		t.Fatalf("peak %g", p)
	}
	p, _ = peakFLOPs(map[string]any{"cores": 4.0, "mhz": 3000.0, "flags": []any{"avx2", "fma"}})
	if p != 4*3e9*32 {
		t.Fatalf("peak %g", p)
	}
}

// A report with missing and failed runs renders, with NaN as null in the JSON.
func TestReportWithMissingRuns(t *testing.T) {
	dir := t.TempDir()
	rep := &Report{Machine: map[string]any{"cores": 2}, Version: map[string]any{}, Config: Config{Model: dir, N: 3, TPImagesRef: 64},
		Runs: []*Run{
			{Name: "process", Side: "go", WallS: 2},
			{Name: "process", Side: "hf", WallS: 8},
			{Name: "steady", Side: "go", Err: "boom"},
			{Name: "load/safetensors", Side: "go", Result: map[string]any{"load_s": 0.5, "first_forward_s": 1.0, "in_place": 0.0, "tensors": 590.0}},
		}}
	summarize(rep)
	if err := writeReport(rep, dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| 1 | process wall time") || !strings.Contains(string(md), "**0.250**") {
		t.Fatalf("REPORT.md:\n%s", md)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	summarize(&back) // re-render from the JSON, as `gobench report` does
	if m := markdown(&back); !strings.Contains(m, "**0.250**") {
		t.Fatalf("re-rendered:\n%s", m)
	}
}

func TestStats(t *testing.T) {
	s := stats([]float64{3, 1, 2, 10})
	if s.Min != 1 || s.Median != 2.5 || s.N != 4 {
		t.Fatalf("%+v", s)
	}
}
