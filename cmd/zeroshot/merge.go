package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func init() {
	register("merge", "join the JSONL parts of a sharded classify run into one, in image order", runMerge)
}

const mergeSynopsis = `merge [flags] PART... [--images IMAGE|DIR|GLOB|URL|s3://…]... [--images-from FILE]

Joins the JSONL files that classify --shard K/N (or --shard auto) wrote, one --output
per shard, into the file a single run over the same images writes: the same records in
the same order, byte for byte. On CPU every image goes through the model alone
(classify --batching per-image, the default there), so this holds for any --batch-size
and shard count; batched (--batching batched, the CUDA default) the shards share out
whole batches, and it holds at the single run's --batch-size. Flags may come before or
after the parts.

Runs never mix: each PART has PART.run.json, the fingerprint classify wrote beside it
(the model's digest, labels, templates, --top-k, parity profile, image backend,
attention, dtype, device kind, libtorch, batching), and parts whose fingerprints differ
are refused, naming what differs; so is a part without one (written by an older
zeroshot: rerun that shard). With --output, FILE.run.json records the merged run (what
the single run would record). Parts that say which shard they are must all be there.

Order: with --images (the classify run's IMAGE|DIR|GLOB arguments, repeated as needed,
in their order; and its --images-from FILE), the images are listed as classify lists
them (s3:// prefixes are listed again), and every image must have
exactly one record among the parts and nothing else may: a missing shard, an incomplete
part or parts of another run are errors. Without --images, records are sorted by image
path (byte order), which is a single run's order when it had one DIR or one GLOB
argument; each image must still appear only once.

PARTs are files or quoted globs ('out/shard-*.jsonl'; a pattern's *.run.json matches are
skipped). A PART that does not exist while PART.partial does is a shard that has not
finished: an error.

Exit status: 0 merged (records of images that could not be read are kept, and counted
on stderr); 1 an I/O error; 2 bad usage or parts that do not fit together.`

// mergeFlags are merge's flags.
type mergeFlags struct {
	images stringList
	from   sourceFlags // --images-from only
	output string
	format string
	force  bool
}

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", mergeSynopsis, stderr)
	var f mergeFlags
	fs.Var(&f.images, "images", "an IMAGE|DIR|GLOB argument of the classify run (repeat for each, in order): gives the order and checks that every image is there once")
	fs.StringVar(&f.from.from, "images-from", "", `the classify run's --images-from FILE ("-": standard input): its images follow the --images ones`)
	fs.StringVar(&f.output, "output", "", "write to FILE (atomically) instead of stdout")
	fs.StringVar(&f.format, "format", formatJSONL, "jsonl, json (the pipeline's list of lists) or table")
	fs.BoolVar(&f.force, "force", false, "with --output: replace FILE if it exists")
	partArgs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch f.format {
	case formatJSONL, formatJSON, formatTable:
	default:
		return exitUsage{fmt.Errorf("--format %q: want jsonl, json or table", f.format)}
	}
	if len(partArgs) == 0 {
		return exitUsage{errors.New("no parts: give the JSONL files of the shards (e.g. 'out/shard-*.jsonl')")}
	}
	if f.force && f.output == "" {
		return exitUsage{errors.New("--force goes with --output")}
	}
	if f.output != "" && !f.force {
		if _, err := os.Stat(f.output); err == nil {
			return exitUsage{fmt.Errorf("%s exists (--force replaces it)", f.output)}
		}
	}
	parts, err := expandParts(partArgs)
	if err != nil {
		return exitUsage{err}
	}
	var order []string
	if len(f.images) > 0 || f.from.from != "" {
		ctx, stop := interruptContext()
		defer stop()
		list, err := f.from.find(ctx, f.images)
		if err != nil {
			return exitUsage{err}
		}
		order = list.names
	}
	id, shardsErr, err := partsRun(parts)
	if err != nil {
		return err
	}
	recs, err := mergeParts(parts, order)
	if err != nil {
		return err
	}
	if shardsErr != nil {
		return shardsErr
	}
	failed := 0
	for _, r := range recs {
		if r.rec.Error != "" {
			failed++
		}
	}
	write := func(w io.Writer) error { return writeMerged(w, recs, f.format) }
	if f.output == "" {
		if err := write(stdout); err != nil {
			return err
		}
	} else {
		// The merged file is one run's output: its fingerprint is the parts', its
		// images the merged list (what a single run over them would record).
		images := make([]string, len(recs))
		for i, r := range recs {
			images[i] = r.rec.Image
		}
		id.Output = runOutput{Format: f.format, Images: newListID(images, 0)}
		if f.force {
			if err := os.Remove(f.output); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if err := writeRunInfo(f.output, id); err != nil {
			return err
		}
		if err := writeAtomic(f.output, func(file *os.File) error { return write(file) }); err != nil {
			return err
		}
	}
	dest := f.output
	if dest == "" {
		dest = "stdout"
	}
	fmt.Fprintf(stderr, "zeroshot merge: %d images from %d parts to %s", len(recs), len(parts), dest)
	if failed > 0 {
		fmt.Fprintf(stderr, " (%d could not be read: their error records are kept)", failed)
	}
	fmt.Fprintln(stderr)
	return nil
}

// expandParts turns the PART arguments into files: each is a file, or a glob matching
// some. A part whose FILE.partial is there instead has not finished.
func expandParts(args []string) ([]string, error) {
	var parts []string
	seen := map[string]bool{}
	for _, arg := range args {
		matches := []string{arg}
		if _, err := os.Stat(arg); errors.Is(err, fs.ErrNotExist) {
			if _, perr := os.Stat(arg + ".partial"); perr == nil {
				return nil, fmt.Errorf("%s is not complete: %s.partial is there (a shard still running, or interrupted: rerun its classify command)", arg, arg)
			}
			if !strings.ContainsAny(arg, "*?[") {
				return nil, fmt.Errorf("%s: no such file", arg)
			}
			var gerr error
			if matches, gerr = filepath.Glob(arg); gerr != nil {
				return nil, fmt.Errorf("%s: %w", arg, gerr)
			}
			if partials, _ := filepath.Glob(arg + ".partial"); len(partials) > 0 {
				return nil, fmt.Errorf("%s: %s is not complete: a shard still running, or interrupted (rerun its classify command)", arg, strings.TrimSuffix(partials[0], ".partial"))
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("%s matches no file", arg)
			}
		}
		for _, m := range matches {
			if strings.HasSuffix(m, runSuffix) && m != arg {
				continue // a part's fingerprint, matched by a broad pattern
			}
			if !seen[filepath.Clean(m)] {
				seen[filepath.Clean(m)] = true
				parts = append(parts, m)
			}
		}
	}
	return parts, nil
}

// mergedRec is one record with its original line (kept as it is for jsonl output).
type mergedRec struct {
	rec  record
	line []byte
	part string
}

// mergeParts reads every part and returns the records in order: order's if given (each
// of its images exactly once, nothing else), else by image path.
func mergeParts(parts []string, order []string) ([]mergedRec, error) {
	byImage := map[string]mergedRec{}
	results := -1 // results per record, the same in every part of one run
	for _, p := range parts {
		recs, err := readPart(p)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if prev, dup := byImage[r.rec.Image]; dup {
				return nil, exitUsage{fmt.Errorf("image %s is in %s and in %s: parts of overlapping runs", r.rec.Image, prev.part, p)}
			}
			if r.rec.Error == "" {
				if results >= 0 && len(r.rec.Results) != results {
					return nil, exitUsage{fmt.Errorf("%s: %s has %d results, other records %d: parts of runs with other labels or --top-k", p, r.rec.Image, len(r.rec.Results), results)}
				}
				results = len(r.rec.Results)
			}
			byImage[r.rec.Image] = r
		}
	}
	if order == nil {
		out := make([]mergedRec, 0, len(byImage))
		for _, r := range byImage {
			out = append(out, r)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].rec.Image < out[j].rec.Image })
		return out, nil
	}
	out := make([]mergedRec, 0, len(order))
	var missing []string
	for _, img := range order {
		r, ok := byImage[img]
		if !ok {
			missing = append(missing, img)
			continue
		}
		out = append(out, r)
		delete(byImage, img)
	}
	if len(missing) > 0 {
		return nil, exitUsage{fmt.Errorf("%d of %d images have no record in the parts (first: %s): a shard missing, or run over other images", len(missing), len(order), missing[0])}
	}
	for img, r := range byImage {
		return nil, exitUsage{fmt.Errorf("%s: image %s is not among the --images (%d more records like it?)", r.part, img, len(byImage)-1)}
	}
	return out, nil
}

// readPart reads a complete JSONL part: every line a record, the last one ended.
func readPart(path string) ([]mergedRec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []mergedRec
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) > 0 {
				return nil, exitUsage{fmt.Errorf("%s line %d is cut short (no newline): not a complete classify output", path, n)}
			}
			return recs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil || rec.Image == "" {
			return nil, exitUsage{fmt.Errorf("%s line %d is not a classify record (--format jsonl output): %.60q", path, n, bytes.TrimSpace(line))}
		}
		recs = append(recs, mergedRec{rec: rec, line: line, part: path})
	}
}

// writeMerged writes the records: their lines as read for jsonl (so the result is the
// single run's file byte for byte), rendered by classify's sinks otherwise.
func writeMerged(w io.Writer, recs []mergedRec, format string) error {
	bw := bufio.NewWriter(w)
	if format == formatJSONL {
		for _, r := range recs {
			if _, err := bw.Write(r.line); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	s := newSink(format, false)
	for _, r := range recs {
		if err := s.write(bw, []record{r.rec}); err != nil {
			return err
		}
	}
	if err := s.end(bw); err != nil {
		return err
	}
	return bw.Flush()
}
