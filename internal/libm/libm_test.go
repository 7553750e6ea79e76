package libm

import (
	"math"
	"math/big"
	"testing"
)

// glibc's pow rounds d ** -0.5 correctly for every head_dim a model has (the first
// miss is 1769, measured against Python's Decimal): below that, Pow is the correctly
// rounded value; and it differs from Go's math.Pow (1/Sqrt: two roundings) somewhere.
func TestPowMatchesCorrectRoundingForHeadDims(t *testing.T) {
	goDiffers := 0
	for d := int64(1); d < 1769; d++ {
		want := invSqrt(d)
		if got := Pow(float64(d), -0.5); got != want {
			t.Fatalf("pow(%d, -0.5) = %v, correctly rounded %v", d, got, want)
		}
		if math.Pow(float64(d), -0.5) != want {
			goDiffers++
		}
	}
	t.Logf("math.Pow(d, -0.5) is one ulp off for %d of 1768 head dims", goDiffers)
}

func invSqrt(d int64) float64 {
	const prec = 256
	x := new(big.Float).SetPrec(prec).SetInt64(d)
	x.Sqrt(x)
	r, _ := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(1), x).Float64()
	return r
}

// Where glibc is not correctly rounded, Pow still gives Python's value: the values
// below are CPython 3.11's d ** -0.5 (float.hex) on glibc, the first three misses.
func TestPowIsPythons(t *testing.T) {
	for d, hex := range map[int64]string{1769: "0x1.858b266421467p-6", 2397: "0x1.4ea56e98ffb70p-6",
		2614: "0x1.40747f7f5341ep-6", 12: "0x1.279a74590331cp-2", 20: "0x1.c9f25c5bfedd9p-3"} {
		want, _, err := big.ParseFloat(hex, 0, 53, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := want.Float64()
		if got := Pow(float64(d), -0.5); got != w {
			t.Errorf("pow(%d, -0.5) = %x, Python %s", d, got, hex)
		}
	}
}
