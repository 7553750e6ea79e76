package tokenize

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMatcher(t *testing.T) {
	m := matcher{{Content: "<|a|>", ID: 1}, {Content: "<|a|>b", ID: 2}, {Content: "|>", ID: 3}}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"xyz", "xyz"},
		{"<|a|>", "#1"},
		{"<|a|>b<|a|>", "#2#1"}, // longest at the leftmost position
		{"x<|a|>|>y", "x#1#3y"},
		{"<|<|a|>b", "<|#2"},
		{"|><|a|", "#3<|a|"},
	} {
		var out strings.Builder
		m.split(tc.in, func(s string) {
			require.NotEmpty(t, s)
			out.WriteString(s)
		}, func(id int) { fmt.Fprintf(&out, "#%d", id) })
		require.Equal(t, tc.want, out.String(), "%q", tc.in)
	}
}

// Many added tokens in one text cost linear time.
func TestManyAddedTokens(t *testing.T) {
	start := time.Now()
	ids := clip(t).Encode(strings.Repeat("<|endoftext|>a", 100_000))
	require.Less(t, time.Since(start), 10*time.Second)
	require.Len(t, ids, 200_002)
}
