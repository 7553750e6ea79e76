package main

import (
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// imageFingerprint is what every image run's fingerprint holds: the model by content,
// the parity profile in force, the dtype, the kind of device, libtorch, and how images
// went through the tower (the batch size only where it changes the numbers).
func imageFingerprint(c *zeroshot.Classifier, m *modelFlags, batchSize int, stderr io.Writer) (fingerprint, error) {
	id, err := modelDigest(m.dir, c.Model.Info().Path, stderr)
	if err != nil {
		return fingerprint{}, fmt.Errorf("model %s: %w", m.model, err)
	}
	dev := "cpu"
	if c.Model.Device().CUDA {
		dev = "cuda"
	}
	prof := c.Profile()
	f := fingerprint{Model: id, Parity: string(prof.Parity), Backend: string(prof.Backend),
		Attention: c.Model.Attention().String(), DType: c.Model.DType().String(), Device: dev,
		Libtorch: torch.Version(), Batching: string(c.Batching())}
	if c.Batching() == zeroshot.BatchingBatched {
		f.BatchSize = batchSize
	}
	return f, nil
}

// runHostOf is the sidecar's informational part.
func runHostOf(m *modelFlags) runHost {
	threads := m.threads
	if threads == 0 {
		threads, _ = torch.Threads()
	}
	return runHost{Zeroshot: moduleVersion(), Threads: threads, Model: m.model}
}

// classifyRunInfo is the sidecar of a classify run over images with req.
func classifyRunInfo(c *zeroshot.Classifier, f *classifyFlags, req zeroshot.Request, images []string, format string, sh shard, stderr io.Writer) (*runInfo, error) {
	fp, err := imageFingerprint(c, &f.model, f.batchSize, stderr)
	if err != nil {
		return nil, err
	}
	templates := req.Templates
	switch {
	case len(templates) > 0:
	case req.Template != "":
		templates = []string{req.Template}
	default:
		templates = []string{zeroshot.DefaultTemplate}
	}
	topK := req.TopK
	if topK >= len(req.Labels) {
		topK = 0 // every label, as without --top-k
	}
	fp.Labels, fp.Templates, fp.TopK = newListID(req.Labels, 3), newListID(templates, 1), &topK
	return &runInfo{Command: "classify", Run: fp, Host: runHostOf(&f.model),
		Output: runOutput{Format: format, Images: newListID(images, 0), Shard: shardName(sh)}}, nil
}

// embedRunInfo is the sidecar of an embed --images run.
func embedRunInfo(c *zeroshot.Classifier, f *embedFlags, images []string, sh shard, stderr io.Writer) (*runInfo, error) {
	fp, err := imageFingerprint(c, &f.model, f.batchSize, stderr)
	if err != nil {
		return nil, err
	}
	norm := f.normalized
	fp.Normalized = &norm
	out := runOutput{Format: f.format, Images: newListID(images, 0), Shard: shardName(sh)}
	if f.format == "npy" {
		out.PartRows = f.partRows
	}
	return &runInfo{Command: "embed", Run: fp, Host: runHostOf(&f.model), Output: out}, nil
}

// embedTextsRunInfo is the sidecar of an embed --texts run: the texts are padded per
// batch, so the batch size always counts.
func embedTextsRunInfo(c *zeroshot.Classifier, f *embedFlags, texts []string, stderr io.Writer) (*runInfo, error) {
	fp, err := imageFingerprint(c, &f.model, f.batchSize, stderr)
	if err != nil {
		return nil, err
	}
	norm := f.normalized
	fp.Normalized, fp.Backend, fp.Batching, fp.BatchSize = &norm, "", "batched", f.batchSize
	return &runInfo{Command: "embed-texts", Run: fp, Host: runHostOf(&f.model),
		Output: runOutput{Format: f.format, Texts: newListID(texts, 3)}}, nil
}

func shardName(s shard) string {
	if s.n == 0 {
		return ""
	}
	return s.String()
}
