package torch

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/sugarme/gotch/ts"
)

// Worker runs functions on one OS thread that it keeps locked, with autograd off on
// that thread. libtorch keeps grad mode and its last error per thread, so every
// libtorch call of an inference must run on the same thread; a Worker gives that to
// goroutines that may otherwise migrate. Do is safe for concurrent use; calls run one
// at a time, in arrival order.
type Worker struct {
	jobs chan job
	quit chan struct{}
	done chan struct{}
}

type job struct {
	fn  func() error
	res chan error
}

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("torch: worker closed")

// NewWorker starts a worker thread (and, once per process, KeepAllocations).
func NewWorker() (*Worker, error) {
	KeepAllocations()
	w := &Worker{jobs: make(chan job), quit: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan error, 1)
	go w.loop(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Worker) loop(ready chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(w.done)
	if _, err := ts.GradSetEnabled(false); err != nil {
		ready <- fmt.Errorf("torch: disable autograd: %w", err)
		return
	}
	ready <- nil
	for {
		select {
		case j := <-w.jobs:
			j.res <- run(j.fn)
		case <-w.quit:
			return
		}
	}
}

// run calls fn, turning a panic into an error so that one bad request cannot take
// the process down.
func run(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("torch: panic in worker: %v", r)
		}
	}()
	return fn()
}

// Do runs fn on the worker's thread and returns its error.
func (w *Worker) Do(fn func() error) error {
	res := make(chan error, 1)
	select {
	case w.jobs <- job{fn: fn, res: res}:
		return <-res
	case <-w.quit:
		return ErrClosed
	}
}

// Close stops the worker after the call in progress, if any.
func (w *Worker) Close() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.done
}
