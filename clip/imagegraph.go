package clip

import (
	"fmt"

	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// ImageGraph is the image tower at one batch size captured in a CUDA graph
// (torch.cuda.graph's at::cuda::CUDAGraph): Run replays the ≈ 600 kernels of one
// forward with one launch, the way to low latency at small batches, where launching
// them one by one costs more than computing them. The kernels are the ones the
// uncaptured forward runs on the same shapes, so the results are meant to be
// bit-identical to ImageEmbeds / GetImageFeatures for the same batch (the GPU kit's
// tower step checks that on the device, and the report says whether they were).
//
// A graph holds its own memory (one forward's activations at its batch size) until
// Close; it is safe for concurrent use, its calls running on the model's thread.
type ImageGraph struct {
	m         *Model
	batch     int
	normalize bool
	cap       *captured
	in        *ts.Tensor // the static input the capture reads
}

// CaptureImages captures the image tower for batches of exactly batch images on the
// model's CUDA device: ImageEmbeds with normalize, GetImageFeatures without. It runs
// one uncaptured warm-up forward on the graph's stream first, as torch.cuda.graph's
// documentation asks. CPU models and binaries without CUDA graphs get an error
// (errors.Is ErrUnsupported).
func (m *Model) CaptureImages(batch int, normalize bool) (*ImageGraph, error) {
	if err := checkGraphs(Options{Device: m.dev, DType: m.dtype, CUDAGraphs: 1}); err != nil && !emulateGraphs {
		return nil, err
	}
	if batch < 1 {
		return nil, &InputError{"batch", fmt.Sprintf("batch size %d: must be at least 1", batch)}
	}
	ig := &ImageGraph{m: m, batch: batch, normalize: normalize}
	err := m.do(func() error {
		err := ig.capture()
		if err != nil {
			ig.free()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ig, nil
}

// capture allocates the static input, warms up and captures (on the worker thread).
func (ig *ImageGraph) capture() error {
	m, v := ig.m, ig.m.cfg.Vision
	shape := []int64{int64(ig.batch), int64(v.NumChannels), int64(v.ImageSize), int64(v.ImageSize)}
	in, err := ts.Zeros(shape, m.dtype.gotch(), m.dev.gotch())
	if err != nil {
		return torchError("zeros", err)
	}
	ig.in = in
	ig.cap, err = m.capture(func(g *graph) *ts.Tensor {
		return m.features(g, g.linear(m.VisionModel.forward(g, ig.in, int64(ig.batch)), &m.VisualProjection), ig.normalize)
	})
	return err
}

// Batch is the number of images each Run takes.
func (ig *ImageGraph) Batch() int { return ig.batch }

// Run copies px into the graph's input, replays the graph and copies the output back:
// normalized image embeddings or image features, as captured. px.Batch must be the
// graph's batch size.
func (ig *ImageGraph) Run(px Pixels) (Matrix, error) {
	if err := px.check(ig.m.cfg.Vision); err != nil {
		return Matrix{}, err
	}
	if px.Batch != ig.batch {
		return Matrix{}, &InputError{"pixel_values", fmt.Sprintf("batch of %d images, the graph was captured for %d", px.Batch, ig.batch)}
	}
	var out Matrix
	err := ig.m.do(func() error {
		if ig.cap == nil {
			return ErrClosed
		}
		var err error
		out, err = ig.run(px)
		return err
	})
	return out, err
}

// run fills the input, replays and copies the output back (on the worker thread).
func (ig *ImageGraph) run(px Pixels) (Matrix, error) {
	var out Matrix
	if err := torch.CopyFrom(ig.in, px.Data); err != nil {
		return out, torchError("copy_", err)
	}
	if err := ig.cap.replay(); err != nil {
		return out, err
	}
	g := &graph{s: &torch.Scope{}, dtype: ig.m.dtype, dev: ig.m.dev}
	err := g.copyOut(map[*Matrix]*ts.Tensor{&out: ig.cap.out})
	return out, err
}

// graphKey names one of the graphs Options.CUDAGraphs keeps.
type graphKey struct {
	batch     int
	normalize bool
}

// imageGraphed is imageSide through the model's graph for px's batch size, captured
// now if this is the first batch of that size.
func (m *Model) imageGraphed(px Pixels, normalize bool) (Matrix, error) {
	var out Matrix
	err := m.do(func() error {
		key := graphKey{px.Batch, normalize}
		ig := m.graphs[key]
		if ig == nil {
			ig = &ImageGraph{m: m, batch: px.Batch, normalize: normalize}
			if err := ig.capture(); err != nil {
				ig.free()
				return fmt.Errorf("clip: capturing the image tower at batch %d in a CUDA graph: %w", px.Batch, err)
			}
			if m.graphs == nil {
				m.graphs = map[graphKey]*ImageGraph{}
			}
			m.graphs[key] = ig
		}
		var err error
		out, err = ig.run(px)
		return err
	})
	return out, err
}

// Close frees the graph, its memory and its input and output tensors. Idempotent;
// call it before the model's Close.
func (ig *ImageGraph) Close() error {
	return ig.m.closeGraph(ig.free)
}

func (ig *ImageGraph) free() {
	ig.cap.close()
	ig.cap = nil
	if ig.in != nil {
		_ = ig.in.Drop()
		ig.in = nil
	}
}
