package zeroshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/atomicfile"
)

// The disk cache's file, KEY.labels: a magic line, the header's length (uint64, little
// endian), the header (JSON: labels, templates, shape), then the embeddings as raw
// little-endian float32, so values come back exactly and a 100,000-label set is read and
// written in a second rather than through 800 MB of JSON numbers.
const (
	labelsExt   = ".labels"
	labelsMagic = "zeroshot-labels 1\n"
)

type labelsHeader struct {
	Labels    []string `json:"labels"`
	Templates []string `json:"templates"`
	Rows      int      `json:"rows"`
	Cols      int      `json:"cols"`
}

// writeLabels writes l to path atomically: a temporary file in the same directory,
// renamed into place, so concurrent readers and writers only ever see whole files.
func writeLabels(path string, l *Labels) error {
	hdr, err := json.Marshal(labelsHeader{Labels: l.Labels, Templates: l.Templates, Rows: l.Embeds.Rows, Cols: l.Embeds.Cols})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := atomicfile.CreateTemp(filepath.Dir(path), ".labels-", ".tmp") // readable by whoever shares the cache, as the umask says
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	w := bufio.NewWriterSize(tmp, 1<<20)
	w.WriteString(labelsMagic)
	binary.Write(w, binary.LittleEndian, uint64(len(hdr)))
	w.Write(hdr)
	var b [4]byte
	for _, v := range l.Embeds.Data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		w.Write(b[:])
	}
	err = w.Flush()
	if err == nil {
		err = tmp.Close()
	} else {
		tmp.Close()
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// readLabels reads a file writeLabels wrote for exactly these labels and templates
// (a file for another set, however it got that name, is an error).
func readLabels(path string, labels, templates []string) (*Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(labelsMagic))
	if _, err := io.ReadFull(r, magic); err != nil || !bytes.Equal(magic, []byte(labelsMagic)) {
		return nil, fmt.Errorf("%s: not a label cache file", path)
	}
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if n > uint64(st.Size()) {
		return nil, fmt.Errorf("%s: damaged header", path)
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var h labelsHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data := int64(len(labelsMagic)) + 8 + int64(n) + int64(h.Rows)*int64(h.Cols)*4
	switch {
	case h.Rows != len(h.Labels) || h.Rows <= 0 || h.Cols <= 0 || data != st.Size():
		return nil, fmt.Errorf("%s: inconsistent label cache file", path)
	case !slices.Equal(h.Labels, labels) || !slices.Equal(h.Templates, templates):
		return nil, errors.New(path + ": another label set")
	}
	m := clip.Matrix{Rows: h.Rows, Cols: h.Cols, Data: make([]float32, h.Rows*h.Cols)}
	buf := make([]byte, 4*h.Cols)
	for i := 0; i < h.Rows; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		row := m.Row(i)
		for j := range row {
			row[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
	}
	return &Labels{Labels: h.Labels, Templates: h.Templates, Embeds: m}, nil
}
