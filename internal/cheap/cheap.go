// Package cheap reads glibc's C-heap statistics, so tests can see C memory that Go's
// runtime does not (libtorch and cgo allocations).
package cheap

// #include <malloc.h>
import "C"

// InUse returns the bytes of C heap currently allocated by malloc (mallinfo2's
// uordblks: main arena plus, as glibc counts it, its other arenas).
func InUse() int64 {
	mi := C.mallinfo2()
	return int64(mi.uordblks)
}
