package zeroshot

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/source"
)

// FileResult is one image's outcome in ClassifyEach and ClassifySources.
type FileResult struct {
	Path    string   // the path, or the source's Name
	Results []Result // ranked labels; nil when Err is set
	Err     error    // why the file was skipped (an *preprocess.ImageError naming it when unreadable)
}

// EachOptions configure ClassifyEach.
type EachOptions struct {
	BatchSize int // images decoded ahead and handed to fn together (and per forward under BatchingBatched); 0 means 8
	Decoders  int // goroutines decoding and preprocessing; 0 means GOMAXPROCS
	// Readers is how many sources are read at once ahead of decoding (downloads overlap
	// decoding and the model); 0 means DefaultReaders. At most about twice
	// max(Readers, BatchSize) images' bytes are held at once.
	Readers int
}

// ClassifyEach classifies many files against one label set, for directories of images:
// the label embeddings are computed once (or taken from the cache), then the files are
// decoded as the pipeline does (EXIF applied, the profile's transparency rule) and preprocessed on Decoders goroutines,
// one batch ahead of the model, and classified BatchSize at a time. fn gets each batch's
// outcomes in the order of paths, one FileResult per path.
//
// A file that cannot be read or preprocessed is a FileResult with Err and does not stop
// the run. Invalid labels or templates (before any file is read), a model failure, ctx
// ending, or an error returned by fn stop it and are returned.
//
// Under BatchingPerImage (the CPU default) each image goes through the tower alone and
// its scores are the pipeline's, bit for bit, whatever BatchSize; under BatchingBatched
// batched forwards can differ from one-image forwards in the last float bits.
func (c *Classifier) ClassifyEach(ctx context.Context, paths []string, req Request, opts EachOptions, fn func([]FileResult) error) error {
	return c.ClassifySources(ctx, source.Files(paths), req, opts, fn)
}

// ClassifySources is ClassifyEach for images from anywhere (files, http(s) and data:
// URLs, standard input, object stores: see package source): FileResult.Path is each
// source's Name. Sources are read opts.Readers at a time ahead of decoding; one that
// cannot be read (a 404, a timeout, too large, not an image) is a FileResult with an
// Err naming it and the reason, and does not stop the run.
func (c *Classifier) ClassifySources(ctx context.Context, srcs []Source, req Request, opts EachOptions, fn func([]FileResult) error) error {
	labels, err := c.LabelEmbeddingsContext(ctx, req)
	if err != nil {
		return err
	}
	return c.each(ctx, srcs, opts, func(b []decoded) error {
		out, err := c.scoreDecoded(b, labels, req.TopK)
		if err != nil {
			return err
		}
		return fn(out)
	})
}

// each reads opts.Readers sources at once ahead of decoding (downloads overlap decoding
// and the model), decodes and preprocesses them on opts.Decoders goroutines, one batch
// of opts.BatchSize images ahead of fn, which gets each batch in order. No goroutine
// outlives the call.
func (c *Classifier) each(ctx context.Context, srcs []Source, opts EachOptions, fn func([]decoded) error) error {
	size := opts.BatchSize
	if size <= 0 {
		size = 8
	}
	ctx, cancel := context.WithCancel(ctx)
	reads := readAhead(ctx, srcs, opts.Readers, size)
	batches := make(chan []decoded, 1)
	defer func() { // stop the reading and decoding and wait for them
		cancel()
		for range batches {
		}
		reads.wait()
	}()
	go func() {
		defer close(batches)
		for start := 0; start < len(srcs); start += size {
			b := c.decodeBatch(ctx, reads, srcs[start:min(start+size, len(srcs))], opts.Decoders)
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// decoded is one image preprocessed: its pixel_values and their size, or an error.
type decoded struct {
	path string // the source's name
	px   []float32
	w, h int
	err  error
}

// decodeBatch decodes the next len(srcs) sources of reads, in order.
func (c *Classifier) decodeBatch(ctx context.Context, reads *readahead, srcs []Source, workers int) []decoded {
	out := make([]decoded, len(srcs))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(srcs))
	type job struct {
		i    int
		read <-chan readResult
	}
	var wg sync.WaitGroup
	next := make(chan job)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				r := <-j.read
				out[j.i] = c.decodeOne(srcs[j.i].Name(), r.data, r.err)
			}
		}()
	}
	for i := range srcs {
		read, ok := reads.next(ctx)
		if !ok {
			out[i] = decoded{path: srcs[i].Name(), err: ctx.Err()}
			continue
		}
		next <- job{i, read}
	}
	close(next)
	wg.Wait()
	return out
}

// decodeOne decodes a source's bytes as the pipeline's load_image does (EXIF applied,
// the profile's transparency rule) and preprocesses them; readErr is the read's error.
func (c *Classifier) decodeOne(name string, data []byte, readErr error) decoded {
	d := decoded{path: name, err: readErr}
	if readErr != nil {
		return d
	}
	img, err := preprocess.Decode(data, c.profile.PipelineOptions())
	if err != nil {
		d.err = named(err, name)
		return d
	}
	d.px, err = c.Processor.Preprocess(img)
	if err != nil {
		d.err = fmt.Errorf("%s: %w", name, err)
		return d
	}
	d.w, d.h = c.Processor.OutputSize(img.W, img.H)
	return d
}

// scoreDecoded runs the image forward on a batch's good files and ranks the labels.
func (c *Classifier) scoreDecoded(b []decoded, labels *Labels, topK int) ([]FileResult, error) {
	out := make([]FileResult, len(b))
	for i, d := range b {
		out[i] = FileResult{Path: d.path, Err: d.err}
	}
	err := c.forwardDecoded(b, true, func(idx []int, emb clip.Matrix) error {
		res, err := c.Score(emb, labels, topK)
		if err != nil {
			return err
		}
		for j, i := range idx {
			out[i].Results = res[j]
		}
		return nil
	})
	return out, err
}

// forwardDecoded runs the image forward on a batch's good files, one forward per output
// size (only a processor without center crop gives several), in order of first
// appearance: fn gets the files' indices in b and their embeddings (normalized:
// image_embeds, else get_image_features), one row each.
func (c *Classifier) forwardDecoded(b []decoded, normalized bool, fn func(idx []int, emb clip.Matrix) error) error {
	type size struct{ w, h int }
	groups := map[size][]int{}
	var order []size
	for i, d := range b {
		if d.err != nil {
			continue
		}
		s := size{d.w, d.h}
		if _, ok := groups[s]; !ok {
			order = append(order, s)
		}
		groups[s] = append(groups[s], i)
	}
	for _, s := range order {
		idx := groups[s]
		px := clip.Pixels{Batch: len(idx), Channels: 3, Height: s.h, Width: s.w,
			Data: make([]float32, 0, len(idx)*len(b[idx[0]].px))}
		for _, i := range idx {
			px.Data = append(px.Data, b[i].px...)
		}
		emb, err := c.imageSide(px, normalized)
		if err != nil {
			return err
		}
		if err := fn(idx, emb); err != nil {
			return err
		}
	}
	return nil
}
