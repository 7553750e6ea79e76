package clip

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// Options for Load. The zero value loads float32 weights on the CPU.
type Options struct {
	Device Device // CPU (default) or CUDA(i)
	DType  DType  // Float32 (default), BFloat16, or Float16 (CUDA only)
	// Threads > 0 sets libtorch's intra-op thread count, on the model's own worker
	// thread (OpenMP keeps the count per thread). 0 leaves libtorch's default.
	Threads int
	// Copy makes every tensor a copy. By default a tensor already in the wanted dtype
	// and aligned for its element type in the file (in practice every tensor of a
	// model.safetensors, a pytorch_model.bin or a Convert output) is used in place from
	// the read-only memory map, with no copy:
	// then the file must not be truncated or rewritten in place while the Model is open
	// (replace it by rename, as Convert does).
	Copy bool
	// AllowUnexpected loads a checkpoint that has tensors the model does not use
	// (listed in Info().Unexpected) instead of failing with a WeightsError.
	AllowUnexpected bool
	// Attention is the attention implementation: AttnAuto (the zero value) picks what
	// transformers would (ResolveAttention: the config's _attn_implementation, else
	// eager on libtorch 2.1.0 and SDPA on newer ones); AttnEager and AttnSDPA force one.
	Attention AttnImplementation
	// CUDAGraphs > 0 makes ImageEmbeds and GetImageFeatures replay CUDA graphs
	// (CaptureImages) for batches of up to that many images on a CUDA device, where a
	// forward is bound by launching its kernels: each batch size is captured on its
	// first call and kept until Close (one forward's activations at that size each);
	// larger batches run uncaptured. CPU devices and binaries without CUDA graphs get
	// a DeviceError from Load.
	CUDAGraphs int
}

// LoadInfo describes what Load read.
type LoadInfo struct {
	Path       string        // the weights file
	Format     string        // "safetensors", "pytorch" or "converted"
	Tensors    int           // parameters loaded
	InPlace    int           // of which used in place from the memory map
	Attention  string        // where Model.Attention came from: "option", "config" or "default"
	Unexpected []string      // with AllowUnexpected: the tensors ignored
	Duration   time.Duration // wall time of Load
}

// Names of the files a Hugging Face model directory holds.
const (
	ConfigFile      = "config.json"
	SafetensorsFile = "model.safetensors"
	PickleFile      = "pytorch_model.bin"
)

// Metadata keys of a converted file (see Convert).
const (
	metaFormat = "zeroshot_clip.format"
	metaConfig = "zeroshot_clip.config"
	metaDType  = "zeroshot_clip.dtype"
	metaSource = "zeroshot_clip.source"
	formatV1   = "1"
)

// openModel finds the weights and the config for path: a Hugging Face model
// directory (model.safetensors, else pytorch_model.bin, with config.json), one of
// those files (config.json beside it), or a converted file (config inside).
func openModel(path string) (*checkpoint, *Config, []byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, nil, &FileError{Path: path, Err: err}
	}
	file := path
	if st.IsDir() {
		file = ""
		for _, name := range []string{SafetensorsFile, PickleFile} {
			if _, err := os.Stat(filepath.Join(path, name)); err == nil {
				file = filepath.Join(path, name)
				break
			}
		}
		if file == "" {
			for _, idx := range []string{SafetensorsFile + ".index.json", PickleFile + ".index.json"} {
				if _, err := os.Stat(filepath.Join(path, idx)); err == nil {
					return nil, nil, nil, &FormatError{Path: filepath.Join(path, idx), Err: ErrUnsupported,
						Reason: "sharded checkpoints are not supported (convert to one file with Convert)"}
				}
			}
			return nil, nil, nil, &FileError{Path: path, Err: fmt.Errorf("no %s or %s: %w", SafetensorsFile, PickleFile, fs.ErrNotExist)}
		}
	}
	ck, err := openWeights(file)
	if err != nil {
		return nil, nil, nil, err
	}
	var raw []byte
	if text, ok := ck.meta[metaConfig]; ok && ck.meta[metaFormat] != "" {
		ck.format = "converted"
		if ck.meta[metaFormat] != formatV1 {
			ck.close()
			return nil, nil, nil, &FormatError{Path: file, Err: ErrUnsupported, Reason: fmt.Sprintf("converted format version %q (this build reads %q)", ck.meta[metaFormat], formatV1)}
		}
		raw = []byte(text)
	} else {
		cfgPath := filepath.Join(filepath.Dir(file), ConfigFile)
		if raw, err = os.ReadFile(cfgPath); err != nil {
			ck.close()
			return nil, nil, nil, &FileError{Path: cfgPath, Err: err}
		}
		path = cfgPath
	}
	cfg, err := ParseConfig(raw)
	if err != nil {
		ck.close()
		return nil, nil, nil, withPath(err, path)
	}
	return ck, cfg, raw, nil
}

// openWeights opens a safetensors file or a torch.save zip, by content; other formats
// it recognizes (sniff) are refused with what they are.
func openWeights(file string) (*checkpoint, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &FileError{Path: file, Err: err}
	}
	head := make([]byte, sniffLen)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return openPickle(file)
	}
	if why := sniff(head); why != "" {
		return nil, &FormatError{Path: file, Reason: why, Err: ErrUnsupported}
	}
	return openSafetensors(file)
}

// Load reads a CLIP model: a Hugging Face model directory (config.json with
// model.safetensors or pytorch_model.bin), one of those weight files, or a file
// written by Convert. Every tensor the config implies must be there with its shape
// and a floating dtype; anything else is a *WeightsError (see AllowUnexpected). The
// returned Model runs on its own locked OS thread; Close it to free its memory.
func Load(path string, opts Options) (*Model, error) {
	start := time.Now()
	if err := opts.Device.check(opts.DType); err != nil {
		return nil, err
	}
	if err := checkGraphs(opts); err != nil && !emulateGraphs {
		return nil, err
	}
	ck, cfg, _, err := openModel(path)
	if err != nil {
		return nil, err
	}
	attn, from, err := ResolveAttention(opts.Attention, cfg, torch.Version())
	if err != nil {
		cfgPath := ck.path // a converted file carries its config
		if ck.format != "converted" {
			cfgPath = filepath.Join(filepath.Dir(ck.path), ConfigFile)
		}
		ck.close()
		return nil, withPath(err, cfgPath)
	}
	m := &Model{cfg: *cfg, dtype: opts.DType, dev: opts.Device, attn: attn, graphMax: opts.CUDAGraphs}
	b := m.bind(cfg)
	if err := validate(ck, b.params, opts.AllowUnexpected); err != nil {
		ck.close()
		return nil, err
	}
	if m.worker, err = torch.NewWorker(); err != nil {
		ck.close()
		return nil, err
	}
	m.info = LoadInfo{Path: ck.path, Format: ck.format, Tensors: len(b.params), Attention: from}
	m.info.Unexpected = unexpected(ck, b.params)
	err = m.worker.Do(func() error { return m.materialize(ck, b, opts) })
	if err != nil {
		_ = m.worker.Do(func() error { m.free(); return nil })
		m.worker.Close()
		ck.close()
		return nil, err
	}
	if m.info.InPlace > 0 {
		m.mapped = ck.m // tensors view it: unmapped by Close
	} else {
		ck.close()
	}
	m.info.Duration = time.Since(start)
	return m, nil
}

// materialize makes every tensor on the worker thread, in file order.
func (m *Model) materialize(ck *checkpoint, b *binder, opts Options) error {
	if opts.Threads > 0 {
		if err := torch.SetThreads(opts.Threads); err != nil {
			return err
		}
	}
	for _, p := range byFilePosition(ck, b.params) {
		t, inPlace, err := ck.tensor(ck.entries[p.name], m.dtype, m.dev, !opts.Copy)
		if err != nil {
			return err
		}
		*p.dst = t
		m.owned = append(m.owned, t)
		if inPlace {
			m.info.InPlace++
		}
	}
	for _, s := range b.scalars {
		if s.integer {
			*s.dst = ts.IntScalar(int64(s.v))
		} else {
			*s.dst = ts.FloatScalar(s.v)
		}
	}
	for _, a := range b.aranges { // register_buffer("position_ids", torch.arange(n).expand((1, -1)))
		r, err := ts.Arange(ts.IntScalar(a.n), gotch.Int64, m.dev.gotch())
		if err != nil {
			return torchError("arange", err)
		}
		u, err := r.Unsqueeze(0, false)
		_ = r.Drop()
		if err != nil {
			return torchError("unsqueeze", err)
		}
		*a.dst = u
		m.owned = append(m.owned, u)
	}
	return nil
}

func unexpected(ck *checkpoint, params []*param) []string {
	err := validate(ck, params, false)
	var we *WeightsError
	if !errors.As(err, &we) {
		return nil
	}
	var out []string
	for _, p := range we.Problems {
		if p.Kind == ErrUnexpectedTensor {
			out = append(out, p.Name)
		}
	}
	return out
}
