package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// A run's identity travels with its output: beside every file classify and embed write
// with --output (FILE, or its FILE.partial while the run is going) is FILE.run.json, a
// small JSON document saying what determined the numbers. A sidecar rather than a
// header line, so the records stay exactly what users parse (every JSONL line a record,
// the JSON output the pipeline's shape, the .npy parts numpy's) and a merged file stays
// byte for byte the single run's.
//
// Resuming (or skipping a complete FILE) and merging compare the "run" part field by
// field and refuse any difference, naming it; --force replaces the output instead.

// runFileVersion is the sidecar's format version (the "zeroshot_run" field).
const runFileVersion = 1

// runSuffix names the sidecar of FILE: FILE + runSuffix.
const runSuffix = ".run.json"

func runPath(file string) string { return file + runSuffix }

// runInfo is the sidecar.
type runInfo struct {
	Version     int         `json:"zeroshot_run"`
	Command     string      `json:"command"`     // "classify", "embed" or "embed-texts"
	Fingerprint string      `json:"fingerprint"` // sha256 of "run", for a quick look
	Run         fingerprint `json:"run"`
	Output      runOutput   `json:"output"`
	Host        runHost     `json:"host"`
}

// fingerprint is what determines the numbers of a run. Two runs with equal fingerprints
// on the same kind of machine write the same bits for the same image.
type fingerprint struct {
	Model      modelID `json:"model"`
	Labels     *listID `json:"labels,omitempty"`     // classify
	Templates  *listID `json:"templates,omitempty"`  // classify: the hypothesis template(s)
	TopK       *int    `json:"top_k,omitempty"`      // classify: 0 is every label
	Normalized *bool   `json:"normalized,omitempty"` // embed: image_embeds instead of get_image_features
	Parity     string  `json:"parity"`
	Backend    string  `json:"image_backend"`
	Attention  string  `json:"attention"`
	DType      string  `json:"dtype"`
	Device     string  `json:"device"` // "cpu" or "cuda": the kind, not the index
	Libtorch   string  `json:"libtorch"`
	Batching   string  `json:"batching"`             // "per-image" or "batched"
	BatchSize  int     `json:"batch_size,omitempty"` // only where it changes the numbers (batched)
}

// modelID names a model by content: its weights and the files that configure it.
type modelID struct {
	Weights string `json:"weights"` // "sha256:…" of the weights file
	Files   string `json:"files"`   // "sha256:…" over config, preprocessor and tokenizer files
}

// listID names a list (labels, templates, images) by its count and a digest of its
// items in order, with the first few for messages.
type listID struct {
	Count  int      `json:"count"`
	SHA256 string   `json:"sha256"`
	First  []string `json:"first,omitempty"`
}

func newListID(items []string, first int) *listID {
	h := sha256.New()
	for _, s := range items {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return &listID{Count: len(items), SHA256: hex.EncodeToString(h.Sum(nil)), First: items[:min(first, len(items))]}
}

func (l *listID) same(o *listID) bool {
	return (l == nil) == (o == nil) && (l == nil || l.Count == o.Count && l.SHA256 == o.SHA256)
}

func (l *listID) describe(what string) string {
	if l == nil {
		return "none"
	}
	s := fmt.Sprintf("%d %s", l.Count, what)
	if len(l.First) > 0 {
		more := ""
		if l.Count > len(l.First) {
			more = ", …"
		}
		s += " (" + strings.Join(l.First, ", ") + more + ")"
	}
	return s + " sha256 " + l.SHA256[:min(12, len(l.SHA256))]
}

// runOutput is what the file holds, beyond the fingerprint: compared when a run meets
// its own output again (resume, or a complete FILE), not between a merge's parts.
type runOutput struct {
	Format   string  `json:"format"`              // jsonl, json, table; embed: jsonl or npy
	PartRows int     `json:"part_rows,omitempty"` // embed .npy
	Images   *listID `json:"images,omitempty"`    // the images of this file, in order
	Texts    *listID `json:"texts,omitempty"`     // embed --texts
	Shard    string  `json:"shard,omitempty"`     // "K/N" for a shard
}

// runHost is for people: not compared. The thread count and the CPU can change the last
// bits of a CPU run (README, "Parity"); shards on different machines still merge.
type runHost struct {
	Zeroshot string `json:"zeroshot"`
	Threads  int    `json:"threads"`
	Model    string `json:"model"` // --model as given: a path differs between machines
}

// seal fills Fingerprint from Run.
func (r *runInfo) seal() error {
	b, err := json.Marshal(r.Run)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	r.Version, r.Fingerprint = runFileVersion, "sha256:"+hex.EncodeToString(sum[:])
	return nil
}

// fields lists the fingerprint's compared values, in the order messages name them.
func (f fingerprint) fields() [][2]string {
	opt := func(p *int) string {
		switch {
		case p == nil:
			return "none"
		case *p == 0:
			return "all labels"
		}
		return strconv.Itoa(*p)
	}
	norm := "none"
	if f.Normalized != nil {
		norm = strconv.FormatBool(*f.Normalized)
	}
	batch := f.Batching
	if f.BatchSize > 0 {
		batch += fmt.Sprintf(" (%d images per forward)", f.BatchSize)
	}
	return [][2]string{
		{"model weights", f.Model.Weights},
		{"model files (config, preprocessor, tokenizer)", f.Model.Files},
		{"labels", f.Labels.describe("labels")},
		{"templates", f.Templates.describe("templates")},
		{"--top-k", opt(f.TopK)},
		{"--normalized", norm},
		{"parity profile", f.Parity},
		{"image backend", f.Backend},
		{"attention", f.Attention},
		{"dtype", f.DType},
		{"device", f.Device},
		{"libtorch", f.Libtorch},
		{"batching", batch},
	}
}

// diff names every field in which f differs from b, as "labels: F's there, b's here"
// (there and here say where each was found).
func (f fingerprint) diff(b fingerprint, there, here string) []string {
	var out []string
	fa, fb := f.fields(), b.fields()
	for i := range fa {
		if fa[i][1] != fb[i][1] {
			out = append(out, fmt.Sprintf("%s: %s %s, %s %s", fa[i][0], fa[i][1], there, fb[i][1], here))
		}
	}
	return out
}

// diff of the outputs (a run meeting its own output).
func (o runOutput) diff(b runOutput, there, here string) []string {
	var out []string
	if o.Format != b.Format {
		out = append(out, fmt.Sprintf("--format: %s %s, %s %s", o.Format, there, b.Format, here))
	}
	if o.PartRows != b.PartRows {
		out = append(out, fmt.Sprintf("--part-rows: %d %s, %d %s", o.PartRows, there, b.PartRows, here))
	}
	if !o.Images.same(b.Images) {
		out = append(out, fmt.Sprintf("images: %s%s %s, %s%s %s", o.Images.describe("images"), shardNote(o.Shard), there,
			b.Images.describe("images"), shardNote(b.Shard), here))
	}
	if !o.Texts.same(b.Texts) {
		out = append(out, fmt.Sprintf("texts: %s %s, %s %s", o.Texts.describe("texts"), there, b.Texts.describe("texts"), here))
	}
	return out
}

func shardNote(s string) string {
	if s == "" {
		return ""
	}
	return " of shard " + s
}

// noRunInfoError: an output without its sidecar (written before zeroshot recorded runs,
// or copied without it).
type noRunInfoError struct{ shown, sidecar string }

func (e *noRunInfoError) Error() string {
	return fmt.Sprintf("%s has no run fingerprint (%s): a zeroshot older than the fingerprints wrote it, or it was copied without it, so what computed it cannot be checked",
		e.shown, e.sidecar)
}

// readRunInfo reads FILE.run.json; shown is the file to name in errors (FILE, or the
// FILE.partial it describes).
func readRunInfo(file, shown string) (*runInfo, error) {
	b, err := os.ReadFile(runPath(file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &noRunInfoError{shown: shown, sidecar: runPath(file)}
	}
	if err != nil {
		return nil, err
	}
	var r runInfo
	if err := json.Unmarshal(b, &r); err != nil || r.Version == 0 {
		return nil, fmt.Errorf("%s: not a zeroshot run fingerprint", runPath(file))
	}
	if r.Version > runFileVersion {
		return nil, fmt.Errorf("%s: run fingerprint version %d, this zeroshot reads %d: a newer zeroshot wrote it", runPath(file), r.Version, runFileVersion)
	}
	return &r, nil
}

// writeRunInfo writes FILE.run.json atomically.
func writeRunInfo(file string, r *runInfo) error {
	if err := r.seal(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(runPath(file), func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}

// runMismatchError is a run meeting an output (or a merge part) of another run.
type runMismatchError struct {
	head  string   // "FILE was written by another run"
	diffs []string // what differs, one field each
	what  string   // how to get out of it
}

func (e *runMismatchError) Error() string {
	return fmt.Sprintf("%s:\n  %s\n%s", e.head, strings.Join(e.diffs, "\n  "), e.what)
}

// short is a fingerprint's first hex digits, for messages.
func short(fp string) string { return fp[:min(len(fp), len("sha256:")+12)] }
