package main

import (
	"os"

	"github.com/zeroshot-clip/zeroshot/internal/atomicfile"
)

// writeAtomic writes path through a temporary file in the same directory and renames
// it into place, so a failure or an interrupt never leaves a half-written file. The
// file gets 0666 less the umask, as any tool's output.
func writeAtomic(path string, write func(*os.File) error) error {
	return atomicfile.Write(path, write)
}
