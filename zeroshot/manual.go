package zeroshot

import (
	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// Processor is CLIPProcessor: the image processor and the tokenizer together, for the
// manual flow of the tutorial:
//
//	inputs := processor(text=labels, images=image, return_tensors="pt", padding=True)
//	outputs := model(**inputs)
//	probs := outputs.logits_per_image.softmax(dim=1)
//
// which in Go is Process → clip.Model.Forward → Softmax(out.LogitsPerImage).
type Processor struct {
	Image     ImageProcessor
	Tokenizer *tokenize.Tokenizer
	// Options decode images as the manual flow does under the profile (no EXIF
	// transpose; transformers 5 composites transparency onto white): pass them to
	// preprocess.Load.
	Options preprocess.Options
}

// LoadProcessor reads preprocessor_config.json and the tokenizer files of a model
// directory, as AutoProcessor.from_pretrained does, with the image processor backend of
// the default parity of the linked libtorch (LoadProcessorFor chooses).
func LoadProcessor(dir string) (*Processor, error) {
	return LoadProcessorFor(dir, ParityAuto, BackendAuto)
}

// LoadProcessorFor is LoadProcessor for a parity and backend (as Options.Parity and
// Options.Backend).
func LoadProcessorFor(dir string, parity Parity, backend Backend) (*Processor, error) {
	prof, err := ResolveProfile(parity, backend, clip.AttnAuto)
	if err != nil {
		return nil, err
	}
	img, err := loadImageProcessor(dir, prof.Backend)
	if err != nil {
		return nil, err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return nil, err
	}
	return &Processor{Image: img, Tokenizer: tok, Options: prof.ManualOptions()}, nil
}

// Process preprocesses images (decoded as the manual flow does: preprocess.Load with
// p.Options, no EXIF transpose) and tokenizes texts with the given options
// (the zero value is padding=True).
func (p *Processor) Process(images []preprocess.RGB, texts []string, opt tokenize.Options) (clip.Pixels, clip.Tokens, error) {
	var px clip.Pixels
	if len(images) > 0 {
		var err error
		if px, err = pixelBatch(p.Image, images); err != nil {
			return px, clip.Tokens{}, err
		}
	}
	var tok clip.Tokens
	if len(texts) > 0 {
		b, err := p.Tokenizer.EncodeBatch(texts, opt)
		if err != nil {
			return px, tok, err
		}
		tok = tokens(b)
	}
	return px, tok, nil
}
