// Package torch is the project's small boundary to libtorch through gotch: a worker
// that runs libtorch calls on one locked OS thread with autograd off, a scope that
// frees intermediate tensors deterministically, and thread and version queries.
//
// Library code never calls gotch's Must* helpers (they log.Fatal); it uses the
// error-returning ops and frees what it makes through a Scope.
package torch

import (
	"fmt"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Version is the libtorch version the binary was compiled against.
func Version() string { return lib.AtVersion() }

// SetThreads sets libtorch's intra-op thread count (n >= 1). Call it before the
// first forward: OpenMP threads that already ran keep their team size.
func SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("torch: thread count %d: must be at least 1", n)
	}
	return ts.SetNumThreads(n)
}

// Threads returns libtorch's intra-op thread count.
func Threads() (int, error) { return ts.GetNumThreads() }

// CUDAAvailable reports whether this binary can use a CUDA device: it must be a CUDA
// build (CUDA=1) and a driver and device must be present.
func CUDAAvailable() bool { return gotch.CUDA.IsAvailable() }

// CUDADevices returns the number of visible CUDA devices (0 in a CPU build).
func CUDADevices() int { return int(gotch.CUDA.DeviceCount()) }

// SetTF32 sets whether CUDA float32 matmuls (cuBLAS) and convolutions (cuDNN) may
// compute in TF32, as torch.backends.cuda.matmul.allow_tf32 and
// torch.backends.cudnn.allow_tf32 do in Python. libtorch's defaults are PyTorch's:
// matmuls off, convolutions on. Process-wide; no effect on CPU.
func SetTF32(matmul, conv bool) { lib.AtSetAllowTF32(matmul, conv) }

// TF32 reports the two switches.
func TF32() (matmul, conv bool) { return lib.AtAllowTF32() }
