package clip

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Kinds of failure, for errors.Is. The typed errors below wrap them.
var (
	ErrTruncated        = errors.New("truncated file")
	ErrCorrupt          = errors.New("corrupt file")
	ErrUnsupported      = errors.New("unsupported")
	ErrMissingTensor    = errors.New("missing tensor")
	ErrUnexpectedTensor = errors.New("unexpected tensor")
	ErrShape            = errors.New("wrong shape")
	ErrDType            = errors.New("wrong dtype")
	ErrNoCUDA           = errors.New("CUDA is not available")
	ErrClosed           = errors.New("clip: model closed")
)

// FileError: a file could not be opened or read. errors.Is(err, fs.ErrNotExist)
// tells a missing file.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	var pe *fs.PathError
	if errors.As(e.Err, &pe) && pe.Path == e.Path {
		return "clip: " + e.Err.Error() // it names the path already
	}
	return fmt.Sprintf("clip: %s: %v", e.Path, e.Err)
}
func (e *FileError) Unwrap() error { return e.Err }

// FormatError: a weights file is malformed. Err is ErrTruncated, ErrCorrupt or
// ErrUnsupported (possibly wrapping a lower-level error).
type FormatError struct {
	Path   string
	Tensor string // the tensor concerned, if any
	Reason string
	Err    error
}

func (e *FormatError) Error() string {
	s := "clip: " + e.Path
	if e.Tensor != "" {
		s += ": tensor " + e.Tensor
	}
	return s + ": " + e.Reason
}
func (e *FormatError) Unwrap() error { return e.Err }

// ConfigError: config.json (or the config embedded in a converted file) is unusable.
type ConfigError struct {
	Path   string
	Field  string
	Reason string
	Err    error
}

func (e *ConfigError) Error() string {
	s := "clip: config"
	if e.Path != "" {
		s += " " + e.Path
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *ConfigError) Unwrap() error { return e.Err }

// TensorError: one checkpoint tensor does not fit the model the config describes.
// Kind is ErrMissingTensor, ErrUnexpectedTensor, ErrShape or ErrDType.
type TensorError struct {
	Name      string
	Kind      error
	Want, Got string // shapes or dtypes, for ErrShape / ErrDType
}

func (e *TensorError) Error() string {
	switch e.Kind {
	case ErrShape, ErrDType:
		return fmt.Sprintf("%s: %v: want %s, got %s", e.Name, e.Kind, e.Want, e.Got)
	}
	return fmt.Sprintf("%s: %v", e.Name, e.Kind)
}
func (e *TensorError) Unwrap() error { return e.Kind }

// WeightsError lists every tensor problem found in one checkpoint. errors.As finds
// each *TensorError in it and errors.Is each kind (ErrShape, ...).
type WeightsError struct {
	Path     string
	Problems []*TensorError
}

func (e *WeightsError) Error() string {
	const show = 5
	var parts []string
	for i, p := range e.Problems {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Problems)-show))
			break
		}
		parts = append(parts, p.Error())
	}
	return fmt.Sprintf("clip: %s: %d tensor problem(s): %s", e.Path, len(e.Problems), strings.Join(parts, "; "))
}

func (e *WeightsError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// DeviceError: the requested device or dtype cannot be used here. errors.Is(err,
// ErrNoCUDA) tells a missing CUDA; errors.Is(err, ErrUnsupported) an unsupported
// device/dtype pair (float16 on CPU).
type DeviceError struct {
	Device Device
	DType  DType
	Reason string
	Err    error
}

func (e *DeviceError) Error() string {
	return fmt.Sprintf("clip: device %s, dtype %s: %s", e.Device, e.DType, e.Reason)
}
func (e *DeviceError) Unwrap() error { return e.Err }

// InputError: pixel values or tokens do not fit the model.
type InputError struct {
	Arg    string
	Reason string
}

func (e *InputError) Error() string { return fmt.Sprintf("clip: %s: %s", e.Arg, e.Reason) }

func withPath(err error, path string) error {
	var ce *ConfigError
	if errors.As(err, &ce) && ce.Path == "" {
		ce.Path = path
	}
	return err
}

// torchError shortens gotch's error text ("Xxx() failed: Libtorch API Error: msg",
// then libtorch's C++ context and a Go stack trace) to the first line of libtorch's
// message, naming the op.
func torchError(op string, err error) error {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "Libtorch API Error: "); ok {
		msg = after
	}
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Errorf("clip: libtorch %s: %s", op, msg)
}

var errNilTensor = errors.New("clip: internal error: nil tensor")
