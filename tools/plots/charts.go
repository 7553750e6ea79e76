package main

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The colors of the two sides: Go's blue and an orange for transformers, a darker shade
// of each for the second precision.
var (
	goColor  = color.RGBA{R: 0x00, G: 0x7d, B: 0x9c, A: 0xff}
	goColor2 = color.RGBA{R: 0x00, G: 0xad, B: 0xd8, A: 0xff}
	hfColor  = color.RGBA{R: 0xe8, G: 0x71, B: 0x0a, A: 0xff}
	hfColor2 = color.RGBA{R: 0xf6, G: 0xb2, B: 0x6b, A: 0xff}
)

// series is one line of a chart: points (x, y) drawn with a color and, for the second
// precision, dashes, each point labelled with its value.
// Transformers' points are rings, so that a point equal to Go's shows around it, and
// their labels are left of them, Go's right; of a side's points at one x, the highest
// has its label above it, the others below.
type series struct {
	name   string
	color  color.Color
	dashed bool
	ring   bool
	xys    plotter.XYs
}

// lineChart draws series on a log x axis with ticks at the x values used, and a log
// (logY) or linear y axis from 0.
func lineChart(title, xLabel, yLabel string, logY bool, ss []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Scale = plot.LogScale{}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	xs := map[float64]bool{}
	type sideX struct {
		ring bool
		x    float64
	}
	top := map[sideX]float64{}
	for _, s := range ss {
		for _, xy := range s.xys {
			k := sideX{s.ring, xy.X}
			top[k] = math.Max(top[k], xy.Y)
		}
	}
	for _, s := range ss {
		sort.Slice(s.xys, func(i, j int) bool { return s.xys[i].X < s.xys[j].X })
		line, points, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		line.Color, points.Color = s.color, s.color
		line.Width = vg.Points(1.5)
		points.Shape = draw.CircleGlyph{}
		points.Radius = vg.Points(2.5)
		if s.ring {
			points.Shape, points.Radius = draw.RingGlyph{}, vg.Points(4)
		}
		if s.dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		for _, xy := range s.xys {
			xs[xy.X] = true
			l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{xy}, Labels: []string{short(xy.Y)}})
			if err != nil {
				return nil, err
			}
			l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(3)}
			if xy.Y < top[sideX{s.ring, xy.X}] {
				l.Offset.Y = -vg.Points(11)
			}
			l.TextStyle[0].Color = s.color
			if s.ring {
				l.TextStyle[0].XAlign = draw.XRight
				l.Offset.X = -vg.Points(6)
			}
			p.Add(l)
		}
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	var ticks []plot.Tick
	for x := range xs {
		ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', -1, 64)})
	}
	sort.Slice(ticks, func(i, j int) bool { return ticks[i].Value < ticks[j].Value })
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Room for the labels right of the last points, above and below the lines, and for
	// the legend in the top left corner.
	p.X.Min /= 1.6
	p.X.Max *= 1.6
	if logY {
		p.Y.Min /= 1.5
		p.Y.Max *= 4
	} else {
		p.Y.Min = 0
		p.Y.Max *= 1.5
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(6)
	return p, nil
}

// bar is one bar of a bar chart.
type bar struct {
	name  string
	value float64
	color color.Color
}

// barChart draws bars from 0, each labelled with its value.
func barChart(title, yLabel string, bars []bar) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	names := make([]string, len(bars))
	var top float64
	for i, b := range bars {
		v := make(plotter.Values, len(bars))
		v[i] = b.value
		bc, err := plotter.NewBarChart(v, vg.Points(36))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.name, err)
		}
		bc.Color = b.color
		bc.LineStyle.Width = 0
		p.Add(bc)
		names[i] = b.name
		top = math.Max(top, b.value)
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: float64(i), Y: b.value}}, Labels: []string{short(b.value)}})
		if err != nil {
			return nil, err
		}
		l.Offset = vg.Point{X: -vg.Points(8), Y: vg.Points(3)}
		p.Add(l)
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, top*1.15
	return p, nil
}

// factor is one row of a factor chart: how many times better Go is than transformers.
type factor struct {
	name  string
	value float64
	color color.Color
	dy    float64 // offset from the row, for several series per row
	note  string  // after the value, e.g. "est." for an extrapolated one
}

// factorChart draws factors as lollipops from 1 on a log axis, rows top to bottom in the
// order of names, a vertical line at 1 (as fast as transformers).
func factorChart(title, xLabel string, names []string, fs []factor, legend []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks(factorTicks)
	p.Add(plotter.NewGrid())
	row := map[string]float64{}
	for i, n := range names {
		row[n] = float64(len(names) - 1 - i)
	}
	lo, hi := 0.5, 2.0
	if len(legend) > 0 {
		hi = 400 // room for the legend
	}
	for _, f := range fs {
		y, ok := row[f.name]
		if !ok {
			return nil, fmt.Errorf("factor %q: no such row", f.name)
		}
		y += f.dy
		stick, err := plotter.NewLine(plotter.XYs{{X: 1, Y: y}, {X: f.value, Y: y}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		stick.Color, stick.Width = f.color, vg.Points(2)
		dot, err := plotter.NewScatter(plotter.XYs{{X: f.value, Y: y}})
		if err != nil {
			return nil, err
		}
		dot.Color, dot.Shape, dot.Radius = f.color, draw.CircleGlyph{}, vg.Points(3)
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: f.value, Y: y}}, Labels: []string{strings.TrimSpace(short(f.value) + "× " + f.note)}})
		if err != nil {
			return nil, err
		}
		l.Offset = vg.Point{X: vg.Points(5), Y: -vg.Points(3)}
		if f.value < 1 {
			l.Offset.X = -vg.Points(30)
		}
		l.TextStyle[0].Color = f.color
		p.Add(stick, dot, l)
		lo, hi = math.Min(lo, f.value/1.5), math.Max(hi, f.value*2.5)
	}
	one, err := plotter.NewLine(plotter.XYs{{X: 1, Y: -0.6}, {X: 1, Y: float64(len(names)) - 0.4}})
	if err != nil {
		return nil, err
	}
	one.Color, one.Width = color.Gray{Y: 0x60}, vg.Points(1)
	p.Add(one)
	p.NominalY(names...)
	// NominalY numbers rows bottom up: name the rows top down.
	ticks := make([]plot.Tick, len(names))
	for i, n := range names {
		ticks[i] = plot.Tick{Value: row[n], Label: n}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = lo, hi
	for _, s := range legend {
		dot, _ := plotter.NewScatter(plotter.XYs{{X: 1, Y: 0}})
		dot.Color, dot.Shape, dot.Radius = s.color, draw.CircleGlyph{}, vg.Points(3)
		p.Legend.Add(s.name, dot)
	}
	if len(legend) > 0 { // bottom right, below the rows
		p.Y.Min -= 0.4 * float64(len(legend))
		p.Legend.TextStyle.Font.Size = vg.Points(9)
	}
	return p, nil
}

var factorTicks = []plot.Tick{
	{Value: 0.5, Label: "0.5"}, {Value: 1, Label: "1"}, {Value: 2, Label: "2"}, {Value: 5, Label: "5"},
	{Value: 10, Label: "10"}, {Value: 20, Label: "20"}, {Value: 50, Label: "50"}, {Value: 100, Label: "100"},
}

// short formats a value with 3 significant digits, no exponent.
func short(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
