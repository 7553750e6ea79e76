package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func init() {
	register("embed", "image embeddings of files and collections (JSONL, or .npy parts with an index), or text embeddings", runEmbed)
}

const embedSynopsis = `embed [flags] --images IMAGE|DIR|GLOB|URL|-... --output FILE
       zeroshot embed [flags] --images-from FILE --output FILE
       zeroshot embed [flags] (--texts "a,b" | --texts-file FILE) --output FILE

Computes CLIP embeddings: by default get_image_features / get_text_features (the
projections, unnormalized), with --normalized the unit vectors image_embeds /
text_embeds that the logits use. Flags may come before or after the images.

Images are found and read as classify finds and reads them (files; directories walked
recursively; quoted globs; EXIF orientation applied), decoded ahead of the model and
embedded --batch-size at a time. An image that cannot be read is reported on stderr
and gets an error record, and the run goes on (exit status 3 at the end).

` + sourcesHelp + `
With --output FILE:
  FILE.jsonl  one line per image, in list order: {"image":PATH,"embedding":[…]}
              or {"image":PATH,"error":"…"}
  FILE.npy    float32 .npy parts of at most --part-rows rows, FILE-00000.npy,
              FILE-00001.npy, … (each numpy.save's file of its [rows, D] array), and
              the index FILE.index.jsonl, one line per image in list order:
              {"image":PATH,"part":"FILE-00000.npy","row":R} or {"image":PATH,"error":"…"}
Nothing is half-written: records go to FILE.partial (the index's, for .npy, and the
open part is PART.partial), appended per batch, renamed into place when complete. If
the .partial files of an interrupted run are there (even one killed at any point),
rerunning the same command resumes it, keeping its whole batches, and writes the
bytes an uninterrupted run writes. If FILE (the index, for .npy) exists, the run
says so and does nothing, unless --force.

Each image goes through the tower alone on CPU (--batching per-image, the default
there): its embedding is its one-image forward's whatever --batch-size, bit for bit.
--shard K/N (or auto, as classify's) shares out whole forwards: image i goes to shard
i mod N; batched (--batching batched, the CUDA default), the list is cut into batches
of --batch-size images in order and batch b goes to shard b mod N, so each image is
embedded with the same batch, and the same bits, as in an unsharded run.
Use one --output per shard; the index records name the images.

Beside the output, FILE.run.json (the index's, for .npy) records what computed it:
the model's digest, --normalized, the parity profile, dtype, device, libtorch and the
batching. A rerun over an output of other settings is refused, naming what differs.

Texts are tokenized as the processor does (padding=True within each batch; over 77
tokens is an error) with no template. FILE ending in .npy gets one float32 [N,D] array
and the texts are listed on stdout in row order; otherwise JSONL
{"text":TEXT,"embedding":[…]}. Written atomically.

Exit status: 0 done (or FILE already complete, of this run); 1 an error (model, I/O,
interrupted); 2 bad usage or input (an output of another run too); 3 some images could
not be read (the others' rows are complete).`

type embedFlags struct {
	model      modelFlags
	images     bool
	texts      string
	textsFile  string
	normalized bool
	out        string
	format     string
	batchSize  int
	partRows   int
	force      bool
	progress   string
	shard      string
	shards     int
	sources    sourceFlags
}

func (f *embedFlags) register(fs *flag.FlagSet) {
	f.model.register(fs)
	f.model.registerParity(fs, true)
	f.model.registerBatching(fs)
	fs.BoolVar(&f.images, "images", false, "embed the images given as arguments (files, directories, globs)")
	fs.StringVar(&f.texts, "texts", "", "embed these comma-separated texts")
	fs.StringVar(&f.textsFile, "texts-file", "", "embed the texts of this file, one per line (blank lines and # comments skipped)")
	fs.BoolVar(&f.normalized, "normalized", false, "L2-normalized embeddings (image_embeds/text_embeds) instead of get_*_features")
	fs.StringVar(&f.out, "output", "", "output file (required): FILE.npy (images: parts and an index), else JSONL")
	fs.StringVar(&f.out, "out", "", "the same as --output")
	fs.StringVar(&f.format, "format", "", "npy or jsonl (default: npy if the output ends in .npy, else jsonl)")
	fs.IntVar(&f.batchSize, "batch-size", 8, "texts per model forward; images decoded ahead and written together (per forward with --batching batched)")
	fs.IntVar(&f.partRows, "part-rows", 65536, "images: rows per .npy part")
	fs.BoolVar(&f.force, "force", false, "images: redo the run even if the output (or its .partial) exists")
	fs.StringVar(&f.progress, "progress", progressAuto, "images: auto (a bar if stderr is a terminal, else a line every 10 s; none for one image), bar, plain or off")
	fs.StringVar(&f.shard, "shard", "", "images: embed only this shard's batches, K/N or auto (see above; auto as classify's --shard)")
	fs.IntVar(&f.shards, "shards", 0, "with --shard auto: the number of shards N (default ZEROSHOT_SHARDS, or Slurm's array size)")
	f.sources.register(fs)
}

func runEmbed(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("embed", embedSynopsis, stderr)
	var f embedFlags
	f.register(fs)
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	ctx, stop := interruptContext()
	defer stop()
	names, list, sh, err := f.check(ctx, args)
	if err != nil {
		return exitUsage{err}
	}
	if f.images {
		batching, err := f.model.batchingMode()
		if err != nil {
			return err
		}
		images := sh.applyBatches(names, forwardUnit(batching, f.batchSize))
		if sh.n > 0 {
			fmt.Fprintf(stderr, "zeroshot embed: shard %s: %d of %d images\n", sh, len(images), len(names))
		}
		r := &embedRun{flags: &f, images: images, list: list, sh: sh, stderr: stderr}
		return r.run()
	}
	return f.embedTextsRun(names, stdout, stderr)
}

// check validates the flags and returns the inputs: the images' names and sources, or
// texts.
func (f *embedFlags) check(ctx context.Context, args []string) ([]string, *imageList, shard, error) {
	names, sh, err := f.checkFlags(args)
	if err != nil || !f.images {
		return names, nil, sh, err
	}
	list, err := f.sources.find(ctx, args)
	if err != nil {
		return nil, nil, shard{}, err
	}
	return list.names, list, sh, nil
}

// checkFlags validates the flags and returns the texts (nil for images).
func (f *embedFlags) checkFlags(args []string) ([]string, shard, error) {
	if f.out == "" {
		return nil, shard{}, errors.New("--output FILE is required")
	}
	if f.sources.from != "" {
		f.images = true // --images-from says so
	}
	if err := f.sources.check(); err != nil {
		return nil, shard{}, err
	}
	switch f.format {
	case "":
		f.format = "jsonl"
		if strings.EqualFold(filepath.Ext(f.out), ".npy") {
			f.format = "npy"
		}
	case "npy", "jsonl":
	default:
		return nil, shard{}, fmt.Errorf("--format %q: want npy or jsonl", f.format)
	}
	if f.batchSize < 1 {
		return nil, shard{}, fmt.Errorf("--batch-size %d: want 1 or more", f.batchSize)
	}
	if f.partRows < 1 {
		return nil, shard{}, fmt.Errorf("--part-rows %d: want 1 or more", f.partRows)
	}
	switch f.progress {
	case progressAuto, progressBar, progressPlain, progressOff:
	default:
		return nil, shard{}, fmt.Errorf("--progress %q: want auto, bar, plain or off", f.progress)
	}
	if _, err := f.model.zeroshotOptions(); err != nil {
		return nil, shard{}, err
	}
	if !f.images && len(args) > 0 {
		return nil, shard{}, fmt.Errorf("unexpected arguments %q: image arguments need --images (texts go in --texts or --texts-file)", args)
	}
	sources := 0
	for _, set := range []bool{f.images, f.texts != "", f.textsFile != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, shard{}, errors.New("give exactly one of --images (with IMAGE arguments, or --images-from), --texts or --texts-file")
	}
	sh, err := parseShard(f.shard, f.shards, os.Getenv)
	if err != nil {
		return nil, shard{}, err
	}
	if !f.images && (sh.n > 0 || f.force) {
		return nil, shard{}, errors.New("--shard and --force go with --images")
	}
	switch {
	case f.images:
		if len(args) == 0 && f.sources.from == "" {
			return nil, shard{}, errors.New("--images: no IMAGE, DIR, GLOB or URL arguments (or --images-from FILE)")
		}
		return nil, sh, nil
	case f.texts != "":
		texts, err := parseLabelList(f.texts)
		if err != nil {
			return nil, shard{}, fmt.Errorf("--texts: %w", err)
		}
		return texts, sh, nil
	default:
		texts, err := readLines(f.textsFile)
		if err != nil {
			return nil, shard{}, fmt.Errorf("--texts-file: %w", err)
		}
		return texts, sh, nil
	}
}

// embedTextsRun embeds texts in batches and writes them at once, atomically.
func (f *embedFlags) embedTextsRun(texts []string, stdout, stderr io.Writer) error {
	ctx, stop := interruptContext()
	defer stop()
	c, err := f.model.openClassifier(ctx, stderr, classifierOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	id, err := embedTextsRunInfo(c, f, texts, stderr)
	if err != nil {
		return err
	}
	emb, err := f.embedTexts(ctx, c, texts)
	if err != nil {
		return err
	}
	if err := writeEmbeddings(f.out, f.format, texts, emb, id); err != nil {
		return err
	}
	if f.format == "npy" {
		for _, n := range texts {
			fmt.Fprintln(stdout, n)
		}
	}
	fmt.Fprintf(stderr, "zeroshot embed: %s: %d × %d float32\n", f.out, emb.Rows, emb.Cols)
	return nil
}

// embedTexts runs the texts through the model --batch-size at a time.
func (f *embedFlags) embedTexts(ctx context.Context, c *zeroshot.Classifier, texts []string) (clip.Matrix, error) {
	var out clip.Matrix
	for start := 0; start < len(texts); start += f.batchSize {
		if err := ctx.Err(); err != nil {
			return out, errors.New("interrupted")
		}
		m, err := f.embedTextBatch(c, texts[start:min(start+f.batchSize, len(texts))], start)
		if err != nil {
			return out, err
		}
		out.Cols = m.Cols
		out.Rows += m.Rows
		out.Data = append(out.Data, m.Data...)
	}
	return out, nil
}
