package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The umask is process-wide: the cases run in a child process (this test binary,
// TestHelperProcess) that sets its own, so no other test's files are affected.
func TestWriteHonoursUmask(t *testing.T) {
	for _, c := range []struct {
		umask, want os.FileMode
	}{{0o022, 0o644}, {0o027, 0o640}, {0o002, 0o664}, {0o077, 0o600}} {
		path := filepath.Join(t.TempDir(), "out.jsonl")
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "ATOMICFILE_HELPER="+path, "ATOMICFILE_UMASK="+strconv.FormatUint(uint64(c.umask), 8))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, c.want, st.Mode().Perm(), "umask %04o", c.umask)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "whole\n", string(b))
	}
}

func TestHelperProcess(t *testing.T) {
	path := os.Getenv("ATOMICFILE_HELPER")
	if path == "" {
		t.Skip("the child of TestWriteHonoursUmask")
	}
	umask, err := strconv.ParseUint(os.Getenv("ATOMICFILE_UMASK"), 8, 32)
	require.NoError(t, err)
	syscall.Umask(int(umask))
	require.NoError(t, Write(path, func(f *os.File) error {
		_, err := f.WriteString("whole\n")
		return err
	}))
}

// A failed write leaves neither the target nor a temporary file.
func TestWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	err := Write(path, func(f *os.File) error {
		f.WriteString("half")
		return errors.New("disk on fire")
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries)
}

func TestCreateTempNames(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateTemp(dir, ".x.", ".tmp")
	require.NoError(t, err)
	defer f.Close()
	name := filepath.Base(f.Name())
	assert.True(t, strings.HasPrefix(name, ".x.") && strings.HasSuffix(name, ".tmp"), name)
}
