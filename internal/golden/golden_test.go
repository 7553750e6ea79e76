package golden

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func npyBytes(descr, shape string, data []byte, version byte) []byte {
	return npyOrder(descr, "False", shape, data, version)
}

func npyOrder(descr, fortran, shape string, data []byte, version byte) []byte {
	h := "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }"
	for (len(h)+11)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY")
	b = append(b, version, 0)
	if version == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	return append(append(b, h...), data...)
}

func TestParse(t *testing.T) {
	f32 := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5)), math.Float32bits(-2))
	i64 := binary.LittleEndian.AppendUint64(nil, uint64(49407))
	tests := []struct {
		name    string
		b       []byte
		shape   []int
		f32     []float32
		i64     []int64
		wantErr bool
	}{
		{"float32 v1", npyBytes("<f4", "(1, 2)", f32, 1), []int{1, 2}, []float32{1.5, -2}, nil, false},
		{"float32 v2", npyBytes("<f4", "(2,)", f32, 2), []int{2}, []float32{1.5, -2}, nil, false},
		{"int64 scalar", npyBytes("<i8", "()", i64, 1), []int{}, nil, []int64{49407}, false},
		{"fortran 2x3", npyOrder("<i8", "True", "(2, 3)", i64s(1, 4, 2, 5, 3, 6), 1), []int{2, 3}, nil, []int64{1, 2, 3, 4, 5, 6}, false},
		{"short data", npyBytes("<f4", "(3,)", f32, 1), nil, nil, nil, true},
		{"big endian", npyBytes(">f4", "(2,)", f32, 1), nil, nil, nil, true},
		{"not npy", []byte("hello world"), nil, nil, nil, true},
		{"truncated header", npyBytes("<f4", "(2,)", f32, 1)[:20], nil, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(tt.b)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.shape, a.Shape)
			assert.Equal(t, tt.f32, a.F32)
			assert.Equal(t, tt.i64, a.I64)
		})
	}
}

func TestReadFixture(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "models", "tiny-l14", "golden")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixtures not present")
	}
	v, shape, err := Float32s(filepath.Join(dir, "logits_per_image.npy"))
	require.NoError(t, err)
	assert.Equal(t, []int{3, 6}, shape)
	assert.Len(t, v, 18)
	ids, shape, err := Int64s(filepath.Join(dir, "input_ids.npy"))
	require.NoError(t, err)
	assert.Len(t, ids, shape[0]*shape[1])
	_, _, err = Int64s(filepath.Join(dir, "logits_per_image.npy"))
	assert.Error(t, err)
}

func TestCompare(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name      string
		got, want []float32
		equal     int
		maxAbs    float64
		identical bool
	}{
		{"same", []float32{1, 2}, []float32{1, 2}, 2, 0, true},
		{"one off", []float32{1, 2.5}, []float32{1, 2}, 1, 0.5, false},
		{"nan both", []float32{nan}, []float32{nan}, 1, 0, true},
		{"nan one", []float32{nan}, []float32{1}, 0, math.Inf(1), false},
		{"signed zero", []float32{float32(math.Copysign(0, -1))}, []float32{0}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compare(tt.got, tt.want)
			require.NoError(t, err)
			assert.Equal(t, tt.equal, r.Equal)
			assert.Equal(t, tt.maxAbs, r.MaxAbs)
			assert.Equal(t, tt.identical, r.Identical())
			assert.NotEmpty(t, r.String())
		})
	}
	_, err := Compare([]float32{1}, []float32{1, 2})
	assert.Error(t, err)
}

func TestArgmaxRows(t *testing.T) {
	assert.Equal(t, []int{2, 0}, ArgmaxRows([]float32{1, 2, 3, 5, 5, 1}, 3))
	assert.Nil(t, ArgmaxRows([]float32{1}, 0))
}

func i64s(v ...int64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

// A child started with WithoutRepro's environment keeps libtorch's native paths: its
// own SetRepro (run by golden.Main in every test binary) sets nothing.
func TestWithoutReproChildStaysNative(t *testing.T) {
	env := WithoutRepro([]string{"PATH=/bin", noRepro + "=0"})
	assert.Contains(t, env, noRepro+"=1")
	assert.NotContains(t, env, noRepro+"=0")
	for _, k := range sortedKeys() {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv(noRepro, "1")
	SetRepro()
	for _, k := range sortedKeys() {
		_, set := os.LookupEnv(k)
		assert.False(t, set, "%s set in a native child", k)
	}
}
