package clip

import (
	"fmt"

	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// captured is one forward captured in a CUDA graph; replay recomputes out in place.
// Under emulateGraphs (set by tests only) there is no CUDA graph and replay runs the
// forward again, so that the static inputs' plumbing is checked on a CPU.
type captured struct {
	graph *torch.Graph
	out   *ts.Tensor
	run   func(keep bool) (*ts.Tensor, error)
}

// emulateGraphs: tests only (see captured).
var emulateGraphs = false

func (c *captured) replay() error {
	if c.graph != nil {
		return c.graph.Replay()
	}
	out, err := c.run(true)
	if err != nil {
		return err
	}
	_ = c.out.Drop()
	c.out = out
	return nil
}

func (c *captured) close() {
	if c == nil {
		return
	}
	if c.out != nil {
		_ = c.out.Drop() // before the graph's pool goes
		c.out = nil
	}
	if c.graph != nil {
		c.graph.Close()
		c.graph = nil
	}
}

// capture makes a CUDA graph of fwd, which must read only tensors that outlive the
// graph (its static inputs, the weights): one uncaptured warm-up run on the graph's
// stream, then the captured run, whose output it keeps (every other tensor fwd makes
// is freed). On the worker thread.
func (m *Model) capture(fwd func(g *graph) *ts.Tensor) (*captured, error) {
	c := &captured{}
	c.run = func(keep bool) (*ts.Tensor, error) {
		var s torch.Scope
		defer s.Free()
		g := &graph{s: &s, dtype: m.dtype, dev: m.dev, attn: m.attn}
		f := fwd(g)
		switch {
		case g.err != nil:
			return nil, g.err
		case f == nil:
			return nil, errNilTensor
		case keep:
			return s.Keep(f), nil
		}
		return nil, nil
	}
	if emulateGraphs {
		var err error
		c.out, err = c.run(true)
		return c, err
	}
	var err error
	if c.graph, err = torch.NewGraph(m.dev.Index); err != nil {
		return nil, err
	}
	if err := c.graph.OnStream(func() error { _, err := c.run(false); return err }); err != nil {
		c.close()
		return nil, fmt.Errorf("clip: CUDA graph warm-up: %w", err)
	}
	err = c.graph.Capture(func() error {
		var err error
		c.out, err = c.run(true)
		return err
	})
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// features is a tower's projected output, normalized or not.
func (m *Model) features(g *graph, f *ts.Tensor, normalize bool) *ts.Tensor {
	if normalize {
		return m.normalize(g, f)
	}
	return f
}

// checkGraphs refuses Options.CUDAGraphs where there are none.
func checkGraphs(opts Options) error {
	switch {
	case opts.CUDAGraphs < 0:
		return &DeviceError{Device: opts.Device, DType: opts.DType, Err: ErrUnsupported,
			Reason: fmt.Sprintf("CUDAGraphs %d: want 0 (none) or the largest batch to replay", opts.CUDAGraphs)}
	case opts.CUDAGraphs == 0:
		return nil
	case !opts.Device.CUDA:
		return &DeviceError{Device: opts.Device, DType: opts.DType, Err: ErrUnsupported, Reason: "CUDA graphs need a CUDA device"}
	case !torch.GraphsBuilt():
		return &DeviceError{Device: opts.Device, DType: opts.DType, Err: ErrUnsupported, Reason: torch.ErrNoGraphs.Error()}
	}
	return nil
}
