package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// classifyRun is one classify invocation once its arguments are checked.
type classifyRun struct {
	flags          *classifyFlags
	req            zeroshot.Request
	images         []string // this shard's images, in order
	single         bool     // one IMAGE argument: the pipeline's one-image JSON shape
	format         string
	stdout, stderr io.Writer
}

func (r *classifyRun) run() error {
	var out *outputFile
	todo, failedBefore := r.images, 0
	if r.flags.output != "" {
		o, complete, err := openOutput(r.flags.output, r.flags.force, r.images, r.req)
		if err != nil {
			return err
		}
		if complete {
			fmt.Fprintf(r.stderr, "zeroshot classify: %s exists and is complete; nothing to do (--force redoes it)\n", r.flags.output)
			return nil
		}
		out = o
		defer out.close() // leaves FILE.partial for a resume; a no-op after finish
		todo, failedBefore = out.resume(r.images, r.flags.batchSize)
		if len(todo) < len(r.images) {
			fmt.Fprintf(r.stderr, "zeroshot classify: resuming %s.partial: %d of %d images already done\n",
				r.flags.output, len(r.images)-len(todo), len(r.images))
		}
	}
	prog := newProgress(r.stderr, r.flags.progress, len(r.images), len(r.images)-len(todo), failedBefore)
	stdoutSink := newSink(r.format, r.single)
	failed, err := r.classify(todo, out, stdoutSink, prog)
	prog.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			if out != nil {
				return fmt.Errorf("interrupted; %s.partial keeps the images done so far: rerun the same command to resume", r.flags.output)
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
	if out != nil {
		if err := out.finish(r.format, r.single); err != nil {
			return err
		}
	} else if err := stdoutSink.end(r.stdout); err != nil {
		return err
	}
	if failed += failedBefore; failed > 0 {
		return filesFailedError{failed: failed, total: len(r.images)}
	}
	return nil
}

// classify runs the images through the model and writes their records, returning how
// many could not be read.
func (r *classifyRun) classify(todo []string, out *outputFile, s sink, prog *progress) (int, error) {
	if len(todo) == 0 {
		return 0, nil
	}
	ctx, stop := interruptContext()
	defer stop()
	c, err := r.flags.model.openClassifier(ctx, r.stderr, r.flags.labelCache)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	failed := 0
	opts := zeroshot.EachOptions{BatchSize: r.flags.batchSize}
	err = c.ClassifyEach(ctx, todo, r.req, opts, func(batch []zeroshot.FileResult) error {
		recs := make([]record, len(batch))
		bad := 0
		for i, fr := range batch {
			recs[i] = recordOf(fr)
			if fr.Err != nil {
				bad++
				prog.logf("zeroshot classify: skipped %v", fr.Err) // the error names the file
			}
		}
		var err error
		if out != nil {
			err = out.write(recs)
		} else {
			err = s.write(r.stdout, recs)
		}
		if err != nil {
			return err
		}
		failed += bad
		prog.add(len(batch), bad)
		return nil
	})
	return failed, err
}
