package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func init() {
	register("classify", "score images (files, directories, globs) against free-text labels", runClassify)
}

// Exit status of a run in which some images could not be read: each was reported on
// stderr (and as an error record), every other image's result was written.
const exitFilesFailed = 3

// filesFailedError ends such a run. ExitCode gives the status for main.
type filesFailedError struct{ failed, total int }

func (e filesFailedError) Error() string {
	return fmt.Sprintf("%d of %d images could not be read (reported above; the others' results are complete)", e.failed, e.total)
}

func (e filesFailedError) ExitCode() int { return exitFilesFailed }

// interruptContext is a run's context, cancelled by SIGINT or SIGTERM.
var interruptContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

const classifySynopsis = `classify [flags] IMAGE|DIR|GLOB|URL|-... (--labels a,b,c | --labels-file FILE)

Scores each image against the labels as Hugging Face's
pipeline("zero-shot-image-classification") does: same labels, same order, same scores.
Flags may come before or after the images.

Images: a file is read whatever its extension; a DIR is walked recursively for
.jpg .jpeg .png .gif .webp .bmp .tif .tiff files (any case; hidden names skipped), in
sorted path order; a GLOB (quoted, e.g. 'photos/*.jpg') is expanded the same way. The
list keeps the order of the arguments. Label embeddings are computed once per run and
the images decoded --batch-size at a time; an image that cannot be read is skipped,
reported on stderr and in the output, and the run goes on. On CPU each image goes
through the model alone (--batching per-image): its scores are the pipeline's, bit for
bit, whatever --batch-size or --shard; --batching batched (the CUDA default) forwards
--batch-size images at once, which changes the last float bits.

` + sourcesHelp + `

Output (stdout, or --output FILE):
  table  one image: "score  label" rows; several: each path, then its rows
  json   the pipeline's JSON: one IMAGE argument → [{"score":…,"label":…},…];
         otherwise a list of such lists in image order, null for an image that failed
  jsonl  one line per image: {"image":PATH,"results":[{"score":…,"label":…},…]}
         or {"image":PATH,"error":"…"}; PATH as listed (DIR joined with the file's path;
         a URL or s3://bucket/key as it is; "-" for standard input)
  Default: table for one IMAGE on stdout, jsonl otherwise.

--output FILE writes FILE.partial (JSONL records, appended and flushed per batch) and
renames it to FILE (rendered in --format) when every image is done. Beside it,
FILE.run.json records the run's fingerprint: the model's digest, labels, templates,
--top-k, parity profile, image backend, attention, dtype, device kind, libtorch,
batching (and the images, format, shard). If FILE.partial exists (an interrupted run),
rerunning the same command resumes it: a torn last line is dropped, its whole batches
are kept and the rest is classified, which gives the same FILE as an uninterrupted run.
If FILE exists and is this run's, the run says so and does nothing. A FILE or
FILE.partial of another run (other labels, model, ...), or without a fingerprint, is
refused (exit status 1), naming what differs; --force replaces it. Use one --output
per shard; zeroshot merge joins them.

Many labels: the label texts go through the text tower --label-batch at a time, so
the text pass takes the same memory for 50,000 labels as for 1,000 (only the
embeddings grow: 3 KB a label on ViT-L/14), with the embeddings of the pipeline's one
batch. Above %s labels only the best %d per image are written unless --top-k says
otherwise (--top-k 0: all). --label-cache keeps the embeddings for later runs (files
named by a hash of model, templates and labels; concurrent runs compute a set once).

Labels file: one label per line, spaces around it trimmed; blank lines and lines
starting with # are skipped. --labels splits on commas (use a file for labels with
commas). Duplicate, empty or over-long labels (77 tokens with the template) and
templates without exactly one {} are errors.

Exit status: 0 done (or FILE already complete, of this run); 1 an error (model, I/O,
interrupted); 2 bad usage or input (flags, labels, templates, missing image arguments,
an --output or --output.partial of another run); 3 some images could not be read (the
others' results are complete).`

// classifyFlags are classify's flags.
type classifyFlags struct {
	model      modelFlags
	labels     labelSource
	format     string
	batchSize  int
	labelBatch int
	labelCache string
	output     string
	force      bool
	progress   string
	shard      string
	shards     int
	sources    sourceFlags
}

func (f *classifyFlags) register(fs *flag.FlagSet) {
	f.model.register(fs)
	f.model.registerParity(fs, true)
	f.model.registerBatching(fs)
	fs.StringVar(&f.labels.labels, "labels", "", "comma-separated candidate labels, e.g. cat,dog,fox")
	fs.StringVar(&f.labels.labelsFile, "labels-file", "", "file of candidate labels, one per line (blank lines and # comments skipped)")
	fs.StringVar(&f.labels.template, "template", "", `hypothesis template with one {} for the label (default "`+zeroshot.DefaultTemplate+`")`)
	fs.StringVar(&f.labels.templates, "templates", "", "prompt ensemble: imagenet80 or simple7 (the CLIP paper's), or a file of templates, one per line; each label's embedding is the normalized mean over the templates")
	fs.BoolVar(&f.labels.allowDuplicates, "allow-duplicates", false, "accept the same label twice, as the pipeline does (each gets its own score)")
	fs.IntVar(&f.labels.topK, "top-k", 0, fmt.Sprintf("keep the K best labels per image; 0: all, as the pipeline. Default: all up to 1,000 labels, %d above (a score per label and image is unreadable, and 4 MB of JSON per image at 100,000 labels)", topKAuto))
	fs.StringVar(&f.format, "format", "", "table, json or jsonl (default: table for one IMAGE on stdout, else jsonl)")
	fs.IntVar(&f.batchSize, "batch-size", 8, "images decoded ahead and written together; with --batching batched also the images per model forward (whose scores then differ in the last float bits from one-image forwards)")
	fs.IntVar(&f.labelBatch, "label-batch", 0, "label texts per text-tower forward; 0: automatic (about 4,096 tokens on CPU, 32,768 on CUDA, in multiples of 64 labels), so memory stays flat however many labels; multiples of 64 give the one-batch embeddings bit for bit (README: where measured)")
	fs.StringVar(&f.labelCache, "label-cache", "", "directory keeping label embeddings on disk, one file per (model, templates, labels), reused by later runs")
	fs.StringVar(&f.output, "output", "", "write to FILE (via FILE.partial, resumable) instead of stdout")
	fs.BoolVar(&f.force, "force", false, "with --output: redo the run even if FILE (or FILE.partial) exists")
	fs.StringVar(&f.progress, "progress", progressAuto, "auto (a bar if stderr is a terminal, else a line every 10 s; none for one image), bar, plain or off")
	fs.StringVar(&f.shard, "shard", "", shardHelp)
	fs.IntVar(&f.shards, "shards", 0, "with --shard auto: the number of shards N (default ZEROSHOT_SHARDS, or Slurm's array size)")
	f.sources.register(fs)
}

// check validates the flags that need no file or model.
func (f *classifyFlags) check() (zeroshot.Request, shard, error) {
	switch f.format {
	case "", formatTable, formatJSON, formatJSONL:
	default:
		return zeroshot.Request{}, shard{}, fmt.Errorf("--format %q: want table, json or jsonl", f.format)
	}
	switch f.progress {
	case progressAuto, progressBar, progressPlain, progressOff:
	default:
		return zeroshot.Request{}, shard{}, fmt.Errorf("--progress %q: want auto, bar, plain or off", f.progress)
	}
	if f.batchSize < 1 {
		return zeroshot.Request{}, shard{}, fmt.Errorf("--batch-size %d: want 1 or more", f.batchSize)
	}
	if f.labelBatch < 0 {
		return zeroshot.Request{}, shard{}, fmt.Errorf("--label-batch %d: want 0 (automatic) or more", f.labelBatch)
	}
	if f.force && f.output == "" {
		return zeroshot.Request{}, shard{}, fmt.Errorf("--force goes with --output")
	}
	if err := f.sources.check(); err != nil {
		return zeroshot.Request{}, shard{}, err
	}
	sh, err := parseShard(f.shard, f.shards, os.Getenv)
	if err != nil {
		return zeroshot.Request{}, shard{}, err
	}
	req, err := f.labels.request()
	if err != nil {
		return zeroshot.Request{}, shard{}, err
	}
	if _, err := f.model.zeroshotOptions(); err != nil {
		return zeroshot.Request{}, shard{}, err
	}
	return req, sh, nil
}

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", fmt.Sprintf(classifySynopsis, "1,000", topKAuto), stderr)
	var f classifyFlags
	f.register(fs)
	inputs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	f.labels.topKSet = isSet(fs, "top-k")
	req, sh, err := f.check()
	if err != nil {
		return exitUsage{err}
	}
	ctx, stop := interruptContext()
	defer stop()
	list, err := f.sources.find(ctx, inputs)
	if err != nil {
		return exitUsage{err}
	}
	all := list.names
	batching, err := f.model.batchingMode()
	if err != nil {
		return err
	}
	images := sh.applyBatches(all, forwardUnit(batching, f.batchSize))
	single := list.single && sh.n == 0
	format := f.format
	if format == "" {
		format = formatJSONL
		if single && f.output == "" {
			format = formatTable
		}
	}
	r := &classifyRun{flags: &f, req: req, images: images, list: list, sh: sh, single: single, format: format, stdout: stdout, stderr: stderr}
	if sh.n > 0 {
		fmt.Fprintf(stderr, "zeroshot classify: shard %s: %d of %d images\n", sh, len(images), len(all))
	}
	return r.run()
}
