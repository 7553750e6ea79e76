package tokenize

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// toValidUTF8 replaces each maximal ill-formed subpart with one U+FFFD (Unicode §3.9, as
// Python's errors="replace"; golden.json's invalid_utf8 has Python's own answers).
func TestToValidUTF8(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"é😀", "é😀"},
		{"\x80", "\ufffd"},
		{"\xe2\x82", "\ufffd"},            // truncated 3-byte sequence: one
		{"\xe2\x82a", "\ufffda"},          // ... even before ASCII
		{"\xe2\x28\xa1", "\ufffd(\ufffd"}, // bad second byte
		{"\xf0\x9f\x98", "\ufffd"},
		{"\xf0\x9f\x98\x80\xf0", "😀\ufffd"},
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"}, // surrogate: ED is followed by 80..9F only
		{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
		{"\xe0\x80\x80", "\ufffd\ufffd\ufffd"}, // overlong
		{"\xc0\xaf", "\ufffd\ufffd"},
		{"\xff\xfe", "\ufffd\ufffd"},
		{"caf\xc3", "caf\ufffd"},
	} {
		require.Equal(t, tc.want, toValidUTF8(tc.in), "%+q", tc.in)
	}
}

func TestWordCacheBounded(t *testing.T) {
	c := newWordCache(2)
	for _, w := range []string{"a", "b", "c", "d"} {
		c.put(w, []int{1})
	}
	_, okA := c.get("a")
	_, okC := c.get("c")
	require.True(t, okA)
	require.False(t, okC)
	require.Len(t, c.m, 2)
	c.put(string(make([]byte, wordCacheMaxLen+1)), nil)
	require.Len(t, c.m, 2)
}
