package main

import (
	"context"
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// clipOptions checks --device, --dtype, --threads and --cuda-graphs (a usage error, before anything is
// downloaded or loaded).
func (m *modelFlags) clipOptions() (clip.Options, error) {
	dev, err := clip.ParseDevice(m.device)
	if err != nil {
		return clip.Options{}, exitUsage{err}
	}
	dt, err := clip.ParseDType(m.dtype)
	if err != nil {
		return clip.Options{}, exitUsage{err}
	}
	if m.threads < 0 {
		return clip.Options{}, exitUsage{fmt.Errorf("--threads %d: want 0 (libtorch's default) or more", m.threads)}
	}
	_, _, attn, err := m.profile()
	if err != nil {
		return clip.Options{}, err
	}
	if m.graphs < 0 {
		return clip.Options{}, exitUsage{fmt.Errorf("--cuda-graphs %d: want 0 (off) or the largest batch to replay", m.graphs)}
	}
	if m.graphs > 0 && !dev.CUDA {
		return clip.Options{}, exitUsage{fmt.Errorf("--cuda-graphs %d needs --device cuda (CUDA graphs replay GPU kernels; the device is %s)", m.graphs, dev)}
	}
	return clip.Options{Device: dev, DType: dt, Threads: m.threads, Attention: attn, CUDAGraphs: m.graphs}, nil
}

// zeroshotOptions are the classifier options of the flags (checked as clipOptions).
func (m *modelFlags) zeroshotOptions() (zeroshot.Options, error) {
	opts, err := m.clipOptions()
	if err != nil {
		return zeroshot.Options{}, err
	}
	parity, backend, _, err := m.profile()
	if err != nil {
		return zeroshot.Options{}, err
	}
	batching, err := m.batchingMode()
	if err != nil {
		return zeroshot.Options{}, err
	}
	return zeroshot.Options{Model: opts, Parity: parity, Backend: backend, Batching: batching}, nil
}

// classifierOptions are the settings of a command's Classifier beyond the model flags.
type classifierOptions struct {
	labelCache   string // --label-cache directory, or ""
	textBatch    int    // --label-batch (0: automatic)
	textProgress func(done, total int)
}

// openClassifier resolves --model (downloading it with progress on stderr if needed)
// and loads it.
func (m *modelFlags) openClassifier(ctx context.Context, stderr io.Writer, co classifierOptions) (*zeroshot.Classifier, error) {
	opts, err := m.zeroshotOptions()
	if err != nil {
		return nil, err
	}
	dir, err := m.resolve(ctx, stderr)
	if err != nil {
		return nil, err
	}
	opts.LabelCacheDir, opts.TextBatch, opts.TextProgress = co.labelCache, co.textBatch, co.textProgress
	c, err := zeroshot.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.model, err)
	}
	return c, nil
}
