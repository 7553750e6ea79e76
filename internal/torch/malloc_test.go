package torch

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// On glibc (every Linux this project builds on: Debian, Ubuntu) the malloc settings
// take, and stay reported on later calls.
func TestKeepAllocations(t *testing.T) {
	if runtime.GOOS != "linux" || os.Getenv(MallocEnv) == "default" {
		t.Skip("glibc's mallopt: Linux, without ZEROSHOT_MALLOC=default")
	}
	assert.True(t, KeepAllocations())
	assert.True(t, KeepAllocations(), "the second call reports the first's result")
}
