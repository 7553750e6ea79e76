package clip

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/cheap"
)

// procStatus reads a "VmXxx:   123 kB" line of /proc/self/status, in bytes.
func procStatus(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), key+":"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb * 1024
		}
	}
	return -1
}

// A long run of forwards must not grow memory: every intermediate is freed by the
// graph's scopes (C heap flat) and RSS stays bounded. ZEROSHOT_RSS_LOOP sets the
// count (default 100; the report uses 1000).
func TestForwardLoopKeepsMemoryFlat(t *testing.T) {
	skipWithoutFixtures(t)
	n := 100
	if v, err := strconv.Atoi(os.Getenv("ZEROSHOT_RSS_LOOP")); err == nil && v > 0 {
		n = v
	}
	if testing.Short() {
		n = 50
	}
	g := loadGoldens(t, goldenDir(t, modelDir("tiny-l14")))
	m, err := Load(modelDir("tiny-l14"), Options{Threads: 1})
	require.NoError(t, err)
	defer m.Close()
	forward := func() {
		_, err := m.Forward(g.pixels, g.tokens)
		require.NoError(t, err)
	}
	for i := 0; i < 20; i++ { // warm up allocator caches and the Go heap
		forward()
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	rss0, heap0, goSys0 := procStatus("VmRSS"), cheap.InUse(), int64(ms.Sys-ms.HeapReleased)
	peak := rss0
	for i := 0; i < n; i++ {
		forward()
		if i%50 == 0 {
			peak = max(peak, procStatus("VmRSS"))
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	rss1, heap1, goSys1 := procStatus("VmRSS"), cheap.InUse(), int64(ms.Sys-ms.HeapReleased)
	peak = max(peak, rss1)
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	t.Logf("%d forwards (3 images × 6 texts): RSS %.1f → %.1f MB (peak %.1f), C heap %.2f → %.2f MB, Go runtime %.1f → %.1f MB",
		n, mb(rss0), mb(rss1), mb(peak), mb(heap0), mb(heap1), mb(goSys0), mb(goSys1))
	assert.Less(t, heap1-heap0, int64(1<<20), "C heap grew")
	assert.Less(t, rss1-rss0, int64(48<<20), "RSS grew")
}
