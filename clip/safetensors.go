package clip

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the data buffer; offsets are relative to the buffer and must tile it exactly.

const maxHeader = 100 << 20 // the limit the safetensors library itself enforces

type stTensor struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// stEntry is how a header entry is read: pointers tell a missing key (or null).
type stEntry struct {
	DType       *string   `json:"dtype"`
	Shape       *[]int64  `json:"shape"`
	DataOffsets *[2]int64 `json:"data_offsets"`
}

// openSafetensors maps path and validates its header against the file.
func openSafetensors(path string) (*checkpoint, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	ck, err := parseSafetensors(m)
	if err != nil {
		m.close()
		return nil, err
	}
	return ck, nil
}

func parseSafetensors(m *mapping) (*checkpoint, error) {
	bad := func(kind error, tensor, format string, a ...any) error {
		return &FormatError{Path: m.path, Tensor: tensor, Reason: fmt.Sprintf(format, a...), Err: kind}
	}
	data := m.data
	if len(data) < 8 {
		return nil, bad(ErrTruncated, "", "%d bytes: too short for a safetensors header", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeader {
		return nil, bad(ErrCorrupt, "", "header length %d is not plausible (not a safetensors file?)", n)
	}
	if 8+n > uint64(len(data)) {
		return nil, bad(ErrTruncated, "", "header of %d bytes, but the file has %d", n, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		return nil, bad(ErrCorrupt, "", "header is not valid JSON: %v", err)
	}
	buf := data[8+n:]
	ck := &checkpoint{path: m.path, format: "safetensors", entries: map[string]*entry{}, m: m}
	if md, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(md, &ck.meta); err != nil {
			return nil, bad(ErrCorrupt, "", "__metadata__ is not a string map: %v", err)
		}
		delete(raw, "__metadata__")
	}
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(raw))
	for name, msg := range raw {
		var raw stEntry
		if err := json.Unmarshal(msg, &raw); err != nil || raw.DType == nil || raw.Shape == nil || raw.DataOffsets == nil {
			return nil, bad(ErrCorrupt, name, "bad header entry %s", msg)
		}
		t := stTensor{DType: *raw.DType, Shape: *raw.Shape, DataOffsets: *raw.DataOffsets}
		info, ok := fileDTypes[t.DType]
		if !ok {
			return nil, bad(ErrUnsupported, name, "dtype %q is not supported", t.DType)
		}
		numel, ok := numelOf(t.Shape)
		if !ok {
			return nil, bad(ErrCorrupt, name, "bad shape %v", t.Shape)
		}
		b, e := t.DataOffsets[0], t.DataOffsets[1]
		if b < 0 || e < b || numel > math.MaxInt64/info.size || e-b != numel*info.size {
			return nil, bad(ErrCorrupt, name, "data_offsets %v do not hold %v %s (%d bytes each)",
				t.DataOffsets, t.Shape, t.DType, info.size)
		}
		spans = append(spans, span{name, b, e})
		ck.entries[name] = &entry{name: name, dtype: t.DType, shape: t.Shape, pos: int64(8+n) + b}
	}
	// The offsets must tile the buffer: sorted, no gap, no overlap, ending at its end.
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var at int64
	for _, s := range spans {
		if s.begin != at {
			return nil, bad(ErrCorrupt, s.name, "data_offsets begin at %d, expected %d (gap or overlap)", s.begin, at)
		}
		if s.end > int64(len(buf)) {
			return nil, bad(ErrTruncated, s.name, "data ends at byte %d of a %d-byte buffer", s.end, len(buf))
		}
		ck.entries[s.name].data = buf[s.begin:s.end]
		at = s.end
	}
	if at != int64(len(buf)) {
		return nil, bad(ErrCorrupt, "", "%d bytes after the last tensor", int64(len(buf))-at)
	}
	return ck, nil
}

func numelOf(shape []int64) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 || d > 0 && n > math.MaxInt64/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}
