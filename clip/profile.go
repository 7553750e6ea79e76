package clip

import (
	"errors"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// Profile runs f with libtorch's Kineto profiler on the model's thread and writes the
// Chrome trace of the ops f's calls ran there (names, input shapes, dtypes and strides;
// on CUDA the kernels and their times) to path: the trace torch.profiler.profile(
// record_shapes=True).export_chrome_trace writes for the same calls in Python, so the
// two graphs can be compared op by op (bench/cmd/gobench ops, scripts/op-trace.py).
// f must call only this model's methods; no other call may run on the model meanwhile.
func (m *Model) Profile(path string, f func() error) error {
	if err := m.worker.Do(func() error { return torch.StartProfile(m.dev.CUDA) }); err != nil {
		return err
	}
	ferr := f()
	serr := m.worker.Do(func() error { return torch.StopProfile(path) })
	return errors.Join(ferr, serr)
}
