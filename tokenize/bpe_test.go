package tokenize

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// mergeScan and mergeHeap (Hugging Face's algorithm) agree on every word of the corpus and
// on random words of the byte-level alphabet.
func TestMergeScanHeap(t *testing.T) {
	w := clip(t).words
	check := func(word string) {
		syms := make([]int32, len(word))
		for i := range word {
			syms[i] = w.first[word[i]]
		}
		syms[len(syms)-1] = w.last[word[len(word)-1]]
		a, b := w.mergeScan(slices.Clone(syms)), w.mergeHeap(slices.Clone(syms))
		require.Equal(t, b, a, "%+q", word)
	}
	for _, c := range corpus(t) {
		splitWords(string(normalize(nil, c.Text)), check)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"ab", "aeiou", "abcdefghijklmnopqrstuvwxyz", "!?.", "\xe2\x80\x99\xf0\x9f\x98\x80"}
	for range 3000 {
		al := alphabets[rng.IntN(len(alphabets))]
		b := make([]byte, 1+rng.IntN(80))
		for i := range b {
			b[i] = al[rng.IntN(len(al))]
		}
		check(string(b))
	}
}

// A huge word costs O(n log n), not O(n²).
func TestMergeLongWord(t *testing.T) {
	start := time.Now()
	ids := clip(t).Encode(strings.Repeat("ab", 200_000))
	require.Less(t, time.Since(start), 10*time.Second)
	require.Greater(t, len(ids), 2)
}
