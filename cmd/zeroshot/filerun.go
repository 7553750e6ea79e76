package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// fileRun is what classify and embed share in a run over image files: --output with
// its resume, the progress report, interrupts, and the exit status when some files
// could not be read.
type fileRun struct {
	cmd      string // "classify" or "embed", for messages
	output   string // --output, or "" for stdout
	force    bool
	batch    int    // --batch-size: a resume keeps whole batches
	progress string // --progress
	images   []string
	fetch    *fetchStats // nil when every image is a local file
	id       *runInfo    // with --output: FILE.run.json
	stderr   io.Writer

	out          *outputFile // nil without --output
	prog         *progress
	failedBefore int // error records kept from an interrupted run
}

// start opens --output (resuming FILE.partial; parse reads its records) and the
// progress report. It returns the images left to do, or complete when FILE is already
// there (nothing to do).
func (r *fileRun) start(parse recordParser) (todo []string, complete bool, err error) {
	todo = r.images
	if r.output != "" {
		if err := r.id.seal(); err != nil {
			return nil, false, err
		}
		o, complete, err := openOutput(r.output, r.force, parse, r.id)
		if err != nil {
			return nil, false, err
		}
		if complete {
			fmt.Fprintf(r.stderr, "zeroshot %s: %s exists and is complete; nothing to do (the same run: fingerprint %s, %s; --force redoes it)\n",
				r.cmd, r.output, short(r.id.Fingerprint), r.id.Output.Images.describe("images"))
			return nil, true, nil
		}
		r.out = o
		todo, r.failedBefore = o.resume(r.images, r.batch)
		if len(todo) < len(r.images) {
			fmt.Fprintf(r.stderr, "zeroshot %s: resuming %s.partial: %d of %d images already done\n",
				r.cmd, r.output, len(r.images)-len(todo), len(r.images))
		}
	}
	r.prog = newProgress(r.stderr, r.progress, len(r.images), len(r.images)-len(todo), r.failedBefore)
	r.prog.fetch = r.fetch
	return todo, false, nil
}

// done counts a batch whose records are written: errs holds the error of each file that
// could not be read (reported, each naming its file). It returns how many failed.
func (r *fileRun) done(n int, errs []error) int {
	for _, err := range errs {
		r.prog.logf("zeroshot %s: skipped %s", r.cmd, errorLine(err))
	}
	r.prog.add(n, len(errs))
	return len(errs)
}

// end finishes the run: err is the batches' error (nil: all done, then finish completes
// the output), failed the files of this process that could not be read. It closes
// FILE.partial in any case (kept for a resume when the run did not complete).
func (r *fileRun) end(err error, failed int, finish func() error) error {
	r.prog.finish()
	if r.out != nil {
		defer r.out.close() // a no-op after finish
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			if r.out != nil {
				return fmt.Errorf("interrupted; %s.partial keeps the images done so far: rerun the same command to resume", r.output)
			}
			return errors.New("interrupted")
		}
		var le *zeroshot.LabelError
		var te *zeroshot.TemplateError
		if errors.As(err, &le) || errors.As(err, &te) {
			return exitUsage{err}
		}
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	if failed += r.failedBefore; failed > 0 {
		return filesFailedError{failed: failed, total: len(r.images)}
	}
	return nil
}
