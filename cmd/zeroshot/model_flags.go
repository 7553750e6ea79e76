package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/hub"
)

// modelFlags are the flags every command that loads a model shares.
type modelFlags struct {
	model    string
	revision string
	offline  bool
	device   string
	dtype    string
	threads  int
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.model, "model", hub.DefaultModel, "model: a local directory or a Hugging Face Hub id, resolved through the Hub cache (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN)")
	fs.StringVar(&m.revision, "revision", "", "Hub revision: branch, tag or commit (default main)")
	fs.BoolVar(&m.offline, "offline", false, "use only the local Hub cache (also HF_HUB_OFFLINE=1)")
	fs.StringVar(&m.device, "device", "cpu", "cpu, cuda or cuda:N (CUDA needs a CUDA build)")
	fs.StringVar(&m.dtype, "dtype", "fp32", "fp32, or bf16 (CPU with AVX-512 BF16, or CUDA) / fp16 (CUDA)")
	fs.IntVar(&m.threads, "threads", 0, "libtorch intra-op threads (0: libtorch's default, one per core)")
}

// resolve turns --model into a local directory, downloading into the Hub cache with
// progress on stderr when needed.
func (m *modelFlags) resolve(ctx context.Context, stderr io.Writer) (string, error) {
	opts := hub.FromEnv()
	opts.Revision = m.revision
	opts.Offline = opts.Offline || m.offline
	opts.Progress = hub.NewTextProgress(stderr)
	dir, err := hub.Resolve(ctx, m.model, opts)
	if err != nil {
		return "", fmt.Errorf("model %s: %w", m.model, err)
	}
	return dir, nil
}
