package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// embedRun is one embed --images invocation once its arguments are checked.
type embedRun struct {
	flags  *embedFlags
	images []string // this shard's images, in order
	list   *imageList
	sh     shard
	stderr io.Writer
}

func (r *embedRun) run() error {
	f := r.flags
	index := f.out
	var parts *npyParts
	if f.format == "npy" {
		prefix := f.out
		if strings.EqualFold(filepath.Ext(prefix), ".npy") {
			prefix = prefix[:len(prefix)-len(".npy")]
		}
		index = prefix + ".index.jsonl"
		parts = &npyParts{prefix: prefix, max: f.partRows}
	}
	fr := &fileRun{cmd: "embed", output: index, force: f.force, batch: f.batchSize, progress: f.progress,
		images: r.images, fetch: r.list.fetchStats(), stderr: r.stderr}
	// The model first: its fingerprint decides whether the output there is this run's.
	ctx, stop := interruptContext()
	defer stop()
	c, err := f.model.openClassifier(ctx, r.stderr, classifierOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	if fr.id, err = embedRunInfo(c, f, r.images, r.sh, r.stderr); err != nil {
		return err
	}
	todo, complete, err := fr.start(embedRecords(r.images, parts != nil))
	if err != nil || complete {
		return err
	}
	if parts != nil {
		if err := parts.resume(fr.out.recs); err != nil {
			fr.out.close()
			return err
		}
		defer parts.close() // a no-op after finish
	}
	failed, err := r.embed(ctx, c, todo, fr, parts)
	return fr.end(err, failed, func() error {
		if parts != nil {
			if err := parts.finish(); err != nil {
				return err
			}
		}
		return fr.out.finish(nil)
	})
}

// embed runs the images through the model and writes their rows and records (rows
// first: a record never points at a row not yet written), returning how many could
// not be read.
func (r *embedRun) embed(ctx context.Context, c *zeroshot.Classifier, todo []string, fr *fileRun, parts *npyParts) (int, error) {
	if len(todo) == 0 {
		return 0, nil
	}
	failed := 0
	opts := zeroshot.EmbedOptions{EachOptions: zeroshot.EachOptions{BatchSize: r.flags.batchSize, Readers: r.flags.sources.concurrency},
		Normalized: r.flags.normalized}
	err := c.EmbedSources(ctx, r.list.sources(todo), opts, func(batch []zeroshot.FileEmbedding) error {
		var rows [][]float32
		for _, e := range batch {
			if e.Err == nil {
				rows = append(rows, e.Embedding)
			}
		}
		var partOf []string
		var rowOf []int
		if parts != nil {
			var err error
			if partOf, rowOf, err = parts.add(rows); err != nil {
				return err
			}
		}
		var b bytes.Buffer
		var errs []error
		j := 0
		for _, e := range batch {
			var rec any
			switch {
			case e.Err != nil:
				errs = append(errs, e.Err)
				rec = embedRecord{Image: e.Path, Error: fileError(e.Path, e.Err)}
			case parts != nil:
				rec = indexRecord{Image: e.Path, Part: partOf[j], Row: &rowOf[j]}
				j++
			default:
				rec = embedRecord{Image: e.Path, Embedding: e.Embedding}
			}
			line, err := marshalJSON(rec)
			if err != nil {
				return err
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := fr.out.write(b.Bytes()); err != nil {
			return err
		}
		failed += fr.done(len(batch), errs)
		return nil
	})
	return failed, err
}
