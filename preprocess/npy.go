package preprocess

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// WriteNPY writes data as a NumPy .npy file (format 1.0, little-endian float32
// '<f4', fortran_order False) with the given shape — byte-identical to
// numpy.save of a C-contiguous float32 array.
func WriteNPY(w io.Writer, data []float32, shape ...int) error {
	header, n, err := npyHeader(shape)
	if err != nil {
		return err
	}
	if n != len(data) {
		return fmt.Errorf("preprocess: npy: shape %v holds %d values, have %d", shape, n, len(data))
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("\x93NUMPY\x01\x00")
	binary.Write(bw, binary.LittleEndian, uint16(len(header)))
	bw.WriteString(header)
	var buf [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
		bw.Write(buf[:])
	}
	return bw.Flush()
}

// WriteNPYFile writes a .npy file (see WriteNPY).
func WriteNPYFile(path string, data []float32, shape ...int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteNPY(f, data, shape...); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// NPYHeader returns the header WriteNPY writes for shape (magic, version, length and
// the padded dictionary). Its length does not depend on the first dimension (numpy
// leaves room for it to grow), so a file written row by row can start with the header
// of 0 rows and have it rewritten in place once the rows are counted.
func NPYHeader(shape ...int) ([]byte, error) {
	header, _, err := npyHeader(shape)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	return b.Bytes(), nil
}

// npyHeader is the dictionary of a float32 array of shape, padded, and its element count.
func npyHeader(shape []int) (string, int, error) {
	n := 1
	dims := make([]string, len(shape))
	for i, s := range shape {
		if s < 0 {
			return "", 0, fmt.Errorf("preprocess: npy: negative dimension %d", s)
		}
		n *= s
		dims[i] = fmt.Sprint(s)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", sh)
	// numpy (format.py, _write_array_header): spare spaces so the first axis
	// can grow in place (GROWTH_AXIS_MAX_DIGITS = 21), then pad with spaces and
	// a final newline so magic+version+length+header is a multiple of 64
	// (always adding at least one space).
	if len(shape) > 0 {
		header += strings.Repeat(" ", max(0, 21-len(dims[0])))
	}
	hlen := len(header) + 1
	pad := 64 - (10+hlen)%64
	return header + strings.Repeat(" ", pad) + "\n", n, nil
}
