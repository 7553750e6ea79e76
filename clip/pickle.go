package clip

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/pickle"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// pytorch_model.bin: the zip archive torch.save writes (torch >= 1.6), read with
// gotch's unpickler (github.com/sugarme/gotch/pickle) for data.pkl only. Storages are
// not read through gotch (which copies them element by element into Go slices, and
// log.Fatals on libtorch errors in pickle.Decode): each storage is the mapped bytes
// of its zip record (torch.save stores records uncompressed, 64-byte aligned).
//
// Not supported, each a FormatError wrapping ErrUnsupported: the legacy pre-1.6
// (non-zip) format, TorchScript archives, compressed records, big-endian data,
// storages of dtypes other than float/half/bfloat16/double/long/int/short/char/byte/
// bool, sparse or quantized tensors, and pickles whose top level is not a dict of
// tensors (e.g. {"state_dict": ...}).

const maxPickle = 64 << 20 // data.pkl of a 600-tensor state dict is ~50 KB

// lazyStorage stands for one storage record; it satisfies gotch's pickle.Storage so
// gotch's _rebuild_tensor_v2 accepts it, but never loads data through gotch.
type lazyStorage struct {
	key   string
	dtype string // safetensors spelling
	numel int64
}

func (s *lazyStorage) SetFromFile(io.Reader) error { return errors.New("not loaded through gotch") }
func (s *lazyStorage) SetFromFileWithSize(io.Reader, int) error {
	return errors.New("not loaded through gotch")
}
func (s *lazyStorage) DType() gotch.DType   { return fileDTypes[s.dtype].dt }
func (s *lazyStorage) GetData() interface{} { return nil }
func (s *lazyStorage) Device() gotch.Device { return gotch.CPU }

// storageClass is torch.<X>Storage in the pickle.
type storageClass struct{ dtype string }

func (c *storageClass) New(size int, location string) pickle.Storage {
	return &lazyStorage{dtype: c.dtype, numel: int64(size)}
}

var storageClasses = map[string]string{
	"FloatStorage": "F32", "HalfStorage": "F16", "BFloat16Storage": "BF16", "DoubleStorage": "F64",
	"LongStorage": "I64", "IntStorage": "I32", "ShortStorage": "I16", "CharStorage": "I8",
	"ByteStorage": "U8", "BoolStorage": "BOOL",
}

func findClass(module, name string) (interface{}, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return &pickle.RebuildTensorV2{}, nil
	case "torch._utils._rebuild_tensor":
		return &pickle.RebuildTensor{}, nil
	case "torch._utils._rebuild_parameter":
		return &pickle.RebuildParameter{}, nil
	}
	if dt, ok := storageClasses[name]; ok && module == "torch" {
		return &storageClass{dtype: dt}, nil
	}
	return nil, fmt.Errorf("class %s.%s is not supported", module, name)
}

// openPickle maps a torch.save zip archive and indexes its tensors.
func openPickle(path string) (*checkpoint, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	ck, err := parsePickle(m)
	if err != nil {
		m.close()
		return nil, err
	}
	return ck, nil
}

func parsePickle(m *mapping) (ck *checkpoint, err error) {
	bad := func(kind error, tensor, format string, a ...any) error {
		return &FormatError{Path: m.path, Tensor: tensor, Reason: fmt.Sprintf(format, a...), Err: kind}
	}
	zr, err := zip.NewReader(bytes.NewReader(m.data), int64(len(m.data)))
	if err != nil {
		if bytes.HasPrefix(m.data, []byte("PK\x03\x04")) {
			return nil, bad(ErrTruncated, "", "zip archive without its central directory (truncated?): %v", err)
		}
		return nil, bad(ErrUnsupported, "", "not a zip archive (legacy torch.save format?): %v", err)
	}
	records, prefix := map[string]*zip.File{}, ""
	for _, f := range zr.File {
		records[f.Name] = f
		if strings.HasSuffix(f.Name, "data.pkl") && strings.Count(f.Name, "/") <= 1 {
			prefix = strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	pkl, ok := records[prefix+"data.pkl"]
	switch {
	case !ok:
		return nil, bad(ErrUnsupported, "", "no data.pkl: not a torch.save archive")
	case records[prefix+"constants.pkl"] != nil:
		return nil, bad(ErrUnsupported, "", "a TorchScript archive, not a state dict")
	case pkl.UncompressedSize64 > maxPickle:
		return nil, bad(ErrCorrupt, "", "data.pkl of %d bytes", pkl.UncompressedSize64)
	}
	if bo, ok := records[prefix+"byteorder"]; ok {
		if b, err := readRecord(bo, 16); err != nil || string(b) != "little" {
			return nil, bad(ErrUnsupported, "", "byte order %q (want little)", b)
		}
	}
	raw, err := readRecord(pkl, maxPickle)
	if err != nil {
		return nil, bad(ErrCorrupt, "", "reading data.pkl: %v", err)
	}
	obj, err := unpickle(raw)
	if err != nil {
		return nil, bad(ErrUnsupported, "", "data.pkl: %v", err)
	}
	tensors, err := stateDict(obj)
	if err != nil {
		return nil, bad(ErrUnsupported, "", "data.pkl: %v", err)
	}
	ck = &checkpoint{path: m.path, format: "pytorch", entries: map[string]*entry{}, m: m}
	for name, st := range tensors {
		e, err := storageEntry(m, records, prefix, name, st)
		if err != nil {
			return nil, err
		}
		ck.entries[name] = e
	}
	return ck, nil
}

// unpickle runs gotch's unpickler, turning its panics (it has a few on unsupported
// input) into errors.
func unpickle(raw []byte) (obj interface{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("unpickler panic: %v", r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(raw))
	u.FindClass = findClass
	u.PersistentLoad = func(id interface{}) (interface{}, error) {
		t, ok := id.(*pickle.Tuple)
		if !ok || t.Len() < 5 {
			return nil, fmt.Errorf("persistent id %v: want ('storage', class, key, location, numel)", id)
		}
		typ, _ := t.Get(0).(string)
		class, okC := t.Get(1).(*storageClass)
		key, okK := t.Get(2).(string)
		numel, okN := t.Get(4).(int)
		if typ != "storage" || !okC || !okK || !okN || numel < 0 {
			return nil, fmt.Errorf("persistent id %v is not a supported storage", id)
		}
		return &lazyStorage{key: key, dtype: class.dtype, numel: int64(numel)}, nil
	}
	return u.Load()
}

// stateDict accepts a dict or OrderedDict whose values are all tensors.
func stateDict(obj interface{}) (map[string]*pickle.StorageTensor, error) {
	out := map[string]*pickle.StorageTensor{}
	put := func(k, v interface{}) error {
		name, ok := k.(string)
		if !ok {
			return fmt.Errorf("key %v is not a string", k)
		}
		t, ok := v.(*pickle.StorageTensor)
		if !ok {
			return fmt.Errorf("value of %q is a %T, not a tensor", name, v)
		}
		out[name] = t
		return nil
	}
	switch d := obj.(type) {
	case *pickle.Dict:
		for _, it := range *d {
			if err := put(it.Key, it.Value); err != nil {
				return nil, err
			}
		}
	case *pickle.OrderedDict:
		for k, it := range d.Map {
			if err := put(k, it.Value); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("top level is a %T, want a dict of tensors", obj)
	}
	return out, nil
}

// storageEntry checks one tensor against its storage record and points it at the
// record's bytes in the map.
func storageEntry(m *mapping, records map[string]*zip.File, prefix, name string, st *pickle.StorageTensor) (*entry, error) {
	bad := func(kind error, format string, a ...any) error {
		return &FormatError{Path: m.path, Tensor: name, Reason: fmt.Sprintf(format, a...), Err: kind}
	}
	s, ok := st.Source.(*lazyStorage)
	if !ok {
		return nil, bad(ErrUnsupported, "storage of type %T", st.Source)
	}
	size := fileDTypes[s.dtype].size
	f := records[prefix+"data/"+s.key]
	if f == nil {
		return nil, bad(ErrCorrupt, "storage record data/%s is missing", s.key)
	}
	if f.Method != zip.Store {
		return nil, bad(ErrUnsupported, "storage record data/%s is compressed", s.key)
	}
	if f.UncompressedSize64 != uint64(s.numel*size) {
		return nil, bad(ErrCorrupt, "storage record data/%s has %d bytes, want %d %s", s.key, f.UncompressedSize64, s.numel, s.dtype)
	}
	off, err := f.DataOffset()
	if err != nil || off < 0 || uint64(off)+f.UncompressedSize64 > uint64(len(m.data)) {
		return nil, bad(ErrTruncated, "storage record data/%s lies past the end of the file", s.key)
	}
	if len(st.Size) != len(st.Stride) || st.StorageOffset < 0 {
		return nil, bad(ErrCorrupt, "size %v, stride %v, offset %d", st.Size, st.Stride, st.StorageOffset)
	}
	// The furthest element must lie inside the storage.
	numel, ok := numelOf(st.Size)
	last := st.StorageOffset
	for i, d := range st.Size {
		if st.Stride[i] < 0 {
			return nil, bad(ErrUnsupported, "negative stride %v", st.Stride)
		}
		if d > 0 {
			last += (d - 1) * st.Stride[i]
		}
	}
	if !ok || numel > 0 && last >= s.numel {
		return nil, bad(ErrCorrupt, "size %v, stride %v at offset %d overrun a storage of %d", st.Size, st.Stride, st.StorageOffset, s.numel)
	}
	e := &entry{name: name, dtype: s.dtype, shape: st.Size, offset: st.StorageOffset,
		data: m.data[off : uint64(off)+f.UncompressedSize64], pos: off + st.StorageOffset*size}
	if !sameShape(st.Stride, torch.ContiguousStrides(st.Size)) {
		e.strides = st.Stride
	}
	return e, nil
}

func readRecord(f *zip.File, limit int64) ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit))
}
