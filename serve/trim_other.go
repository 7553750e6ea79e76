//go:build !linux || !cgo

package serve

func trimCHeap() {}

func cHeapStats() (arena, mmapped, inUse, free int64) { return 0, 0, 0, 0 }
