package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress modes (--progress).
const (
	progressAuto  = "auto"  // bar on a terminal, else plain lines; nothing for one image
	progressBar   = "bar"   // the bar, redrawn in place, even when stderr is not a terminal
	progressPlain = "plain" // a line every plainEvery, and a summary
	progressOff   = "off"
)

const plainEvery = 10 * time.Second

// progress reports a run over total images on stderr. Messages about single files go
// through logf so that they do not garble the bar. Safe for concurrent use.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	mode     string // bar, plain or off (auto resolved)
	total    int
	done     int // includes those done before (resume)
	failed   int
	resumed  int // done before this process started
	start    time.Time
	lastDraw time.Time
	drawn    bool // a bar is on the current line
	now      func() time.Time
	fetch    *fetchStats // downloads, when some images are fetched
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newProgress resolves mode ("auto": bar if w is a terminal, plain lines otherwise, off
// for a single image) for a run of total images of which resumed are already done.
func newProgress(w io.Writer, mode string, total, resumed, failed int) *progress {
	if mode == progressAuto {
		switch {
		case total <= 1:
			mode = progressOff
		case isTerminal(w):
			mode = progressBar
		default:
			mode = progressPlain
		}
	}
	p := &progress{w: w, mode: mode, total: total, done: resumed, resumed: resumed, failed: failed, now: time.Now}
	p.start = p.now()
	if mode == progressPlain {
		p.lastDraw = p.start // the first line after plainEvery; the bar draws at once
	}
	return p
}

// add counts n more images, failed of which could not be read.
func (p *progress) add(n, failed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.failed += failed
	t := p.now()
	switch p.mode {
	case progressBar:
		if t.Sub(p.lastDraw) >= 100*time.Millisecond || p.done == p.total {
			p.lastDraw = t
			fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(t, true))
			p.drawn = true
		}
	case progressPlain:
		if t.Sub(p.lastDraw) >= plainEvery {
			p.lastDraw = t
			fmt.Fprintln(p.w, p.line(t, false))
		}
	}
}

// logf prints a message on its own line (above the bar).
func (p *progress) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.drawn {
		fmt.Fprintf(p.w, "%s\x1b[K", p.line(p.now(), true))
	}
}

// finish ends the bar and prints a summary (except in off mode).
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	if p.mode == progressOff {
		return
	}
	t := p.now()
	el := t.Sub(p.start)
	msg := fmt.Sprintf("%d of %d images in %s (%.1f images/s)", p.done-p.resumed, p.total, el.Round(time.Millisecond), p.rate(t))
	if p.resumed > 0 {
		msg += fmt.Sprintf(", %d done before", p.resumed)
	}
	if p.failed > 0 {
		msg += fmt.Sprintf(", %d failed", p.failed)
	}
	if p.fetch != nil {
		msg += "; " + p.fetch.String()
	}
	fmt.Fprintln(p.w, msg)
}

func (p *progress) rate(t time.Time) float64 {
	s := t.Sub(p.start).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(p.done-p.resumed) / s
}

// line renders "  412/1000 [=====>     ]  41%  35.2 images/s  ETA 0:17  2 failed".
func (p *progress) line(t time.Time, bar bool) string {
	var b strings.Builder
	frac := 1.0
	if p.total > 0 {
		frac = float64(p.done) / float64(p.total)
	}
	fmt.Fprintf(&b, "%*d/%d", len(fmt.Sprint(p.total)), p.done, p.total)
	if bar {
		const width = 30
		fill := int(frac * width)
		head := ""
		if fill < width {
			head = ">"
		}
		fmt.Fprintf(&b, " [%s%s%s]", strings.Repeat("=", fill), head, strings.Repeat(" ", max(0, width-fill-len(head))))
	}
	fmt.Fprintf(&b, " %3.0f%%", frac*100)
	r := p.rate(t)
	fmt.Fprintf(&b, "  %.1f images/s", r)
	if r > 0 && p.done < p.total {
		fmt.Fprintf(&b, "  ETA %s", clock(time.Duration(float64(p.total-p.done)/r*float64(time.Second))))
	}
	if p.failed > 0 {
		fmt.Fprintf(&b, "  %d failed", p.failed)
	}
	if p.fetch != nil {
		fmt.Fprintf(&b, "  (%s)", p.fetch)
	}
	return b.String()
}

// clock formats d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
