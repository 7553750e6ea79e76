package main

import (
	"errors"
	"fmt"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// embedTextBatch: the processor's tokens (padding=True) → features. first is the index
// of texts[0] among all texts, for the error message.
func (f *embedFlags) embedTextBatch(c *zeroshot.Classifier, texts []string, first int) (clip.Matrix, error) {
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
