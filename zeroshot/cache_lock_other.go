//go:build !unix

package zeroshot

import "context"

// lockFile: no file locking here; concurrent processes may compute the same label set
// twice (each file is still renamed into place whole).
func lockFile(context.Context, string) func() { return func() {} }
