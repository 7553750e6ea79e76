// Command plots draws the performance figures of docs/ from the committed benchmark
// reports (bench/report.json, bench/runs/*/report.json, bench/gpu/runs/*/report.json) with
// gonum.org/v1/plot, as SVG files in docs/images. make plots runs it; its test checks
// that the committed figures are what the committed reports give.
//
// A module of its own (tools/plots), so that the library's go.mod does not depend on
// the plotting library.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

func main() {
	root := flag.String("root", filepath.Join("..", ".."), "the clone whose bench/ reports are read")
	out := flag.String("out", "", "directory of the SVG files (default ROOT/docs/images)")
	flag.Parse()
	if *out == "" {
		*out = filepath.Join(*root, "docs", "images")
	}
	files, err := run(*root, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plots:", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}

// run draws every figure from the reports under root into dir and returns the files.
func run(root, dir string) ([]string, error) {
	rs, err := loadReports(root)
	if err != nil {
		return nil, err
	}
	figs, err := figures(rs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	var files []string
	for _, f := range figs {
		b, err := render(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.file, err)
		}
		path := filepath.Join(dir, f.file)
		if err := os.WriteFile(path, b, 0o666); err != nil { // the umask decides
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

func init() {
	// Sans-serif text: Liberation Sans, which has Arial's metrics.
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	plotter.DefaultFont = plot.DefaultFont
}

// render draws a figure's plots side by side into one SVG document.
func render(f figure) ([]byte, error) {
	c := vgsvg.New(vg.Length(f.width)*vg.Centimeter, vg.Length(f.height)*vg.Centimeter)
	dc := draw.New(c)
	if len(f.plots) == 1 {
		f.plots[0].Draw(dc)
	} else {
		tiles := draw.Tiles{Rows: 1, Cols: len(f.plots), PadX: vg.Centimeter / 2}
		canvases := plot.Align([][]*plot.Plot{f.plots}, tiles, dc)
		for i, p := range f.plots {
			p.Draw(canvases[0][i])
		}
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	// Viewers without Liberation Sans fall back to the fonts with its metrics.
	svg := strings.ReplaceAll(b.String(), "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	return []byte(svg), nil
}
