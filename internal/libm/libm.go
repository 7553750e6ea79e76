// Package libm calls the C library's math functions where Python's float arithmetic
// does: CPython's float ** float is C pow(), which glibc does not always round
// correctly (head_dim ** -0.5 is one ulp off the correctly rounded value for 58
// integers up to 65536, the first 1769), so Go's math.Pow or an exact computation
// would not give Python's double. The same libm on the same machine does.
package libm

// #cgo LDFLAGS: -lm
// #include <math.h>
import "C"

// Pow is the C library's pow(x, y), what CPython's x ** y returns for finite floats
// x > 0 (float_pow calls pow() after its special cases for 0, 1, inf and NaN).
func Pow(x, y float64) float64 { return float64(C.pow(C.double(x), C.double(y))) }
