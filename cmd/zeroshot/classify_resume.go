package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/zeroshot-clip/zeroshot/internal/atomicfile"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// outputFile is --output FILE of a run over image files (classify, embed). Records
// (JSONL, whatever --format) are appended to FILE.partial, one write per batch; finish
// turns the partial into FILE (a rename, or a rendering in another format) only when
// every image is done. A FILE.partial left by an interrupted run is resumed (see
// resume).
type outputFile struct {
	path, partial string
	id            *runInfo     // written to FILE.run.json before the first record
	replace       bool         // --force: an existing FILE is removed before the first record
	f             *os.File     // FILE.partial, once opened
	valid         int64        // the size of its records that are kept
	recs          []partialRec // its records, in file order
}

// partialRec is one record of FILE.partial: its image, where its line ends, whether it
// is an error record, and for embed's index the row's .npy part and row (part "": none).
type partialRec struct {
	image  string
	end    int64
	failed bool
	part   string
	row    int
}

// recordParser reads one line of FILE.partial into a partialRec (end aside). It returns
// errNotRecord for a line that is no record at all (the torn last line of an interrupted
// write), another error for a record that cannot belong to this run.
type recordParser func(line []byte) (partialRec, error)

var errNotRecord = errors.New("not a record")

// openOutput prepares FILE for a run whose records parse reads and whose identity is
// id (FILE.run.json). complete reports that FILE already exists, written by the same
// run (and force is off): there is nothing to do. A FILE or a FILE.partial of another
// run, or without a fingerprint, is an error naming what differs: bad input, found
// before any work (exit status 2; a scheduler need not retry it). With force,
// FILE.partial is ignored and overwritten, and FILE replaced.
func openOutput(path string, force bool, parse recordParser, id *runInfo) (o *outputFile, complete bool, err error) {
	o = &outputFile{path: path, partial: path + ".partial", id: id, replace: force}
	if force {
		return o, false, nil // FILE.partial is truncated at the first write, FILE replaced then
	}
	if _, err := os.Stat(path); err == nil {
		if err := checkRun(path, path, id, true); err != nil {
			return nil, false, exitUsage{err}
		}
		return nil, true, nil
	}
	if st, err := os.Stat(o.partial); err == nil && st.Size() > 0 {
		if err := checkRun(path, o.partial, id, false); err != nil {
			return nil, false, exitUsage{err}
		}
	}
	if err := o.readPartial(parse); err != nil {
		return nil, false, err
	}
	return o, false, nil
}

// checkRun compares the fingerprint of FILE (shown: FILE or FILE.partial) with this
// run's; complete also compares what the file holds (format, images).
func checkRun(path, shown string, id *runInfo, complete bool) error {
	const redo = "--force replaces it (or give another --output)"
	prev, err := readRunInfo(path, shown)
	if err != nil {
		return fmt.Errorf("%w; %s", err, redo)
	}
	diffs := prev.Run.diff(id.Run, "there", "here")
	if prev.Command != id.Command {
		diffs = append([]string{fmt.Sprintf("command: %s there, %s here", prev.Command, id.Command)}, diffs...)
	}
	if complete {
		diffs = append(diffs, prev.Output.diff(id.Output, "there", "here")...)
	}
	if len(diffs) > 0 {
		return &runMismatchError{head: shown + " was written by another run", diffs: diffs, what: redo}
	}
	return nil
}

// resume returns the images left to do and how many of the kept records are errors.
// When FILE.partial holds the first images of the list in order (what an interrupted
// run of the same command leaves), only its whole batches of batch images are kept and
// the run goes on at the next batch boundary, so that every image is classified in the
// same batch as in an uninterrupted run and the final file is the same, bit for bit.
// Otherwise every image it holds is skipped.
func (o *outputFile) resume(images []string, batch int) (todo []string, failed int) {
	prefix := len(o.recs) <= len(images)
	for i := 0; prefix && i < len(o.recs); i++ {
		prefix = o.recs[i].image == images[i]
	}
	if prefix {
		o.recs = o.recs[:len(o.recs)/batch*batch]
		todo = images[len(o.recs):]
	} else {
		done := map[string]bool{}
		for _, r := range o.recs {
			done[r.image] = true
		}
		for _, p := range images {
			if !done[p] {
				todo = append(todo, p)
			}
		}
	}
	o.valid = 0
	if n := len(o.recs); n > 0 {
		o.valid = o.recs[n-1].end
	}
	for _, r := range o.recs {
		if r.failed {
			failed++
		}
	}
	return todo, failed
}

// readPartial loads the records of FILE.partial, dropping a torn or damaged last line.
// Records that do not belong to this run (another image list, other labels or --top-k)
// are an error: resuming would mix two runs.
func (o *outputFile) readPartial(parse recordParser) error {
	f, err := os.Open(o.partial)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	const redo = "remove it or pass --force to start over, or rerun with the arguments that wrote it"
	r := bufio.NewReader(f)
	var end int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return nil // "" or a torn last line (no newline), dropped
		}
		if err != nil {
			return fmt.Errorf("%s: %w", o.partial, err)
		}
		rec, err := parse(line)
		if errors.Is(err, errNotRecord) {
			if _, err := r.Peek(1); err == io.EOF {
				return nil // a damaged last line: the write it came from was cut
			}
			return exitUsage{fmt.Errorf("%s line %d is not a record; %s", o.partial, n, redo)}
		}
		if err != nil {
			return exitUsage{fmt.Errorf("%s line %d: %w; %s", o.partial, n, err, redo)}
		}
		end += int64(len(line))
		rec.end = end
		o.recs = append(o.recs, rec)
	}
}

// classifyRecords reads classify's records, checking that they can belong to a run over
// images with req.
func classifyRecords(images []string, req zeroshot.Request) recordParser {
	check := newRecordCheck(images, req)
	return func(line []byte) (partialRec, error) {
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil || rec.Image == "" {
			return partialRec{}, errNotRecord
		}
		if err := check.record(rec.Image); err != nil {
			return partialRec{}, err
		}
		if rec.Error == "" {
			if err := check.results(rec); err != nil {
				return partialRec{}, err
			}
		}
		return partialRec{image: rec.Image, failed: rec.Error != ""}, nil
	}
}

// recordCheck tells whether a record can belong to a run over images with req.
type recordCheck struct {
	images, labels, seen map[string]bool
	want                 int // results per image
}

func newRecordCheck(images []string, req zeroshot.Request) *recordCheck {
	c := &recordCheck{images: map[string]bool{}, labels: map[string]bool{}, seen: map[string]bool{}, want: len(req.Labels)}
	for _, p := range images {
		c.images[p] = true
	}
	for _, l := range req.Labels {
		c.labels[l] = true
	}
	if req.TopK > 0 {
		c.want = min(c.want, req.TopK)
	}
	return c
}

// record checks that image is one of the run's, seen once.
func (c *recordCheck) record(image string) error {
	switch {
	case !c.images[image]:
		return fmt.Errorf("image %s is not among this run's images", image)
	case c.seen[image]:
		return fmt.Errorf("image %s is there twice", image)
	}
	c.seen[image] = true
	return nil
}

// results checks a classify record's labels and their number.
func (c *recordCheck) results(rec record) error {
	ok := len(rec.Results) == c.want
	for _, res := range rec.Results {
		ok = ok && c.labels[res.Label]
	}
	if !ok {
		return fmt.Errorf("the results of %s are for other labels or --top-k", rec.Image)
	}
	return nil
}

// open opens FILE.partial for appending after the kept records (dropping a torn last
// line and any records resume gave up), with FILE.run.json saying whose records they
// are. It is called at the first write, so a run that fails before classifying anything
// (labels, model) leaves no file behind. With --force, FILE goes first: it never sits
// beside a fingerprint that is not its own.
func (o *outputFile) open() error {
	if o.f != nil {
		return nil
	}
	if o.replace {
		if err := os.Remove(o.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := writeRunInfo(o.path, o.id); err != nil {
		return err
	}
	f, err := os.OpenFile(o.partial, os.O_CREATE|os.O_WRONLY, atomicfile.Perm)
	if err != nil {
		return err
	}
	if err := f.Truncate(o.valid); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", o.partial, err)
	}
	if _, err := f.Seek(o.valid, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", o.partial, err)
	}
	o.f = f
	return nil
}

// write appends one batch's JSONL lines to FILE.partial in one write.
func (o *outputFile) write(lines []byte) error {
	if err := o.open(); err != nil {
		return err
	}
	if _, err := o.f.Write(lines); err != nil {
		return fmt.Errorf("write %s: %w", o.partial, err)
	}
	return nil
}

// close closes FILE.partial, leaving it for a later resume.
func (o *outputFile) close() error {
	if o.f == nil {
		return nil
	}
	return o.f.Close()
}

// finish completes FILE from FILE.partial: renamed when render is nil, else rendered
// into FILE (atomically) by render, which reads the partial's path.
func (o *outputFile) finish(render func(partial string, w io.Writer) error) error {
	if err := o.open(); err != nil { // nothing written yet (e.g. an empty shard): an empty file
		return err
	}
	if err := o.f.Sync(); err != nil {
		o.f.Close()
		return fmt.Errorf("write %s: %w", o.partial, err)
	}
	err := o.f.Close()
	o.f = nil
	if err != nil {
		return fmt.Errorf("write %s: %w", o.partial, err)
	}
	if render == nil {
		return os.Rename(o.partial, o.path)
	}
	err = writeAtomic(o.path, func(w *os.File) error { return render(o.partial, w) })
	if err != nil {
		return err
	}
	return os.Remove(o.partial)
}
