// Package atomicfile writes files whole: through a temporary file in the same directory,
// synced and renamed into place, so that a reader never sees a half-written file and a
// failure leaves nothing behind. Unlike the standard library's CreateTemp, whose files
// are always 0600, the temporary file (and so the result) gets the mode any tool gives a
// new file: 0666 less the process's umask, applied by the kernel. On a cluster's shared filesystem that is
// what lets colleagues read a result.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Perm is the mode asked for new files; the umask takes its bits away.
const Perm = 0o666

// CreateTemp creates a new file in dir named prefix + a random number + suffix, opened
// for reading and writing, with mode Perm &^ umask. The caller removes it (or renames it).
func CreateTemp(dir, prefix, suffix string) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, Perm)
		if errors.Is(err, fs.ErrExist) && try < 10000 {
			continue
		}
		return f, err
	}
}

// Write writes path through a temporary file ".NAME.*.tmp" beside it: write fills it,
// then it is synced, closed and renamed to path. On any error the temporary file is
// removed and path is left as it was.
func Write(path string, write func(*os.File) error) error {
	f, err := CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".", ".tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
