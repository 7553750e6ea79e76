package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func init() {
	register("embed", "write image or text embeddings as .npy (float32 [N,D]) or JSONL", runEmbed)
}

const embedSynopsis = `embed [flags] --images IMAGE|DIR|GLOB... --out FILE
       zeroshot embed [flags] (--texts "a,b" | --texts-file FILE) --out FILE

Computes CLIP embeddings: by default get_image_features / get_text_features (the
projections, unnormalized), with --normalized the unit vectors image_embeds /
text_embeds that the logits use. Images are read as the pipeline reads them (EXIF
orientation applied), found as classify finds them; one that cannot be read stops the
run (rows must match the inputs). Texts are tokenized as the processor does
(padding=True within each batch; over 77 tokens is an error) with no template.

FILE ending in .npy gets a float32 [N,D] array, row i for input i, and the inputs are
listed on stdout, one per line, in row order. Otherwise FILE gets JSONL:
{"image":PATH,"embedding":[…]} or {"text":TEXT,"embedding":[…]} per line.
FILE is written atomically (a temporary file renamed into place).`

type embedFlags struct {
	model      modelFlags
	images     bool
	texts      string
	textsFile  string
	normalized bool
	out        string
	format     string
	batchSize  int
}

func runEmbed(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("embed", embedSynopsis, stderr)
	var f embedFlags
	f.model.register(fs)
	f.model.registerParity(fs, true)
	fs.BoolVar(&f.images, "images", false, "embed the images given as arguments (files, directories, globs)")
	fs.StringVar(&f.texts, "texts", "", "embed these comma-separated texts")
	fs.StringVar(&f.textsFile, "texts-file", "", "embed the texts of this file, one per line (blank lines and # comments skipped)")
	fs.BoolVar(&f.normalized, "normalized", false, "L2-normalized embeddings (image_embeds/text_embeds) instead of get_*_features")
	fs.StringVar(&f.out, "out", "", "output file (required): .npy, else JSONL")
	fs.StringVar(&f.format, "format", "", "npy or jsonl (default: npy if --out ends in .npy, else jsonl)")
	fs.IntVar(&f.batchSize, "batch-size", 8, "inputs per model forward")
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	names, err := f.check(args)
	if err != nil {
		return exitUsage{err}
	}
	ctx, stop := interruptContext()
	defer stop()
	c, err := f.model.openClassifier(ctx, stderr, "")
	if err != nil {
		return err
	}
	defer c.Close()
	emb, err := f.embed(ctx, c, names)
	if err != nil {
		return err
	}
	if err := writeEmbeddings(f.out, f.format, f.images, names, emb); err != nil {
		return err
	}
	if f.format == "npy" {
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
	}
	fmt.Fprintf(stderr, "zeroshot embed: %s: %d × %d float32\n", f.out, emb.Rows, emb.Cols)
	return nil
}

// check validates the flags and returns the inputs: image paths or texts.
func (f *embedFlags) check(args []string) ([]string, error) {
	if f.out == "" {
		return nil, errors.New("--out FILE is required")
	}
	switch f.format {
	case "":
		f.format = "jsonl"
		if strings.EqualFold(filepath.Ext(f.out), ".npy") {
			f.format = "npy"
		}
	case "npy", "jsonl":
	default:
		return nil, fmt.Errorf("--format %q: want npy or jsonl", f.format)
	}
	if f.batchSize < 1 {
		return nil, fmt.Errorf("--batch-size %d: want 1 or more", f.batchSize)
	}
	if _, err := f.model.clipOptions(); err != nil {
		return nil, err
	}
	if !f.images && len(args) > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: image arguments need --images (texts go in --texts or --texts-file)", args)
	}
	sources := 0
	for _, set := range []bool{f.images, f.texts != "", f.textsFile != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, errors.New("give exactly one of --images (with IMAGE arguments), --texts or --texts-file")
	}
	switch {
	case f.images:
		if len(args) == 0 {
			return nil, errors.New("--images: no IMAGE, DIR or GLOB arguments")
		}
		return zeroshot.FindImages(args...)
	case f.texts != "":
		texts, err := parseLabelList(f.texts)
		if err != nil {
			return nil, fmt.Errorf("--texts: %w", err)
		}
		return texts, nil
	default:
		texts, err := readLines(f.textsFile)
		if err != nil {
			return nil, fmt.Errorf("--texts-file: %w", err)
		}
		return texts, nil
	}
}

// embed runs the inputs through the model in batches.
func (f *embedFlags) embed(ctx context.Context, c *zeroshot.Classifier, names []string) (clip.Matrix, error) {
	size := f.batchSize
	if f.images && !c.Processor.Config().DoCenterCrop {
		size = 1 // images of different sizes cannot share a batch
	}
	var out clip.Matrix
	for start := 0; start < len(names); start += size {
		if err := ctx.Err(); err != nil {
			return out, errors.New("interrupted")
		}
		chunk := names[start:min(start+size, len(names))]
		var m clip.Matrix
		var err error
		if f.images {
			m, err = f.embedImages(c, chunk)
		} else {
			m, err = f.embedTexts(c, chunk, start)
		}
		if err != nil {
			return out, err
		}
		out.Cols = m.Cols
		out.Rows += m.Rows
		out.Data = append(out.Data, m.Data...)
	}
	return out, nil
}
