package clip

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/zeroshot-clip/zeroshot/internal/atomicfile"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// Convert writes the model at src (anything Load reads) as one self-contained file
// at dst, with every parameter in dtype, for the fastest Load:
//
//   - It is a valid safetensors file (the safetensors library reads it), holding
//     exactly the model's parameters (no position_ids buffers).
//   - __metadata__ carries the source config.json verbatim ("zeroshot_clip.config"),
//     the format version ("zeroshot_clip.format": "1"), the dtype and the source file
//     name, so the one file is a complete model.
//   - The JSON header is padded with spaces (as the format allows) so the data starts
//     at a 64-byte boundary, and tensors whose byte size is a multiple of 64 come
//     first: each of them starts 64-byte aligned (for ViT-L/14: all but logit_scale),
//     so Load on the CPU uses them in place from the memory map, with no copy. The
//     few others (small, at the end) are copied.
//
// The dtype conversion is libtorch's own (the rounding of PyTorch's .to(dtype)). The
// source is validated as strictly as Load does. dst is written to a temporary file
// beside it and renamed into place, so a Model reading the old dst keeps working.
func Convert(src, dst string, dtype DType) error {
	if dtype < Float32 || dtype > Float16 {
		return fmt.Errorf("clip: convert: unknown dtype %v", dtype)
	}
	ck, cfg, rawConfig, err := openModel(src)
	if err != nil {
		return err
	}
	defer ck.close()
	b := (&Model{}).bind(cfg)
	if err := validate(ck, b.params, false); err != nil {
		return err
	}
	params, header, err := convertLayout(ck, b.params, dtype, rawConfig)
	if err != nil {
		return err
	}
	tmp, err := atomicfile.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp-", "") // 0666 less the umask, as any tool's output
	if err != nil {
		return &FileError{Path: dst, Err: err}
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 4<<20)
	if _, err := w.Write(header); err != nil {
		return &FileError{Path: tmp.Name(), Err: err}
	}
	worker, err := torch.NewWorker()
	if err != nil {
		return err
	}
	defer worker.Close()
	for _, p := range params {
		e := ck.entries[p.name]
		if err := worker.Do(func() error { return writeTensor(w, ck, e, dtype) }); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return &FileError{Path: tmp.Name(), Err: err}
	}
	if err := tmp.Sync(); err != nil {
		return &FileError{Path: tmp.Name(), Err: err}
	}
	if err := tmp.Close(); err != nil {
		return &FileError{Path: tmp.Name(), Err: err}
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return &FileError{Path: dst, Err: err}
	}
	done = true
	return nil
}

// convertLayout orders the parameters (64-byte multiples first) and builds the
// padded header (8-byte length + JSON).
func convertLayout(ck *checkpoint, params []*param, dtype DType, rawConfig []byte) ([]*param, []byte, error) {
	size := fileDTypes[dtype.st()].size
	var aligned, rest []*param
	for _, p := range params {
		n, _ := numelOf(p.shape)
		if n*size%zeroCopyAlign == 0 {
			aligned = append(aligned, p)
		} else {
			rest = append(rest, p)
		}
	}
	ordered := append(aligned, rest...)
	hdr := map[string]any{"__metadata__": map[string]string{
		"format": "pt", metaFormat: formatV1, metaConfig: string(rawConfig),
		metaDType: dtype.String(), metaSource: filepath.Base(ck.path),
	}}
	var at int64
	for _, p := range ordered {
		n, _ := numelOf(p.shape)
		hdr[p.name] = stTensor{DType: dtype.st(), Shape: p.shape, DataOffsets: [2]int64{at, at + n*size}}
		at += n * size
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return nil, nil, err
	}
	for (8+len(js))%zeroCopyAlign != 0 {
		js = append(js, ' ')
	}
	out := make([]byte, 8, 8+len(js))
	for i, n := 0, uint64(len(js)); i < 8; i++ {
		out[i] = byte(n >> (8 * i))
	}
	return ordered, append(out, js...), nil
}

// writeTensor writes e's values in dtype: the mapped bytes as they are when they
// already are, else through libtorch's conversion. On the worker thread.
func writeTensor(w *bufio.Writer, ck *checkpoint, e *entry, dtype DType) error {
	defer ck.m.release(e.data)
	if e.dtype == dtype.st() && e.strides == nil {
		n, _ := numelOf(e.shape)
		size := fileDTypes[e.dtype].size
		_, err := w.Write(e.data[e.offset*size : (e.offset+n)*size])
		return err
	}
	t, _, err := ck.tensor(e, dtype, CPU, false)
	if err != nil {
		return err
	}
	defer t.Drop()
	n, _ := numelOf(e.shape)
	if n == 0 {
		return nil
	}
	ptr, err := t.DataPtr()
	if err != nil {
		return torchError("data_ptr", err)
	}
	_, err = w.Write(unsafe.Slice((*byte)(ptr), n*fileDTypes[dtype.st()].size))
	return err
}
