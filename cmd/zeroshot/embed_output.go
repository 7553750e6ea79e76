package main

import (
	"bufio"
	"os"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// embedRecord is one line of embed's JSONL output.
type embedRecord struct {
	Image     string    `json:"image,omitempty"`
	Text      *string   `json:"text,omitempty"` // a pointer: "" is a text too
	Embedding []float32 `json:"embedding"`
}

// writeEmbeddings writes emb (row i for names[i]) to path atomically, as .npy or JSONL.
func writeEmbeddings(path, format string, images bool, names []string, emb clip.Matrix) error {
	return writeAtomic(path, func(f *os.File) error {
		w := bufio.NewWriter(f)
		if format == "npy" {
			if err := preprocess.WriteNPY(w, emb.Data, emb.Rows, emb.Cols); err != nil {
				return err
			}
			return w.Flush()
		}
		for i, name := range names {
			rec := embedRecord{Embedding: emb.Row(i)}
			if images {
				rec.Image = name
			} else {
				rec.Text = &names[i]
			}
			line, err := marshalJSON(rec)
			if err != nil {
				return err
			}
			w.Write(line)
			w.WriteByte('\n')
		}
		return w.Flush()
	})
}
