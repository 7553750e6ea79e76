// Package golden reads the .npy golden files that testdata/gen/*.py write with NumPy
// and compares computed values against them, with a report fit for a test log:
// max |Δ|, max relative Δ and how many values are bit-identical.
//
// It is plain Go (no libtorch) and safe for concurrent use: every function works on
// its arguments only.
package golden

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Array is one .npy array of a little-endian float32 or int64 dtype, its values in C
// order (Fortran-order files are reordered).
// Exactly one of F32 and I64 is set.
type Array struct {
	Shape []int
	F32   []float32
	I64   []int64
}

// Len is the number of elements (the product of Shape).
func (a *Array) Len() int { return numel(a.Shape) }

var (
	descrRE = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	orderRE = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	shapeRE = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// Read reads a .npy file holding '<f4' (float32) or '<i8' (int64) values in C order.
func Read(path string) (*Array, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	a, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("golden: %s: %w", path, err)
	}
	return a, nil
}

// Parse decodes the bytes of a .npy file (format versions 1, 2 and 3).
func Parse(b []byte) (*Array, error) {
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("\x93NUMPY")) {
		return nil, errors.New("not a .npy file")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errors.New("truncated header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, fmt.Errorf("unsupported .npy version %d", b[6])
	}
	if start+hlen > len(b) {
		return nil, errors.New("truncated header")
	}
	header, data := string(b[start:start+hlen]), b[start+hlen:]
	descr, order, shapeM := descrRE.FindStringSubmatch(header), orderRE.FindStringSubmatch(header),
		shapeRE.FindStringSubmatch(header)
	if descr == nil || order == nil || shapeM == nil {
		return nil, fmt.Errorf("malformed header %q", header)
	}
	a := &Array{Shape: []int{}}
	for _, f := range strings.Split(shapeM[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad shape %q", shapeM[1])
		}
		a.Shape = append(a.Shape, n)
	}
	n := numel(a.Shape)
	switch descr[1] {
	case "<f4":
		if len(data) != 4*n {
			return nil, fmt.Errorf("%d data bytes for %d float32 values", len(data), n)
		}
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case "<i8":
		if len(data) != 8*n {
			return nil, fmt.Errorf("%d data bytes for %d int64 values", len(data), n)
		}
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			a.I64[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
		}
	default:
		return nil, fmt.Errorf("unsupported dtype %q (want '<f4' or '<i8')", descr[1])
	}
	if order[1] == "True" { // column-major (e.g. a saved transpose): reorder to C order
		perm := fortranToC(a.Shape)
		if a.F32 != nil {
			a.F32 = permute(a.F32, perm)
		} else {
			a.I64 = permute(a.I64, perm)
		}
	}
	return a, nil
}

// fortranToC returns, for each C-order index, the Fortran-order index of the same element.
func fortranToC(shape []int) []int {
	n := numel(shape)
	perm := make([]int, n)
	idx := make([]int, len(shape))
	for c := 0; c < n; c++ {
		f, stride := 0, 1
		for d := 0; d < len(shape); d++ {
			f += idx[d] * stride
			stride *= shape[d]
		}
		perm[c] = f
		for d := len(shape) - 1; d >= 0; d-- { // next C-order index
			if idx[d]++; idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return perm
}

func permute[T any](src []T, perm []int) []T {
	out := make([]T, len(src))
	for i, j := range perm {
		out[i] = src[j]
	}
	return out
}

// Float32s reads a float32 .npy file and returns its values and shape.
func Float32s(path string) ([]float32, []int, error) {
	a, err := Read(path)
	if err != nil {
		return nil, nil, err
	}
	if a.F32 == nil {
		return nil, nil, fmt.Errorf("golden: %s: not float32", path)
	}
	return a.F32, a.Shape, nil
}

// Int64s reads an int64 .npy file and returns its values and shape.
func Int64s(path string) ([]int64, []int, error) {
	a, err := Read(path)
	if err != nil {
		return nil, nil, err
	}
	if a.I64 == nil {
		return nil, nil, fmt.Errorf("golden: %s: not int64", path)
	}
	return a.I64, a.Shape, nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
