package clip

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// DType is the precision the model's weights and activations use.
type DType int

const (
	Float32  DType = iota // the default; the dtype of Hugging Face's goldens
	BFloat16              // opt-in; on CPU and CUDA
	Float16               // CUDA only: libtorch 2.1 has no CPU Half conv2d (slow_conv2d_cpu)
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case BFloat16:
		return "bfloat16"
	case Float16:
		return "float16"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// ParseDType accepts float32/fp32, bfloat16/bf16 and float16/fp16/half.
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(s) {
	case "float32", "fp32", "f32", "float":
		return Float32, nil
	case "bfloat16", "bf16":
		return BFloat16, nil
	case "float16", "fp16", "f16", "half":
		return Float16, nil
	}
	return 0, fmt.Errorf("clip: unknown dtype %q (want float32, bfloat16 or float16)", s)
}

func (d DType) gotch() gotch.DType {
	switch d {
	case BFloat16:
		return gotch.BFloat16
	case Float16:
		return gotch.Half
	}
	return gotch.Float
}

// safetensors dtype name.
func (d DType) st() string {
	switch d {
	case BFloat16:
		return "BF16"
	case Float16:
		return "F16"
	}
	return "F32"
}

// minValue is torch.finfo(dtype).min, the "masked" value transformers puts in
// additive attention masks.
func (d DType) minValue() float32 {
	switch d {
	case BFloat16:
		return -3.3895313892515355e+38
	case Float16:
		return -65504
	}
	return -3.4028234663852886e+38
}

// Device is where the model runs: CPU (the zero value) or a CUDA device.
type Device struct {
	CUDA  bool
	Index int // CUDA device index
}

// CPU is the default device.
var CPU = Device{}

// CUDA returns the CUDA device with index i.
func CUDA(i int) Device { return Device{CUDA: true, Index: i} }

func (d Device) String() string {
	if !d.CUDA {
		return "cpu"
	}
	return fmt.Sprintf("cuda:%d", d.Index)
}

// ParseDevice accepts "cpu", "cuda" and "cuda:N".
func ParseDevice(s string) (Device, error) {
	switch s = strings.ToLower(s); {
	case s == "cpu" || s == "":
		return CPU, nil
	case s == "cuda":
		return CUDA(0), nil
	case strings.HasPrefix(s, "cuda:"):
		i, err := strconv.Atoi(s[5:])
		if err == nil && i >= 0 {
			return CUDA(i), nil
		}
	}
	return CPU, fmt.Errorf("clip: unknown device %q (want cpu, cuda or cuda:N)", s)
}

func (d Device) gotch() gotch.Device {
	if d.CUDA {
		return gotch.CudaBuilder(uint(d.Index))
	}
	return gotch.CPU
}

// check tells whether this binary and machine can run dtype on d.
func (d Device) check(dt DType) error {
	if dt < Float32 || dt > Float16 {
		return &DeviceError{Device: d, DType: dt, Reason: "unknown dtype", Err: ErrUnsupported}
	}
	if d.CUDA {
		if !torch.CUDAAvailable() {
			return &DeviceError{Device: d, DType: dt, Err: ErrNoCUDA,
				Reason: "CUDA is not available (a CPU-only build, or no driver/device; build with CUDA=1 on a CUDA machine)"}
		}
		if n := torch.CUDADevices(); d.Index >= n {
			return &DeviceError{Device: d, DType: dt, Err: ErrNoCUDA, Reason: fmt.Sprintf("only %d CUDA device(s)", n)}
		}
		return nil
	}
	if dt == Float16 {
		return &DeviceError{Device: d, DType: dt, Err: ErrUnsupported,
			Reason: "libtorch 2.1 has no CPU float16 conv2d (\"slow_conv2d_cpu\" not implemented for 'Half', as in PyTorch); use bfloat16 or float32 on CPU, float16 on CUDA"}
	}
	return nil
}
