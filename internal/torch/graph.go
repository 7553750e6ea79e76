package torch

import (
	"errors"
	"fmt"

	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// ErrNoGraphs is returned by NewGraph when this binary has no CUDA graphs: a CPU
// build, or a CUDA build whose gotch copy was generated without the CUDA runtime
// headers (scripts/gen-gotch.sh says so when it generates it).
var ErrNoGraphs = errors.New("torch: CUDA graphs are not built into this binary (build with CUDA=1 or CUDA=link against the PyPI libtorch, whose NVIDIA header wheels scripts/libtorch.sh fetches)")

// GraphsBuilt reports whether this binary has CUDA graphs (gotch patch 0008).
func GraphsBuilt() bool { return lib.AtCudaGraphsBuilt() }

// Graph is a CUDA graph (at::cuda::CUDAGraph, what torch.cuda.graph captures into): a
// sequence of kernels recorded once on a side stream and replayed with one launch.
// A replay reads and writes the very tensors the capture used, so inputs go into
// tensors allocated before the capture and outputs are read from the tensors the
// capture made. All calls must run on one OS thread (a Worker's).
type Graph struct {
	g *lib.CudaGraph
}

// NewGraph makes a graph for the CUDA device with the given index.
func NewGraph(device int) (*Graph, error) {
	if !GraphsBuilt() {
		return nil, ErrNoGraphs
	}
	g, err := lib.AtCudaGraphNew(device)
	if err != nil {
		return nil, fmt.Errorf("torch: new CUDA graph: %w", err)
	}
	return &Graph{g: g}, nil
}

// OnStream runs fn with the graph's side stream as the thread's current stream, the
// device synced before and the stream after: the warm-up torch.cuda.graph's docs ask
// for (lazy initialisation, cuBLAS workspaces) happens there, off the capture.
func (g *Graph) OnStream(fn func() error) error {
	if err := g.g.Enter(); err != nil {
		return fmt.Errorf("torch: CUDA graph stream: %w", err)
	}
	ferr := fn()
	if err := g.g.Exit(); err != nil {
		return errors.Join(ferr, fmt.Errorf("torch: CUDA graph stream: %w", err))
	}
	return ferr
}

// Capture records the kernels fn launches (on the side stream, into the graph's own
// memory pool). fn must not synchronize with the host or copy from pageable host
// memory: either fails the capture, and Capture returns that error.
func (g *Graph) Capture(fn func() error) error {
	return g.OnStream(func() error {
		if err := g.g.CaptureBegin(); err != nil {
			return fmt.Errorf("torch: begin CUDA graph capture: %w", err)
		}
		ferr := fn()
		if err := g.g.CaptureEnd(); err != nil {
			return errors.Join(ferr, fmt.Errorf("torch: end CUDA graph capture: %w", err))
		}
		return ferr
	})
}

// Replay launches the captured kernels on the thread's current stream.
func (g *Graph) Replay() error {
	if err := g.g.Replay(); err != nil {
		return fmt.Errorf("torch: CUDA graph replay: %w", err)
	}
	return nil
}

// Close frees the graph and its memory pool; the tensors the capture made must be
// dropped first. Idempotent.
func (g *Graph) Close() { g.g.Free() }

// CopyInto copies src into dst in place (dst.copy_(src): across devices and dtypes),
// without gotch's Copy_, which exits the process on error.
func CopyInto(dst, src *ts.Tensor) error {
	lib.AtCopy_(lib.Ctensor(dst.Ctensor()), lib.Ctensor(src.Ctensor()))
	if err := ts.TorchErr(); err != nil {
		return fmt.Errorf("torch: copy: %w", err)
	}
	return nil
}
