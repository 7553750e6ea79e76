package zeroshot

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/source"
)

// Source is where an image comes from: a file, an http(s) or data: URL, standard
// input, an object store (package source; source.Parse makes one from what a user
// typed). ClassifySources and EmbedSources take them where ClassifyEach and EmbedEach
// take paths.
type Source = source.Source

// DefaultReaders is EachOptions.Readers's default: sources read at once ahead of
// decoding. Reading a file takes little; a download mostly waits on the network.
const DefaultReaders = 8

// readResult is one source's bytes, or why they could not be read.
type readResult struct {
	data []byte
	err  error
}

// readahead reads sources on a pool of goroutines, a bounded window ahead of the
// decoders, and hands out their results in source order.
type readahead struct {
	queue chan chan readResult // one per source, in order; each gets its result once
	wg    sync.WaitGroup
}

// readAhead starts reading srcs with readers goroutines (0: DefaultReaders), at most
// 2·max(readers, batch) sources ahead of what next has handed out.
func readAhead(ctx context.Context, srcs []Source, readers, batch int) *readahead {
	if readers <= 0 {
		readers = DefaultReaders
	}
	r := &readahead{queue: make(chan chan readResult, 2*max(readers, batch))}
	type job struct {
		src Source
		out chan readResult
	}
	jobs := make(chan job)
	for range readers {
		r.wg.Go(func() {
			for j := range jobs {
				data, err := j.src.Read(ctx)
				j.out <- readResult{data, err}
			}
		})
	}
	r.wg.Go(func() {
		defer close(jobs)
		defer close(r.queue)
		for _, s := range srcs {
			out := make(chan readResult, 1)
			select {
			case r.queue <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{s, out}:
			case <-ctx.Done():
				out <- readResult{err: ctx.Err()} // its reader may be waiting
				return
			}
		}
	})
	return r
}

// next is the next source's result, to receive from once; ok is false when ctx ended
// first.
func (r *readahead) next(ctx context.Context) (res <-chan readResult, ok bool) {
	select {
	case out, ok := <-r.queue:
		return out, ok
	case <-ctx.Done():
		return nil, false
	}
}

// wait waits for the readers once ctx has ended or every source was handed out.
func (r *readahead) wait() { r.wg.Wait() }

// named gives a decoding error the source's name, as preprocess.Load names a file.
func named(err error, name string) error {
	var ie *preprocess.ImageError
	if errors.As(err, &ie) {
		c := *ie
		c.File = name
		return &c
	}
	return fmt.Errorf("%s: %w", name, err)
}
