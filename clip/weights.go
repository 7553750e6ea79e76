package clip

import (
	"fmt"
	"sort"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// entry is one tensor of a checkpoint file, its bytes still in the mapped file.
type entry struct {
	name    string
	dtype   string  // safetensors spelling: F32, F16, BF16, I64, ...
	shape   []int64 //
	strides []int64 // in elements; nil: C-contiguous
	offset  int64   // element offset of element 0 into data
	data    []byte  // the tensor's storage (for .bin, the whole storage record)
	pos     int64   // byte position in the file, to load in file order
}

// checkpoint is an open weights file: its tensors, metadata and memory map.
type checkpoint struct {
	path    string
	format  string // "safetensors", "pytorch" (.bin) or "converted"
	entries map[string]*entry
	meta    map[string]string
	m       *mapping
}

func (c *checkpoint) close() error { return c.m.close() }

var fileDTypes = map[string]struct {
	dt   gotch.DType
	size int64
}{
	"F64": {gotch.Double, 8}, "F32": {gotch.Float, 4}, "F16": {gotch.Half, 2}, "BF16": {gotch.BFloat16, 2},
	"I64": {gotch.Int64, 8}, "I32": {gotch.Int, 4}, "I16": {gotch.Int16, 2}, "I8": {gotch.Int8, 1},
	"U8": {gotch.Uint8, 1}, "BOOL": {gotch.Bool, 1},
}

// floating are the checkpoint dtypes a parameter may have (converted on load).
var floating = map[string]bool{"F32": true, "F16": true, "BF16": true, "F64": true}

// ignoredKeys are buffers checkpoints carry and the model rebuilds (arange), as
// transformers does: they are expected, and ignored.
var ignoredKeys = map[string]bool{
	"text_model.embeddings.position_ids":   true,
	"vision_model.embeddings.position_ids": true,
}

// param is one checkpoint tensor the model expects, and where it goes.
type param struct {
	name  string
	shape []int64
	dst   **ts.Tensor
}

// binder collects what a module tree needs: checkpoint tensors (by name and shape),
// and scalars and position-id buffers made at load.
type binder struct {
	params  []*param
	scalars []scalarReq
	aranges []arangeReq
}

type scalarReq struct {
	dst     **ts.Scalar
	v       float64
	integer bool // a Python int (torch.pow(x, 2)) rather than a float
}

type arangeReq struct {
	dst **ts.Tensor
	n   int64
}

func (b *binder) add(dst **ts.Tensor, name string, shape ...int64) {
	if shape == nil {
		shape = []int64{} // a scalar: "shape": [] in a safetensors header, not null
	}
	b.params = append(b.params, &param{name: name, shape: shape, dst: dst})
}

func (b *binder) scalar(dst **ts.Scalar, v float64) {
	b.scalars = append(b.scalars, scalarReq{dst: dst, v: v})
}

func (b *binder) intScalar(dst **ts.Scalar, v int64) {
	b.scalars = append(b.scalars, scalarReq{dst: dst, v: float64(v), integer: true})
}

func (b *binder) arange(dst **ts.Tensor, n int64) { b.aranges = append(b.aranges, arangeReq{dst, n}) }

// Expected returns the checkpoint tensor names and shapes a config implies, in
// module order: what Load requires of a file.
func (c *Config) Expected() (names []string, shapes [][]int64) {
	var m Model
	b := m.bind(c)
	for _, p := range b.params {
		names, shapes = append(names, p.name), append(shapes, p.shape)
	}
	return names, shapes
}

// validate checks every expected tensor is present with its shape and a floating
// dtype, and (unless allowed) that nothing else is there.
func validate(ck *checkpoint, params []*param, allowUnexpected bool) error {
	var problems []*TensorError
	want := map[string]bool{}
	for _, p := range params {
		want[p.name] = true
		e, ok := ck.entries[p.name]
		switch {
		case !ok:
			problems = append(problems, &TensorError{Name: p.name, Kind: ErrMissingTensor})
		case !sameShape(e.shape, p.shape):
			problems = append(problems, &TensorError{Name: p.name, Kind: ErrShape, Want: fmt.Sprint(p.shape), Got: fmt.Sprint(e.shape)})
		case !floating[e.dtype]:
			problems = append(problems, &TensorError{Name: p.name, Kind: ErrDType, Want: "F32, F16 or BF16", Got: e.dtype})
		}
	}
	if !allowUnexpected {
		var extra []string
		for name := range ck.entries {
			if !want[name] && !ignoredKeys[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			problems = append(problems, &TensorError{Name: name, Kind: ErrUnexpectedTensor})
		}
	}
	if len(problems) > 0 {
		return &WeightsError{Path: ck.path, Problems: problems}
	}
	return nil
}

func sameShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// byFilePosition orders params as their tensors lie in the file, so the pages
// already copied can be released as loading proceeds.
func byFilePosition(ck *checkpoint, params []*param) []*param {
	out := append([]*param(nil), params...)
	sort.SliceStable(out, func(i, j int) bool { return ck.entries[out[i].name].pos < ck.entries[out[j].name].pos })
	return out
}

// A tensor whose bytes lie in the map at an address aligned for its element type,
// already in the wanted dtype, is used in place. Element alignment is what libtorch's
// kernels need, and it is where transformers' own memory-mapped safetensors weights
// lie (HF files put tensors 4 bytes off 64-byte boundaries); requiring 64 bytes made
// every tensor of such a file a copy. Convert still lays its data out 64-byte aligned
// (zeroCopyAlign), the alignment of libtorch's own CPU allocations.
const zeroCopyAlign = 64

var zeroByte byte

// tensor makes the libtorch tensor for e in dtype dt on dev. It views the mapped
// bytes in place when allowed and possible (CPU, same dtype, contiguous, aligned for
// the element type) and reports that; otherwise it copies (converting the dtype with
// libtorch, as PyTorch's .to() rounds) and releases the source pages.
func (c *checkpoint) tensor(e *entry, dt DType, dev Device, zeroCopy bool) (*ts.Tensor, bool, error) {
	info := fileDTypes[e.dtype]
	ptr := unsafe.Pointer(&zeroByte) // zero-element tensors read nothing
	if len(e.data) > 0 {
		ptr = unsafe.Add(unsafe.Pointer(&e.data[0]), e.offset*info.size)
	}
	view, err := torch.FromBlob(ptr, e.shape, e.strides, info.dt)
	if err != nil {
		return nil, false, fmt.Errorf("clip: %s: tensor %s: %w", c.path, e.name, err)
	}
	if zeroCopy && !dev.CUDA && info.dt == dt.gotch() && e.strides == nil && uintptr(ptr)%uintptr(info.size) == 0 {
		return view, true, nil
	}
	out, err := view.ToDevice(dev.gotch(), dt.gotch(), false, true, false)
	_ = view.Drop()
	if err == nil && e.strides != nil {
		var cont *ts.Tensor
		if cont, err = out.Contiguous(false); err == nil {
			_ = out.Drop()
			out = cont
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("clip: %s: tensor %s: %w", c.path, e.name, torchError("to", err))
	}
	c.m.release(e.data)
	return out, false, nil
}

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
