package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/zeroshot-clip/zeroshot/hub"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

func init() {
	register("tokenize", "print the CLIP token ids of texts as JSON", runTokenize)
}

const tokenizeSynopsis = `tokenize [flags] TEXT...

Prints the token ids of each TEXT as Hugging Face's CLIPTokenizerFast gives them
(<|startoftext|> … <|endoftext|>), one JSON array per line, in the order of the
arguments; with --mask, one {"input_ids":[…],"attention_mask":[…]} object per line.
Only the tokenizer files of --model are read (or downloaded).

Padding: none (each text's own ids, no length limit; a text over the maximum length is
reported on stderr), longest (all texts padded to the longest, as the pipeline and
processor(padding=True) do; over the maximum length is an error unless --truncate), or
max_length (padded to --max-length).`

// tokenizerFiles are the files a tokenizer needs from a Hub repo.
var tokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json?", "vocab.json?", "merges.txt?"}

type tokenizeFlags struct {
	model, revision string
	offline         bool
	padding         string
	maxLength       int
	truncate        bool
	mask            bool
}

func (f *tokenizeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", hub.DefaultModel, "model whose tokenizer to use: a local directory or a Hugging Face Hub id (only the tokenizer files are fetched)")
	fs.StringVar(&f.revision, "revision", "", "Hub revision: branch, tag or commit (default main)")
	fs.BoolVar(&f.offline, "offline", false, "use only the local Hub cache (also HF_HUB_OFFLINE=1)")
	fs.StringVar(&f.padding, "padding", "none", "none, longest or max_length")
	fs.IntVar(&f.maxLength, "max-length", 0, "the maximum length for max_length padding and --truncate (0: the tokenizer's model_max_length, 77 for CLIP)")
	fs.BoolVar(&f.truncate, "truncate", false, "cut texts over the maximum length, keeping <|endoftext|> (truncation=True)")
	fs.BoolVar(&f.mask, "mask", false, "print attention masks too: {\"input_ids\":…,\"attention_mask\":…} per text")
}

func runTokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize", tokenizeSynopsis, stderr)
	var f tokenizeFlags
	f.register(fs)
	texts, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(texts) == 0 {
		return exitUsage{errors.New("no TEXT arguments")}
	}
	opts := tokenize.Options{MaxLength: f.maxLength, Truncate: f.truncate}
	switch f.padding {
	case "none", "longest":
	case "max_length":
		opts.Padding = tokenize.PadMaxLength
	default:
		return exitUsage{fmt.Errorf("--padding %q: want none, longest or max_length", f.padding)}
	}
	if f.maxLength < 0 {
		return exitUsage{fmt.Errorf("--max-length %d: want 0 (the tokenizer's) or more", f.maxLength)}
	}
	opts2 := hub.FromEnv()
	opts2.Revision, opts2.Offline, opts2.Files = f.revision, opts2.Offline || f.offline, tokenizerFiles
	opts2.Progress = hub.NewTextProgress(stderr)
	dir, err := hub.Resolve(context.Background(), f.model, opts2)
	if err != nil {
		return fmt.Errorf("model %s: %w", f.model, err)
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return fmt.Errorf("tokenizer of %s: %w", f.model, err)
	}
	batch, err := encodeTexts(tok, texts, f.padding, opts, stderr)
	if err != nil {
		var tl *tokenize.TooLongError
		if errors.As(err, &tl) {
			return exitUsage{fmt.Errorf("text %d %q is %d tokens, more than %d (use --truncate, or --padding none)", tl.Index+1, tl.Text, tl.Tokens, tl.Max)}
		}
		return err
	}
	for i := range batch.IDs {
		var v any = batch.IDs[i]
		if f.mask {
			v = map[string][]int{"input_ids": batch.IDs[i], "attention_mask": batch.AttentionMask[i]}
		}
		line, err := marshalJSON(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	return nil
}

// encodeTexts tokenizes texts; padding "none" keeps each text's own length.
func encodeTexts(tok *tokenize.Tokenizer, texts []string, padding string, opts tokenize.Options, stderr io.Writer) (*tokenize.Batch, error) {
	if padding != "none" {
		return tok.EncodeBatch(texts, opts)
	}
	limit := tok.MaxLength()
	if opts.MaxLength > 0 {
		limit = opts.MaxLength
	}
	b := &tokenize.Batch{}
	for i, t := range texts {
		var ids []int
		if opts.Truncate {
			one, err := tok.EncodeBatch([]string{t}, opts)
			if err != nil {
				return nil, err
			}
			ids = one.IDs[0]
		} else {
			ids = tok.Encode(t)
			if limit > 0 && len(ids) > limit {
				fmt.Fprintf(stderr, "zeroshot tokenize: text %d is %d tokens, more than the %d the model takes\n", i+1, len(ids), limit)
			}
		}
		mask := make([]int, len(ids))
		for j := range mask {
			mask[j] = 1
		}
		b.IDs = append(b.IDs, ids)
		b.AttentionMask = append(b.AttentionMask, mask)
	}
	return b, nil
}
