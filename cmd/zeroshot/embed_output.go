package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/source"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// embedRecord is one line of embed's JSONL output: an image's or a text's embedding, or
// why an image could not be read.
type embedRecord struct {
	Image     string    `json:"image,omitempty"`
	Text      *string   `json:"text,omitempty"` // a pointer: "" is a text too
	Embedding []float32 `json:"embedding,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// indexRecord is one line of the index of embed's .npy parts: where an image's row is,
// or why it could not be read.
type indexRecord struct {
	Image string `json:"image"`
	Part  string `json:"part,omitempty"`
	Row   *int   `json:"row,omitempty"` // a pointer: row 0 is a row
	Error string `json:"error,omitempty"`
}

// fileError is the error of a file's record: the error names the file; the record has it.
func fileError(path string, err error) string {
	var se *source.Error
	if errors.As(err, &se) {
		return strings.TrimPrefix(se.Error(), source.Describe(se.Source)+": ")
	}
	return strings.TrimPrefix(err.Error(), path+": ")
}

// errorLine is an image's error for stderr: as it reads, but a data: URL shortened.
func errorLine(err error) string {
	var ie *preprocess.ImageError
	if errors.As(err, &ie) && source.IsData(ie.File) {
		c := *ie
		c.File = source.Describe(ie.File)
		return c.Error()
	}
	return err.Error()
}

// embedRecords reads the records of embed's FILE.partial (the index's, with npy),
// checking that they can belong to a run over images.
func embedRecords(images []string, npy bool) recordParser {
	check := newRecordCheck(images, zeroshot.Request{})
	return func(line []byte) (partialRec, error) {
		var rec struct {
			Image     string          `json:"image"`
			Part      string          `json:"part"`
			Row       *int            `json:"row"`
			Embedding json.RawMessage `json:"embedding"`
			Error     string          `json:"error"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.Image == "" {
			return partialRec{}, errNotRecord
		}
		if err := check.record(rec.Image); err != nil {
			return partialRec{}, err
		}
		out := partialRec{image: rec.Image, failed: rec.Error != ""}
		switch {
		case out.failed:
		case npy && (rec.Part == "" || rec.Row == nil):
			return partialRec{}, errors.New("not an index record (a JSONL output's?)")
		case !npy && len(rec.Embedding) == 0:
			return partialRec{}, errors.New("no embedding (an index's record?)")
		case npy:
			out.part, out.row = rec.Part, *rec.Row
		}
		return out, nil
	}
}

// writeEmbeddings writes the texts' embeddings (row i for texts[i]) to path atomically,
// as .npy or JSONL, its run fingerprint id first (path.run.json).
func writeEmbeddings(path, format string, texts []string, emb clip.Matrix, id *runInfo) error {
	if err := writeRunInfo(path, id); err != nil {
		return err
	}
	return writeAtomic(path, func(f *os.File) error {
		w := bufio.NewWriter(f)
		if format == "npy" {
			if err := preprocess.WriteNPY(w, emb.Data, emb.Rows, emb.Cols); err != nil {
				return err
			}
			return w.Flush()
		}
		for i := range texts {
			line, err := marshalJSON(embedRecord{Text: &texts[i], Embedding: emb.Row(i)})
			if err != nil {
				return err
			}
			w.Write(line)
			w.WriteByte('\n')
		}
		return w.Flush()
	})
}
