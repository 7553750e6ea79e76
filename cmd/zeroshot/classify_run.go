package main

import (
	"bytes"
	"context"
	"io"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// classifyRun is one classify invocation once its arguments are checked.
type classifyRun struct {
	flags          *classifyFlags
	req            zeroshot.Request
	images         []string // this shard's images, in order
	list           *imageList
	sh             shard
	single         bool // one IMAGE argument: the pipeline's one-image JSON shape
	format         string
	stdout, stderr io.Writer
}

func (r *classifyRun) run() error {
	ctx, stop := interruptContext()
	defer stop()
	fr := &fileRun{cmd: "classify", output: r.flags.output, force: r.flags.force, batch: r.flags.batchSize,
		progress: r.flags.progress, images: r.images, fetch: r.list.fetchStats(), stderr: r.stderr}
	// With --output the model is opened first: its fingerprint decides whether FILE or
	// FILE.partial is this run's.
	var c *zeroshot.Classifier
	if fr.output != "" {
		var err error
		if c, err = r.open(ctx); err != nil {
			return err
		}
		defer c.Close()
		if fr.id, err = classifyRunInfo(c, r.flags, r.req, r.images, r.format, r.sh, r.stderr); err != nil {
			return err
		}
	}
	todo, complete, err := fr.start(classifyRecords(r.images, r.req))
	if err != nil || complete {
		return err
	}
	stdoutSink := newSink(r.format, r.single)
	failed, err := r.classify(ctx, c, todo, fr, stdoutSink)
	return fr.end(err, failed, func() error {
		if fr.out == nil {
			return stdoutSink.end(r.stdout)
		}
		if r.format == formatJSONL {
			return fr.out.finish(nil)
		}
		return fr.out.finish(func(partial string, w io.Writer) error {
			return renderPartial(partial, w, newSink(r.format, r.single))
		})
	})
}

func (r *classifyRun) open(ctx context.Context) (*zeroshot.Classifier, error) {
	return r.flags.model.openClassifier(ctx, r.stderr, classifierOptions{labelCache: r.flags.labelCache,
		textBatch: r.flags.labelBatch, textProgress: labelProgress(r.stderr, r.flags.progress)})
}

// classify runs the images through the model (c, or opened here if nil) and writes their
// records, returning how many could not be read.
func (r *classifyRun) classify(ctx context.Context, c *zeroshot.Classifier, todo []string, fr *fileRun, s sink) (int, error) {
	if len(todo) == 0 {
		return 0, nil
	}
	if c == nil {
		var err error
		if c, err = r.open(ctx); err != nil {
			return 0, err
		}
		defer c.Close()
	}
	failed := 0
	opts := zeroshot.EachOptions{BatchSize: r.flags.batchSize, Readers: r.flags.sources.concurrency}
	err := c.ClassifySources(ctx, r.list.sources(todo), r.req, opts, func(batch []zeroshot.FileResult) error {
		recs := make([]record, len(batch))
		var errs []error
		for i, res := range batch {
			recs[i] = recordOf(res)
			if res.Err != nil {
				errs = append(errs, res.Err)
			}
		}
		var b bytes.Buffer
		if err := (jsonlSink{}).write(&b, recs); err != nil {
			return err
		}
		var err error
		if fr.out != nil {
			err = fr.out.write(b.Bytes())
		} else {
			err = s.write(r.stdout, recs)
		}
		if err != nil {
			return err
		}
		failed += fr.done(len(batch), errs)
		return nil
	})
	return failed, err
}
