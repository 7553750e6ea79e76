package preprocess

import (
	"bufio"
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
	n := 1
	dims := make([]string, len(shape))
	for i, s := range shape {
		if s < 0 {
			return fmt.Errorf("preprocess: npy: negative dimension %d", s)
		}
		n *= s
		dims[i] = fmt.Sprint(s)
	}
	if n != len(data) {
		return fmt.Errorf("preprocess: npy: shape %v holds %d values, have %d", shape, n, len(data))
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
	header += strings.Repeat(" ", pad) + "\n"
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
