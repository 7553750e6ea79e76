package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/zeroshot-clip/zeroshot/source"
)

// fetchStats counts the downloads of a run (URLs, s3:// objects), for the progress
// report: how many arrived, failed, are in flight, and their bytes.
type fetchStats struct {
	done, failed, inFlight, bytes atomic.Int64
}

// counted is a source whose reads are counted.
type counted struct {
	source.Source
	stats *fetchStats
}

func (s *fetchStats) wrap(src source.Source) source.Source { return counted{src, s} }

func (c counted) Read(ctx context.Context) ([]byte, error) {
	c.stats.inFlight.Add(1)
	defer c.stats.inFlight.Add(-1)
	b, err := c.Source.Read(ctx)
	if err != nil {
		c.stats.failed.Add(1)
	} else {
		c.stats.done.Add(1)
		c.stats.bytes.Add(int64(len(b)))
	}
	return b, err
}

// String reads "412 fetched (35.2 MB), 8 in flight, 2 failed".
func (s *fetchStats) String() string {
	out := fmt.Sprintf("%d fetched (%s)", s.done.Load(), megabytes(s.bytes.Load()))
	if n := s.inFlight.Load(); n > 0 {
		out += fmt.Sprintf(", %d in flight", n)
	}
	if n := s.failed.Load(); n > 0 {
		out += fmt.Sprintf(", %d failed", n)
	}
	return out
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
