package serve

import (
	"context"
	"fmt"
	"time"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// job is one image waiting for the model: its pixel_values and where the embedding goes.
type job struct {
	ctx    context.Context
	client clientKey // whose queue place it holds
	pixels []float32 // [3, h, w]
	h, w   int
	enq    time.Time
	res    chan jobResult // buffered (1): the batcher never blocks on it
}

type jobResult struct {
	embed clip.Matrix // 1 × projection_dim, normalized
	err   error
}

// batchLoop is the batcher goroutine: it waits for a queued job, gathers more (what
// is already queued, then, while other admitted requests are still being decoded, up
// to BatchWindow more) up to MaxBatch, and runs one image forward for the batch.
// Queued jobs are taken client by client in turn (roundRobin), so that one client's
// many queued images do not hold another's behind all of them. It returns when jobs
// is closed and drained.
func (s *Server) batchLoop() {
	defer close(s.loopDone)
	var queued roundRobin[*job] // taken from s.jobs, not yet in a batch
	for {
		if queued.len() == 0 {
			j, ok := <-s.jobs
			if !ok {
				return
			}
			queued.push(j.client, j)
		}
		batch := s.gather(&queued)
		s.runBatch(batch)
		if queued.len() == 0 && len(s.jobs) == 0 && s.opts.TrimInterval > 0 && time.Since(s.lastTrim) >= s.opts.TrimInterval {
			trimCHeap() // idle: a good moment to give freed C memory back
			s.lastTrim = time.Now()
		}
	}
}

// gather takes up to MaxBatch jobs, in turn per client, from what is queued.
func (s *Server) gather(queued *roundRobin[*job]) []*job {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var batch []*job
	for len(batch) < s.opts.MaxBatch {
		// Everything queued by now takes part in the turns.
	drain:
		for {
			select {
			case j, ok := <-s.jobs:
				if !ok {
					break drain
				}
				queued.push(j.client, j)
			default:
				break drain
			}
		}
		if j, ok := queued.pop(); ok {
			batch = append(batch, j)
			continue
		}
		// Nothing queued right now. Wait a little only if more work is on its way:
		// requests admitted and still decoding. Otherwise run at once (a lone client
		// pays no batching delay).
		if s.opts.BatchWindow <= 0 || s.preparing.Load() == 0 {
			return batch
		}
		if timer == nil {
			timer = time.NewTimer(s.opts.BatchWindow)
		}
		select {
		case j, ok := <-s.jobs:
			if !ok {
				return batch
			}
			queued.push(j.client, j)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// runBatch runs one forward for the live jobs of batch (grouped by image size) and
// answers every job.
func (s *Server) runBatch(batch []*job) {
	now := time.Now()
	live := batch[:0:0]
	for _, j := range batch {
		s.releaseN(j.client, 1) // its forward starts: the image leaves the queue
		s.metrics.queueWait(now.Sub(j.enq))
		if err := j.ctx.Err(); err != nil {
			j.res <- jobResult{err: err} // timed out or abandoned while queued
			continue
		}
		live = append(live, j)
	}
	for len(live) > 0 {
		// All images have the model's size after preprocessing; group anyway, so an
		// odd one only costs its own forward.
		h, w := live[0].h, live[0].w
		same, rest := live[:0:0], live[:0:0]
		for _, j := range live {
			if j.h == h && j.w == w {
				same = append(same, j)
			} else {
				rest = append(rest, j)
			}
		}
		s.forward(same)
		live = rest
	}
}

func (s *Server) forward(jobs []*job) {
	n := len(jobs)
	per := 3 * jobs[0].h * jobs[0].w
	px := clip.Pixels{Batch: n, Channels: 3, Height: jobs[0].h, Width: jobs[0].w}
	if n == 1 {
		px.Data = jobs[0].pixels
	} else {
		px.Data = make([]float32, 0, n*per)
		for _, j := range jobs {
			px.Data = append(px.Data, j.pixels...)
		}
	}
	t0 := time.Now()
	emb, err := s.safeForward(px)
	s.metrics.batchRun(n, time.Since(t0))
	if err == nil && (emb.Rows != n || len(emb.Data) != emb.Rows*emb.Cols) {
		err = fmt.Errorf("serve: model returned %d×%d embeddings for %d images", emb.Rows, emb.Cols, n)
	}
	if err != nil {
		if n > 1 {
			// Do not let one request fail the others: retry one by one.
			for _, j := range jobs {
				s.forward([]*job{j})
			}
			return
		}
		jobs[0].res <- jobResult{err: err}
		return
	}
	for i, j := range jobs {
		row := make([]float32, emb.Cols)
		copy(row, emb.Row(i))
		j.res <- jobResult{embed: clip.Matrix{Rows: 1, Cols: emb.Cols, Data: row}}
	}
}

// safeForward runs the forward, turning a panic into an error: the batcher must not die.
func (s *Server) safeForward(px clip.Pixels) (m clip.Matrix, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("serve: panic in forward: %v", p)
		}
	}()
	return s.forwardFn(px)
}
