package main

import (
	"errors"
	"fmt"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// embedImages: pixel_values of the files (EXIF applied, as the pipeline) → features.
// Several files share a batch only with center crop (one output size).
func (f *embedFlags) embedImages(c *zeroshot.Classifier, paths []string) (clip.Matrix, error) {
	px := clip.Pixels{Batch: len(paths), Channels: 3}
	var err error
	if c.Processor.Config().DoCenterCrop {
		px.Width, px.Height = c.Processor.OutputSize(0, 0) // the crop size
		px.Data, err = c.Processor.PreprocessFiles(paths, c.Profile().PipelineOptions())
	} else if len(paths) == 1 {
		var img preprocess.RGB
		if img, err = preprocess.Load(paths[0], c.Profile().PipelineOptions()); err == nil {
			px.Width, px.Height = c.Processor.OutputSize(img.W, img.H)
			if px.Data, err = c.Processor.Preprocess(img); err != nil {
				err = fmt.Errorf("%s: %w", paths[0], err)
			}
		}
	} else {
		err = errors.New("images without center crop are embedded one at a time")
	}
	if err != nil {
		return clip.Matrix{}, err // an *ImageError names the file
	}
	if f.normalized {
		return c.Model.ImageEmbeds(px)
	}
	return c.Model.GetImageFeatures(px)
}

// embedTexts: the processor's tokens (padding=True) → features. first is the index of
// texts[0] among all texts, for the error message.
func (f *embedFlags) embedTexts(c *zeroshot.Classifier, texts []string, first int) (clip.Matrix, error) {
	proc := zeroshot.Processor{Image: c.Processor, Tokenizer: c.Tokenizer}
	_, tok, err := proc.Process(nil, texts, tokenize.Options{})
	if err != nil {
		var tl *tokenize.TooLongError
		if errors.As(err, &tl) {
			return clip.Matrix{}, exitUsage{fmt.Errorf("text %d %q is %d tokens; the model takes at most %d", first+tl.Index+1, tl.Text, tl.Tokens, tl.Max)}
		}
		return clip.Matrix{}, err
	}
	if f.normalized {
		return c.Model.TextEmbeds(tok)
	}
	return c.Model.GetTextFeatures(tok)
}
