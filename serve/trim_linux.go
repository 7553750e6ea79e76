//go:build linux && cgo

package serve

// #include <malloc.h>
import "C"

// trimCHeap gives the C heap's free pages back to the OS (glibc's malloc_trim):
// libtorch frees its activations after every forward, and glibc keeps freed memory
// in its arenas, so without it RSS drifts with fragmentation although nothing leaks.
func trimCHeap() { C.malloc_trim(0) }

// cHeapStats returns glibc's mallinfo2: bytes from sbrk/arenas, in mmapped blocks,
// in use, and free in the arenas.
func cHeapStats() (arena, mmapped, inUse, free int64) {
	mi := C.mallinfo2()
	return int64(mi.arena), int64(mi.hblkhd), int64(mi.uordblks), int64(mi.fordblks)
}
