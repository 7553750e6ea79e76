package tokenize

import (
	"slices"
	"sync"
	"testing"
)

// TestConcurrent: goroutines sharing one Tokenizer (and its word cache) get the same ids as
// the corpus. Run with -race.
func TestConcurrent(t *testing.T) {
	tok, err := Load("../testdata/tokenizer/clip") // a fresh cache, filled concurrently
	if err != nil {
		t.Fatal(err)
	}
	cases := corpus(t)
	if testing.Short() {
		cases = cases[:2000]
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(cases)+g; i++ {
				c := cases[i%len(cases)]
				if got := tok.Encode(c.Text); !slices.Equal(got, c.IDs) {
					t.Errorf("goroutine %d, %+q: %v, want %v", g, c.Text, got, c.IDs)
					return
				}
				if i%97 == 0 {
					if _, err := tok.EncodeBatch([]string{c.Text, "a photo"}, Options{Truncate: true}); err != nil {
						t.Error(err)
						return
					}
					_ = tok.Decode(c.IDs, i%2 == 0)
				}
			}
		}()
	}
	wg.Wait()
}
