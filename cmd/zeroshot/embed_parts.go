package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// npyParts writes embed's rows into .npy parts of at most max rows: PREFIX-00000.npy,
// PREFIX-00001.npy, … The open part is PREFIX-0000K.npy.partial, its header saying 0
// rows, rows appended per batch; when full (or at the end) its header gets the row
// count, it is synced and renamed into place. Each part is numpy.save's file of its
// [rows, D] float32 array, byte for byte.
type npyParts struct {
	prefix string
	max    int      // rows per part
	cols   int      // 0 until known
	k      int      // the open (or next) part
	n      int      // rows in it
	f      *os.File // its .partial, while open
}

func (p *npyParts) name(k int) string { return fmt.Sprintf("%s-%05d.npy", p.prefix, k) }

// add appends rows (one batch) and returns where each went: its part's base name and
// row in it.
func (p *npyParts) add(rows [][]float32) (parts []string, idx []int, err error) {
	for _, row := range rows {
		if p.cols == 0 {
			p.cols = len(row)
		}
		if len(row) != p.cols {
			return nil, nil, fmt.Errorf("%s: rows of %d values, the parts have %d (another model? use another --output or --force)", p.name(p.k), len(row), p.cols)
		}
		if p.f == nil {
			if err := p.create(); err != nil {
				return nil, nil, err
			}
		}
		b := make([]byte, 4*len(row))
		for i, v := range row {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		if _, err := p.f.Write(b); err != nil {
			return nil, nil, fmt.Errorf("write %s.partial: %w", p.name(p.k), err)
		}
		parts, idx = append(parts, filepath.Base(p.name(p.k))), append(idx, p.n)
		if p.n++; p.n == p.max {
			if err := p.seal(); err != nil {
				return nil, nil, err
			}
		}
	}
	return parts, idx, nil
}

// create starts part k (empty, a 0-row header).
func (p *npyParts) create() error {
	h, err := preprocess.NPYHeader(0, p.cols)
	if err != nil {
		return err
	}
	f, err := os.Create(p.name(p.k) + ".partial")
	if err != nil {
		return err
	}
	if _, err := f.Write(h); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	p.f, p.n = f, 0
	return nil
}

// seal completes the open part: its header's row count, synced, renamed into place.
func (p *npyParts) seal() error {
	h, err := preprocess.NPYHeader(p.n, p.cols)
	if err != nil {
		return err
	}
	name := p.name(p.k)
	_, err = p.f.WriteAt(h, 0)
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err != nil {
		return fmt.Errorf("write %s.partial: %w", name, err)
	}
	if err := os.Rename(name+".partial", name); err != nil {
		return err
	}
	p.k, p.n = p.k+1, 0
	return nil
}

// close leaves the open part as it is, for a resume.
func (p *npyParts) close() error {
	if p.f == nil {
		return nil
	}
	err := p.f.Close()
	p.f = nil
	return err
}

// finish seals the last part and removes parts beyond it left by an earlier, longer
// run with the same --output (--force, or a resume over parts sealed after the index
// was cut).
func (p *npyParts) finish() error {
	if p.f != nil {
		if err := p.seal(); err != nil {
			return err
		}
	}
	for k := p.k; ; k++ {
		e1, e2 := os.Remove(p.name(k)), os.Remove(p.name(k)+".partial")
		if errors.Is(e1, fs.ErrNotExist) && errors.Is(e2, fs.ErrNotExist) {
			return nil
		}
	}
}

// resume brings the parts to the state the kept index records describe (their rows in
// order: row i of the run is row i mod max of part i / max), after a run that was
// killed at any point: full parts that are still .partial are sealed, the open part is
// cut to its recorded rows (taken back from its sealed file if it was sealed after the
// index was cut), rows beyond are dropped and written again.
func (p *npyParts) resume(recs []partialRec) error {
	rows := 0
	for _, r := range recs {
		if r.failed {
			continue
		}
		if want := filepath.Base(p.name(rows / p.max)); r.part != want || r.row != rows%p.max {
			return exitUsage{fmt.Errorf("%s: record of %s at %s row %d, want %s row %d: written with other --part-rows or --output; rerun with the arguments that wrote it, or --force",
				p.prefix, r.image, r.part, r.row, want, rows%p.max)}
		}
		rows++
	}
	full, rem := rows/p.max, rows%p.max
	for k := 0; k < full; k++ {
		if h, err := npyRows(p.name(k)); err == nil && h.exact && h.rows == p.max && h.said == p.max && (p.cols == 0 || h.cols == p.cols) {
			p.cols = h.cols // sealed and whole
			continue
		}
		if err := p.reopen(k, p.max); err != nil {
			return err
		}
		if err := p.seal(); err != nil {
			return err
		}
	}
	p.k, p.n = full, 0
	if rem > 0 {
		return p.reopen(full, rem)
	}
	return nil
}

// reopen makes part k's .partial hold exactly rows rows, open for appending, from its
// sealed file or its .partial, whichever holds them.
func (p *npyParts) reopen(k, rows int) error {
	name := p.name(k)
	src := name
	if _, err := os.Stat(name); err != nil {
		src = name + ".partial"
	}
	h, err := npyRows(src)
	if err != nil {
		return fmt.Errorf("%s (the index lists %d of its rows): %w; rerun with --force", name, rows, err)
	}
	if h.rows < rows || (p.cols != 0 && h.cols != p.cols) {
		return fmt.Errorf("%s holds %d rows of %d values, the index %d rows: it does not belong to this run; rerun with --force", src, h.rows, h.cols, rows)
	}
	if src == name {
		if err := os.Rename(name, name+".partial"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(name+".partial", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	end := int64(h.len) + int64(rows)*int64(h.cols)*4
	if err := f.Truncate(end); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	p.f, p.k, p.n, p.cols = f, k, rows, h.cols
	return nil
}

var npyShape = regexp.MustCompile(`'shape': \((\d+), (\d+)\)`)

// npyPart is what a part's header and size say.
type npyPart struct {
	len   int  // of the header
	cols  int  // values per row
	rows  int  // whole rows in the file (a .partial's header says 0: its size tells)
	said  int  // rows the header says
	exact bool // the file is the header and whole rows
}

// npyRows reads a part's header and size.
func npyRows(path string) (npyPart, error) {
	var h npyPart
	f, err := os.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	var pre [10]byte
	if _, err := io.ReadFull(f, pre[:]); err != nil || string(pre[:8]) != "\x93NUMPY\x01\x00" {
		return h, errors.New("not a .npy file")
	}
	dict := make([]byte, binary.LittleEndian.Uint16(pre[8:]))
	if _, err := io.ReadFull(f, dict); err != nil {
		return h, errors.New("truncated .npy header")
	}
	m := npyShape.FindSubmatch(dict)
	if m == nil {
		return h, errors.New("not a 2-D .npy file")
	}
	h.said, _ = strconv.Atoi(string(m[1]))
	h.cols, _ = strconv.Atoi(string(m[2]))
	st, err := f.Stat()
	if err != nil || h.cols <= 0 {
		return h, errors.New("not an embeddings part")
	}
	h.len = 10 + len(dict)
	data := st.Size() - int64(h.len)
	h.rows = int(data / int64(4*h.cols))
	h.exact = data%int64(4*h.cols) == 0
	return h, nil
}
