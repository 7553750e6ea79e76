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
	return clip.Options{Device: dev, DType: dt, Threads: m.threads}, nil
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
	opts, err := m.clipOptions()
	if err != nil {
		return nil, err
	}
	dir, err := m.resolve(ctx, stderr)
	if err != nil {
		return nil, err
	}
	c, err := zeroshot.Open(dir, zeroshot.Options{Model: opts, LabelCacheDir: co.labelCache,
		TextBatch: co.textBatch, TextProgress: co.textProgress})
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.model, err)
	}
	return c, nil
}
