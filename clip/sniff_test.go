package clip

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// legacyBin is a torch.save file in PyTorch's pre-1.6 (non-zip) format, written by
// testdata/gen/legacy_bin.py.
var legacyBin = filepath.Join("..", "testdata", "legacy", "pytorch_model.bin")

// A legacy torch.save pytorch_model.bin, and other files that are not checkpoints, are
// refused with what they are and what to do, not as a safetensors header that makes no
// sense; in a model directory, as the file itself, and by Convert.
func TestLoadSaysWhatTheFileIs(t *testing.T) {
	skipWithoutFixtures(t)
	legacy, err := os.ReadFile(legacyBin)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		data []byte
		want []string
	}{
		{"legacy torch.save", legacy, []string{"legacy torch.save file", "not a zip archive", "torch.save(torch.load(f), f)", "safetensors"}},
		{"plain pickle", []byte("\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94."), []string{"a Python pickle, but not one torch.save wrote"}},
		{"HDF5", []byte("\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x00\x00\x00"), []string{"an HDF5 file"}},
	} {
		dir := copyModel(t, "tiny-l14")
		file := filepath.Join(dir, PickleFile)
		require.NoError(t, os.WriteFile(file, tc.data, 0o644))
		for _, path := range []string{dir, file} {
			_, err := Load(path, Options{})
			var fe *FormatError
			require.ErrorAs(t, err, &fe, "%s: %s", tc.name, path)
			assert.True(t, errors.Is(err, ErrUnsupported), tc.name)
			assert.Equal(t, file, fe.Path, tc.name)
			assert.NotContains(t, err.Error(), "plausible", tc.name)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w, tc.name)
			}
		}
		err := Convert(dir, filepath.Join(t.TempDir(), "out.safetensors"), Float32)
		assert.True(t, errors.Is(err, ErrUnsupported), "%s: Convert: %v", tc.name, err)
		t.Logf("%s: %v", tc.name, err)
	}
}

// The fixture is what its generator says: protocol 2, torch's magic number, small.
func TestLegacyFixture(t *testing.T) {
	b, err := os.ReadFile(legacyBin)
	require.NoError(t, err)
	assert.Less(t, len(b), 1024)
	assert.Equal(t, []byte{0x80, 0x02}, b[:2])
	assert.Equal(t, torchMagic, b[2:14])
}
