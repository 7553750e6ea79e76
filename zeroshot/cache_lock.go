package zeroshot

import (
	"context"

	"github.com/zeroshot-clip/zeroshot/internal/filelock"
)

// lockFile takes an exclusive lock on path, waited for while ctx lasts, and returns its
// release. On any failure (ctx ended, no locking on this file system) it returns a
// no-op release: the lock only saves work, it is not needed for correctness (cache
// files are renamed into place whole).
func lockFile(ctx context.Context, path string) func() {
	unlock, err := filelock.Lock(ctx, path)
	if err != nil {
		return func() {}
	}
	return unlock
}
