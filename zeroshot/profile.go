package zeroshot

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tvprocess"
)

// Parity names the Python whose numbers a Classifier reproduces. Two differ today:
//
//   - "4.54": transformers 4.54 on torch 2.1.0 — the PIL image processor, transparency
//     dropped by convert("RGB"), eager attention (the SDPA path of 4.x needs torch >= 2.1.1);
//   - "5": transformers 5 on torch 2.11 — its defaults: the torchvision image processor
//     (CLIPImageProcessor when torchvision is installed), transparency composited onto
//     white, SDPA attention (or the config's _attn_implementation).
//
// The same libtorch on both sides is what makes the bits comparable: the goldens of
// "5" are checked on libtorch 2.11.0; "4.54" on 2.1.0 and, with transformers 5 forced to
// eager and the PIL backend, on 2.11.0.
type Parity string

const (
	ParityAuto Parity = ""     // by libtorch: "4.54" on 2.1.0, "5" on newer (what pip gives with it)
	Parity454  Parity = "4.54" // transformers 4.54: PIL processor, eager attention
	Parity5    Parity = "5"    // transformers 5: torchvision processor, SDPA attention
)

// Backend is the image processor backend, transformers 5's backend= argument.
type Backend string

const (
	BackendAuto        Backend = ""            // the profile's
	BackendPIL         Backend = "pil"         // CLIPImageProcessorPil / 4.x's CLIPImageProcessor: package preprocess
	BackendTorchvision Backend = "torchvision" // transformers 5's default: package tvprocess (libtorch)
)

// ParseParity accepts "", "auto", "4.54" (or "4") and "5".
func ParseParity(s string) (Parity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return ParityAuto, nil
	case "4.54", "4":
		return Parity454, nil
	case "5":
		return Parity5, nil
	}
	return ParityAuto, fmt.Errorf("zeroshot: unknown parity %q (want auto, 4.54 or 5)", s)
}

// ParseBackend accepts "", "auto", "pil" and "torchvision" (or "tv").
func ParseBackend(s string) (Backend, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return BackendAuto, nil
	case "pil":
		return BackendPIL, nil
	case "torchvision", "tv":
		return BackendTorchvision, nil
	}
	return BackendAuto, fmt.Errorf("zeroshot: unknown image processor backend %q (want auto, pil or torchvision)", s)
}

// Profile is what a Classifier computes with: the parity it follows and the choices
// it implies, after the caller's overrides.
type Profile struct {
	Parity  Parity  // resolved: "4.54" or "5"
	Backend Backend // resolved: "pil" or "torchvision"
	// Attention is what Open asks clip.Load for: AttnEager or AttnSDPA, or AttnAuto
	// (transformers 5 on libtorch >= 2.1.1: the config's _attn_implementation, else
	// SDPA). Model.Attention() is what it resolved to.
	Attention clip.AttnImplementation
	// AlphaOnWhite is transformers 5's convert_to_rgb (preprocess.Options).
	AlphaOnWhite bool
}

// DefaultParity is the parity on libtorch torchVersion when none is asked for: the
// transformers that pip installs beside that torch (4.54 is the newest for 2.1.0).
func DefaultParity(torchVersion string) Parity {
	if clip.DefaultAttention(torchVersion) == clip.AttnEager {
		return Parity454
	}
	return Parity5
}

// ResolveProfile applies the overrides backend and attn (zero: the parity's) to
// parity (ParityAuto: DefaultParity of the linked libtorch).
func ResolveProfile(parity Parity, backend Backend, attn clip.AttnImplementation) (Profile, error) {
	return resolveProfile(parity, backend, attn, torch.Version())
}

func resolveProfile(parity Parity, backend Backend, attn clip.AttnImplementation, torchVersion string) (Profile, error) {
	if parity == ParityAuto {
		parity = DefaultParity(torchVersion)
	}
	var p Profile
	switch parity {
	case Parity454:
		p = Profile{Parity: parity, Backend: BackendPIL, Attention: clip.AttnEager}
	case Parity5:
		p = Profile{Parity: parity, Backend: BackendTorchvision, Attention: clip.AttnAuto, AlphaOnWhite: true}
		if clip.DefaultAttention(torchVersion) == clip.AttnEager {
			// libtorch 2.1.0, where transformers 5 does not run: its choice, SDPA.
			p.Attention = clip.AttnSDPA
		}
	default:
		return Profile{}, fmt.Errorf("zeroshot: unknown parity %q (want 4.54 or 5)", parity)
	}
	switch backend {
	case BackendAuto:
	case BackendPIL, BackendTorchvision:
		p.Backend = backend
	default:
		return Profile{}, fmt.Errorf("zeroshot: unknown image processor backend %q", backend)
	}
	switch attn {
	case clip.AttnAuto:
	case clip.AttnEager, clip.AttnSDPA:
		p.Attention = attn
	default:
		return Profile{}, fmt.Errorf("zeroshot: unknown attention implementation %v", attn)
	}
	return p, nil
}

// String is e.g. `parity 5 (image processor torchvision, attention auto, alpha on white)`.
func (p Profile) String() string {
	alpha := "alpha dropped"
	if p.AlphaOnWhite {
		alpha = "alpha on white"
	}
	return fmt.Sprintf("parity %s (image processor %s, attention %s, %s)", p.Parity, p.Backend, p.Attention, alpha)
}

// PipelineOptions are the decode options of the pipeline flow (load_image: EXIF
// applied) under this profile.
func (p Profile) PipelineOptions() preprocess.Options {
	return preprocess.Options{ApplyEXIF: true, AlphaOnWhite: p.AlphaOnWhite}
}

// ManualOptions are the decode options of the manual flow (Image.open → processor).
func (p Profile) ManualOptions() preprocess.Options {
	return preprocess.Options{AlphaOnWhite: p.AlphaOnWhite}
}

// ImageProcessor is CLIPImageProcessor with one backend: *preprocess.Processor (PIL)
// or *tvprocess.Processor (torchvision). Both are safe for concurrent use.
type ImageProcessor interface {
	Config() preprocess.Config
	OutputSize(w, h int) (int, int)
	Preprocess(img preprocess.RGB) ([]float32, error)
	PreprocessBatch(imgs []preprocess.RGB) ([]float32, error)
	PreprocessData(data []byte, opts preprocess.Options) ([]float32, error)
	PreprocessFiles(paths []string, opts preprocess.Options) ([]float32, error)
}

// NewImageProcessor makes the image processor of backend (BackendAuto: PIL) for cfg.
func NewImageProcessor(cfg preprocess.Config, backend Backend) (ImageProcessor, error) {
	if backend == BackendTorchvision {
		return tvprocess.New(cfg)
	}
	return preprocess.New(cfg)
}

// loadImageProcessor reads dir's preprocessor_config.json for backend.
func loadImageProcessor(dir string, backend Backend) (ImageProcessor, error) {
	cfg, err := preprocess.LoadConfig(filepath.Join(dir, "preprocessor_config.json"))
	if err != nil {
		return nil, err
	}
	return NewImageProcessor(cfg, backend)
}
