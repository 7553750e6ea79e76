package hsimd

import "testing"

// TestSplit: every packed pair gives back its two coefficients as hi·2¹¹ + lo,
// with lo in [0, 2048) and hi an int16, over Pillow's whole coefficient range
// (|c| ≤ 2²²), odd tap counts padded with a zero. The SIMD passes themselves are
// tested against the Go loops in package preprocess.
func TestSplit(t *testing.T) {
	var cs []int32
	for c := int32(-1 << 22); c <= 1<<22; c += 997 {
		cs = append(cs, c)
	}
	cs = append(cs, -1<<22, -1, 0, 1, 2047, 2048, 1<<22)
	const ksize = 7
	n := (len(cs) + ksize - 1) / ksize
	k := &Kernel{Xmin: make([]int32, n), N: make([]int32, n), K: make([]int32, n*ksize), Ksize: ksize}
	for i, c := range cs {
		k.K[i] = c
		k.N[i/ksize]++
	}
	k.Split()
	for x := 0; x < n; x++ {
		for i := 0; i < ksize+1; i++ {
			lo := k.Lo[x*k.Kp+i/2] >> (16 * (i & 1)) & 0xFFFF
			hi := int32(int16(uint16(k.Hi[x*k.Kp+i/2] >> (16 * (i & 1)))))
			if lo >= 2048 {
				t.Fatalf("lo %d out of range", lo)
			}
			want := int32(0)
			if i < int(k.N[x]) {
				want = k.K[x*ksize+i]
			}
			if got := hi<<11 + lo; got != want {
				t.Fatalf("pixel %d tap %d: %d·2048 + %d = %d, want %d", x, i, hi, lo, got, want)
			}
		}
	}
}
