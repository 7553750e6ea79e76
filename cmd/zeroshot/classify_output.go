package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// Output formats (--format).
const (
	formatTable = "table"
	formatJSON  = "json"
	formatJSONL = "jsonl"
)

// record is one image's line in JSONL output (and in FILE.partial):
//
//	{"image":"dir/a.jpg","results":[{"score":0.91,"label":"cat"},…]}
//	{"image":"dir/b.jpg","error":"png: truncated: image file is truncated"}
type record struct {
	Image   string            `json:"image"`
	Results []zeroshot.Result `json:"results,omitempty"`
	Error   string            `json:"error,omitempty"`
}

func recordOf(r zeroshot.FileResult) record {
	if r.Err != nil {
		return record{Image: r.Path, Error: fileError(r.Path, r.Err)}
	}
	return record{Image: r.Path, Results: r.Results}
}

// marshalJSON is json.Marshal without HTML escaping (labels keep their < > &, as
// Python's json.dumps writes them) and without the trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// sink renders records in one format. write gets each batch's records in order; end
// completes the output (a JSON array's closing bracket).
type sink interface {
	write(w io.Writer, recs []record) error
	end(w io.Writer) error
}

func newSink(format string, single bool) sink {
	switch format {
	case formatJSON:
		return &jsonSink{single: single}
	case formatTable:
		return &tableSink{single: single}
	}
	return jsonlSink{}
}

// jsonlSink: one record per line.
type jsonlSink struct{}

func (jsonlSink) write(w io.Writer, recs []record) error {
	var b bytes.Buffer
	for _, r := range recs {
		line, err := marshalJSON(r)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (jsonlSink) end(io.Writer) error { return nil }

// jsonSink: the pipeline's shape. One image: its list [{"score","label"},…]. Several:
// a list of such lists, in image order, with null for an image that failed.
type jsonSink struct {
	single bool
	n      int
}

func (s *jsonSink) write(w io.Writer, recs []record) error {
	var b bytes.Buffer
	for _, r := range recs {
		var item []byte
		if r.Error == "" {
			var err error
			if item, err = marshalJSON(r.Results); err != nil {
				return err
			}
		} else {
			item = []byte("null")
		}
		switch {
		case s.single:
		case s.n == 0:
			b.WriteString("[\n")
		default:
			b.WriteString(",\n")
		}
		b.Write(item)
		s.n++
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (s *jsonSink) end(w io.Writer) error {
	var err error
	switch {
	case s.single:
		_, err = io.WriteString(w, "\n")
	case s.n == 0:
		_, err = io.WriteString(w, "[]\n")
	default:
		_, err = io.WriteString(w, "\n]\n")
	}
	return err
}

// tableSink: for people. One image:
//
//	score   label
//	0.8512  cat
//
// Several: each image's path, then its rows indented (or its error), a blank line between.
type tableSink struct {
	single bool
	n      int
}

func (s *tableSink) write(w io.Writer, recs []record) error {
	var b bytes.Buffer
	for _, r := range recs {
		indent := ""
		if !s.single {
			if s.n > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "%s\n", r.Image)
			indent = "  "
		}
		s.n++
		if r.Error != "" {
			fmt.Fprintf(&b, "%serror: %s\n", indent, r.Error)
			continue
		}
		fmt.Fprintf(&b, "%sscore   label\n", indent)
		for _, res := range r.Results {
			fmt.Fprintf(&b, "%s%.4f  %s\n", indent, res.Score, res.Label)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (s *tableSink) end(io.Writer) error { return nil }

// renderPartial rewrites the records of a JSONL file in another format.
func renderPartial(path string, w io.Writer, s sink) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(w)
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := s.write(bw, []record{rec}); err != nil {
			return err
		}
	}
	if err := s.end(bw); err != nil {
		return err
	}
	return bw.Flush()
}
