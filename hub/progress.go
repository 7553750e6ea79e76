package hub

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress receives download progress. Progress(file, done, total) is called when a file's
// transfer starts (done > 0 when resuming an .incomplete file), as bytes arrive, and once
// with done == total when the file is complete. total is the size the Hub announced.
// Files already in the cache produce no calls. Calls come from the goroutine that runs
// Resolve.
type Progress interface {
	Progress(file string, done, total int64)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(file string, done, total int64)

func (f ProgressFunc) Progress(file string, done, total int64) { f(file, done, total) }

// NewTextProgress renders one progress line per file on w (meant for stderr), redrawn in
// place with \r at most every 100 ms, and ended with a newline when the file completes:
//
//	model.safetensors  42% [=======>          ] 731.2 MB / 1.7 GB  48.1 MB/s
func NewTextProgress(w io.Writer) Progress {
	return &textProgress{w: w, now: time.Now}
}

type textProgress struct {
	mu       sync.Mutex
	w        io.Writer
	now      func() time.Time
	file     string
	start    time.Time
	startAt  int64
	lastDraw time.Time
}

func (p *textProgress) Progress(file string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if file != p.file {
		p.file, p.start, p.startAt, p.lastDraw = file, t, done, time.Time{}
	}
	complete := total >= 0 && done >= total
	if !complete && t.Sub(p.lastDraw) < 100*time.Millisecond {
		return
	}
	p.lastDraw = t
	fmt.Fprintf(p.w, "\r%s", renderBar(file, done, total, t.Sub(p.start), done-p.startAt))
	if complete {
		fmt.Fprintln(p.w)
		p.file = ""
	}
}

func renderBar(file string, done, total int64, elapsed time.Duration, transferred int64) string {
	const width = 20
	var b strings.Builder
	b.WriteString(file)
	if total > 0 {
		frac := float64(done) / float64(total)
		if frac > 1 {
			frac = 1
		}
		n := int(frac * width)
		bar := strings.Repeat("=", n)
		if n < width {
			bar += ">" + strings.Repeat(" ", width-n-1)
		}
		fmt.Fprintf(&b, " %3d%% [%s] %s / %s", int(frac*100), bar, humanBytes(done), humanBytes(total))
	} else {
		fmt.Fprintf(&b, " %s", humanBytes(done))
	}
	if s := elapsed.Seconds(); s > 0 && transferred > 0 {
		fmt.Fprintf(&b, "  %s/s", humanBytes(int64(float64(transferred)/s)))
	}
	return b.String() + "   " // overwrite leftovers of a longer previous line
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
