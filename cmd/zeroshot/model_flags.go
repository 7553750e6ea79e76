package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/hub"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// modelFlags are the flags every command that loads a model shares.
type modelFlags struct {
	model    string
	revision string
	offline  bool
	device   string
	dtype    string
	threads  int
	graphs   int // --cuda-graphs

	// The parity profile (registerParity): which Python's numbers to reproduce.
	parity    string
	backend   string
	attention string

	batching string // registerBatching
	dir      string // the resolved model directory, once resolve ran
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.model, "model", hub.DefaultModel, "model: a local directory or a Hugging Face Hub id, resolved through the Hub cache (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN)")
	fs.StringVar(&m.revision, "revision", "", "Hub revision: branch, tag or commit (default main)")
	fs.BoolVar(&m.offline, "offline", false, "use only the local Hub cache (also HF_HUB_OFFLINE=1)")
	fs.StringVar(&m.device, "device", "cpu", "cpu, cuda or cuda:N (CUDA needs a CUDA build)")
	fs.StringVar(&m.dtype, "dtype", "fp32", "fp32, or bf16 (CPU with AVX-512 BF16, or CUDA) / fp16 (CUDA)")
	fs.IntVar(&m.threads, "threads", 0, "libtorch intra-op threads (0: libtorch's default, one per core)")
	fs.IntVar(&m.graphs, "cuda-graphs", 0, "with --device cuda: replay the image tower from CUDA graphs for batches of up to N images, each size captured on first use (lower latency at small batches; 0: off)")
}

// parityHelp explains --parity in every command that has it.
const parityHelp = "which Python to reproduce: 4.54 (transformers 4.54 on torch 2.1.0: PIL image processor, eager attention) or 5 (transformers 5 on torch 2.11: torchvision image processor, transparency on white, SDPA attention); default: the one for the linked libtorch (zeroshot version)"

// registerParity adds --parity, --image-backend and (withAttention) --attention.
func (m *modelFlags) registerParity(fs *flag.FlagSet, withAttention bool) {
	fs.StringVar(&m.parity, "parity", "", parityHelp)
	fs.StringVar(&m.backend, "image-backend", "", "override the profile's image processor: pil (package preprocess, Pillow's bicubic) or torchvision (libtorch's uint8 antialiased bicubic)")
	if withAttention {
		fs.StringVar(&m.attention, "attention", "", "override the profile's attention: eager or sdpa (default: the profile's; for 5, the model config's _attn_implementation, else sdpa)")
	}
}

// batchingHelp explains --batching in every command that has it.
const batchingHelp = "how a batch of images goes through the image tower: per-image (each image its own forward: its scores and embeddings are the pipeline's, bit for bit, whatever --batch-size, sharding or load) or batched (one forward per --batch-size images: faster on a GPU, the last float bits then depend on the batch); default auto: per-image on CPU, where batching buys a few per cent at most on a quiet machine (README), batched on CUDA"

// registerBatching adds --batching.
func (m *modelFlags) registerBatching(fs *flag.FlagSet) {
	fs.StringVar(&m.batching, "batching", "auto", batchingHelp)
}

// batchingMode checks --batching and resolves it for --device (a usage error).
func (m *modelFlags) batchingMode() (zeroshot.Batching, error) {
	b, err := zeroshot.ParseBatching(m.batching)
	if err != nil {
		return "", exitUsage{fmt.Errorf("--batching: %w", err)}
	}
	dev, err := clip.ParseDevice(m.device)
	if err != nil {
		return "", exitUsage{err}
	}
	return b.Resolve(dev), nil
}

// profile checks --parity, --image-backend and --attention (usage errors).
func (m *modelFlags) profile() (zeroshot.Parity, zeroshot.Backend, clip.AttnImplementation, error) {
	p, err := zeroshot.ParseParity(m.parity)
	if err != nil {
		return "", "", 0, exitUsage{fmt.Errorf("--parity: %w", err)}
	}
	b, err := zeroshot.ParseBackend(m.backend)
	if err != nil {
		return "", "", 0, exitUsage{fmt.Errorf("--image-backend: %w", err)}
	}
	a, err := clip.ParseAttnImplementation(m.attention)
	if err != nil {
		return "", "", 0, exitUsage{fmt.Errorf("--attention: %w", err)}
	}
	return p, b, a, nil
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
	m.dir = dir
	return dir, nil
}
