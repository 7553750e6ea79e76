package torch

import (
	"fmt"

	lib "github.com/sugarme/gotch/libtch"
)

// StartProfile starts libtorch's Kineto profiler (what Python's torch.profiler runs, with
// record_shapes) on the calling OS thread: the ops that thread runs until StopProfile
// are recorded with their input shapes, dtypes and strides, and with cuda the CUDA
// kernels they launch. The profiler is thread-local: call both inside one Worker.
func StartProfile(cuda bool) error {
	if err := lib.AtProfileStart(cuda); err != nil {
		return fmt.Errorf("torch: starting the profiler: %w", err)
	}
	return nil
}

// StopProfile stops the profiler StartProfile started on this thread and writes its
// Chrome trace (the JSON torch.profiler's export_chrome_trace writes) to path.
func StopProfile(path string) error {
	if err := lib.AtProfileStop(path); err != nil {
		return fmt.Errorf("torch: writing the profile %s: %w", path, err)
	}
	return nil
}
