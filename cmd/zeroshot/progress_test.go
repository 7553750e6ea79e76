package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// fakeClock advances by step at each reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Unix(1_700_000_000, 0)
	return func() time.Time { t = t.Add(step); return t }
}

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, progressBar, 100, 0, 0)
	p.now = fakeClock(time.Second)
	p.start = p.now()
	p.add(10, 0)
	p.logf("zeroshot classify: skipped %s", "x.png")
	p.add(10, 1)
	p.finish()
	out := b.String()
	assert.Contains(t, out, "\r 10/100 [===>")
	assert.Contains(t, out, "images/s")
	assert.Contains(t, out, "ETA ")
	assert.Contains(t, out, "\r\x1b[Kzeroshot classify: skipped x.png\n", "the message clears the bar first")
	assert.Contains(t, out, "1 failed")
	assert.True(t, strings.HasSuffix(out, "20 of 100 images in 4s (5.0 images/s), 1 failed\n"), out)
}

func TestProgressPlainAndAuto(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, progressAuto, 50, 20, 2) // a buffer is no terminal: plain lines
	assert.Equal(t, progressPlain, p.mode)
	p.now = fakeClock(4 * time.Second)
	p.start = p.now()
	p.lastDraw = p.start
	p.add(5, 0) // 4 s: too soon for a line
	assert.Empty(t, b.String())
	p.add(5, 0) // 8 s
	p.add(5, 0) // 12 s: a line
	assert.Equal(t, "35/50  70%  1.2 images/s  ETA 0:12  2 failed\n", b.String())
	p.finish()
	assert.Contains(t, b.String(), "15 of 50 images in 16s (0.9 images/s), 20 done before, 2 failed\n")

	assert.Equal(t, progressOff, newProgress(&b, progressAuto, 1, 0, 0).mode, "one image: no progress")
	off := newProgress(&bytes.Buffer{}, progressOff, 10, 0, 0)
	off.add(10, 0)
	off.finish()
	assert.False(t, isTerminal(&b))
	assert.Equal(t, "1:01:01", clock(time.Hour+time.Minute+time.Second))
	assert.Equal(t, "2:05", clock(125*time.Second))
}

// The text pass of a large label set reports every plainEvery, and its end once it has
// reported; a short one says nothing; --progress off, nothing at all.
func TestLabelProgress(t *testing.T) {
	var b strings.Builder
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	p := labelProgressClock(&b, progressPlain, clock)
	p(100, 1000)
	now = now.Add(plainEvery)
	p(200, 1000)
	now = now.Add(time.Second)
	p(300, 1000)
	p(1000, 1000)
	assert.Equal(t, "zeroshot: label embeddings: 200 of 1000 texts, 20.0 texts/s  ETA 0:40\n"+
		"zeroshot: label embeddings: 1000 of 1000 texts, 90.9 texts/s\n", b.String())
	b.Reset()
	short := labelProgressClock(&b, progressAuto, clock)
	short(10, 10)
	assert.Empty(t, b.String())
	assert.Nil(t, labelProgress(&b, progressOff))
}
