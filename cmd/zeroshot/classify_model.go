package main

import (
	"context"
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// clipOptions checks --device, --dtype and --threads (a usage error, before anything is
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
	return clip.Options{Device: dev, DType: dt, Threads: m.threads, Attention: attn}, nil
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
	return zeroshot.Options{Model: opts, Parity: parity, Backend: backend}, nil
}

// openClassifier resolves --model (downloading it with progress on stderr if needed)
// and loads it; labelCache is the --label-cache directory, or "".
func (m *modelFlags) openClassifier(ctx context.Context, stderr io.Writer, labelCache string) (*zeroshot.Classifier, error) {
	opts, err := m.zeroshotOptions()
	if err != nil {
		return nil, err
	}
	dir, err := m.resolve(ctx, stderr)
	if err != nil {
		return nil, err
	}
	opts.LabelCacheDir = labelCache
	c, err := zeroshot.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.model, err)
	}
	return c, nil
}
