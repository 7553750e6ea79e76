package zeroshot

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// FileResult is one file's outcome in ClassifyEach.
type FileResult struct {
	Path    string
	Results []Result // ranked labels; nil when Err is set
	Err     error    // why the file was skipped (an *preprocess.ImageError naming it when unreadable)
}

// EachOptions configure ClassifyEach.
type EachOptions struct {
	BatchSize int // images decoded ahead and handed to fn together (and per forward under BatchingBatched); 0 means 8
	Decoders  int // goroutines decoding and preprocessing; 0 means GOMAXPROCS
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
	labels, err := c.LabelEmbeddingsContext(ctx, req)
	if err != nil {
		return err
	}
	return c.each(ctx, paths, opts, func(b []decoded) error {
		out, err := c.scoreDecoded(b, labels, req.TopK)
		if err != nil {
			return err
		}
		return fn(out)
	})
}

// each decodes and preprocesses paths on opts.Decoders goroutines, one batch of
// opts.BatchSize files ahead of fn, which gets each batch in order. No goroutine
// outlives the call.
func (c *Classifier) each(ctx context.Context, paths []string, opts EachOptions, fn func([]decoded) error) error {
	size := opts.BatchSize
	if size <= 0 {
		size = 8
	}
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan []decoded, 1)
	defer func() { // stop the decoding and wait for it
		cancel()
		for range batches {
		}
	}()
	go func() {
		defer close(batches)
		for start := 0; start < len(paths); start += size {
			b := c.decodeBatch(ctx, paths[start:min(start+size, len(paths))], opts.Decoders)
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

// decoded is one file preprocessed: its pixel_values and their size, or an error.
type decoded struct {
	path string
	px   []float32
	w, h int
	err  error
}

func (c *Classifier) decodeBatch(ctx context.Context, paths []string, workers int) []decoded {
	out := make([]decoded, len(paths))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = c.decodeOne(paths[i])
			}
		}()
	}
	for i := range paths {
		if ctx.Err() != nil {
			out[i] = decoded{path: paths[i], err: ctx.Err()}
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func (c *Classifier) decodeOne(path string) decoded {
	d := decoded{path: path}
	img, err := preprocess.Load(path, c.profile.PipelineOptions())
	if err != nil {
		d.err = err
		return d
	}
	d.px, err = c.Processor.Preprocess(img)
	if err != nil {
		d.err = fmt.Errorf("%s: %w", path, err)
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
