package main

import (
	"fmt"
	"io"
	"time"
)

// labelProgress reports a long text pass (a large label set on a CPU takes minutes)
// on stderr: a line every plainEvery, and one when it ends if any was printed. nil with
// --progress off.
func labelProgress(w io.Writer, mode string) func(done, total int) {
	return labelProgressClock(w, mode, time.Now)
}

func labelProgressClock(w io.Writer, mode string, clockNow func() time.Time) func(done, total int) {
	if mode == progressOff {
		return nil
	}
	start := clockNow()
	last := start
	printed := false
	return func(done, total int) {
		now := clockNow()
		if now.Sub(last) < plainEvery && !(printed && done == total) {
			return
		}
		last, printed = now, true
		rate := float64(done) / now.Sub(start).Seconds()
		msg := fmt.Sprintf("zeroshot: label embeddings: %d of %d texts, %.1f texts/s", done, total, rate)
		if done < total && rate > 0 {
			msg += "  ETA " + clock(time.Duration(float64(total-done)/rate*float64(time.Second)))
		}
		fmt.Fprintln(w, msg)
	}
}
