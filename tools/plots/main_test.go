package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var root = filepath.Join("..", "..")

// The committed figures are what the committed reports give: make plots after a new
// report (or a change here) and commit docs/images with it.
func TestFiguresUpToDate(t *testing.T) {
	dir := t.TempDir()
	files, err := run(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 5 {
		t.Errorf("%d figures, want 5: %v", len(files), files)
	}
	for _, f := range files {
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		committed := filepath.Join(root, "docs", "images", filepath.Base(f))
		want, err := os.ReadFile(committed)
		if err != nil {
			t.Errorf("%s: %v (make plots writes it)", committed, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the reports give now: run make plots and commit it", committed)
		}
	}
}

// Drawing twice gives the same bytes, so the check above is meaningful.
func TestFiguresDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	fa, err := run(root, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(root, b); err != nil {
		t.Fatal(err)
	}
	for _, f := range fa {
		x, _ := os.ReadFile(f)
		y, _ := os.ReadFile(filepath.Join(b, filepath.Base(f)))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", filepath.Base(f))
		}
	}
}

// The figures carry the reports' numbers: a few values as the charts label them.
func TestFiguresShowTheReports(t *testing.T) {
	rs, err := loadReports(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := run(root, dir); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	gpu := read("gpu-tower-batch.svg")
	for _, tw := range rs.gpu.Steps.Tower {
		for _, v := range []float64{tw.Go.ImagesPerSec, tw.HF.ImagesPerSec} {
			if !strings.Contains(gpu, ">"+short(v)+"</text>") {
				t.Errorf("gpu-tower-batch.svg: no label %s (%s batch %d)", short(v), tw.DType, tw.Batch)
			}
		}
	}
	cl := read("classify-throughput.svg")
	for _, v := range []float64{rs.gpu.Steps.Classify.Go.ImagesPerSec, rs.gpu.Steps.Classify.HF.ImagesPerSec} {
		if !strings.Contains(cl, ">"+short(v)+"</text>") {
			t.Errorf("classify-throughput.svg: no label %s", short(v))
		}
	}
	goV, hfV, _, _ := rs.cpu.row("5b")
	if f := read("cpu-vs-transformers.svg"); !strings.Contains(f, ">"+short(goV/hfV)+"×") {
		t.Errorf("cpu-vs-transformers.svg: no factor %s× for row 5b", short(goV/hfV))
	}
	if n := len(rs.cpuRuns); n < 2 {
		t.Errorf("%d full CPU runs found, want the committed ones and the current report", n)
	}
}
