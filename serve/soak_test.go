package serve

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/cheap"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// liveTensors counts the tensors gotch's registry holds (ts.ExistingTensors, read
// under its lock through CheckCMemLeak): the model's weights, plus any leaked.
func liveTensors() int {
	s := ts.CheckCMemLeak()
	i := strings.Index(s, "Tensors not been released: [")
	if i < 0 {
		return -1
	}
	s = s[i+len("Tensors not been released: ["):]
	s = s[:strings.IndexByte(s, ']')]
	return strings.Count(s, `"`) / 2
}

type memStat struct {
	rss, rssRaw, cheap, goHeap int64
	tensors                    int
}

// measure reads the process's memory at a quiet moment: after a GC with the Go
// heap's free pages returned (FreeOSMemory) and the C heap's (malloc_trim, as the
// server does when idle); rssRaw is RSS before the trims.
func measure() memStat {
	raw := RSS()
	runtime.GC()
	debug.FreeOSMemory()
	trimCHeap()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memStat{rss: RSS(), rssRaw: raw, cheap: cheap.InUse(), goHeap: int64(ms.HeapInuse), tensors: liveTensors()}
}

func median3(ms []memStat, f func(memStat) int64) int64 {
	v := []int64{f(ms[0]), f(ms[1]), f(ms[2])}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[1]
}

func pngOf(w, h int, seed int) []byte {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			im.Set(x, y, color.RGBA{uint8(x*7 + seed), uint8(y*5 + 3*seed), uint8((x + y) * seed), 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, im)
	return b.Bytes()
}

// TestSoak classifies ZEROSHOT_SOAK images (e.g. 20000) through the HTTP server from 8
// clients, with label sets that keep the LRU label cache churning (a text forward every
// few requests) and one bad request in 20, and checks that RSS, the C heap and
// libtorch's live-tensor count do not grow (< 2% between a warmed-up start and the end).
//
//	ZEROSHOT_SOAK=20000 go test ./serve -run '^TestSoak$' -v -timeout 30m
func TestSoak(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ZEROSHOT_SOAK"))
	if n <= 0 {
		t.Skip("set ZEROSHOT_SOAK=N (e.g. 20000) to run the soak")
	}
	c, err := zeroshot.Open("../testdata/models/tiny-l14", zeroshot.Options{Model: clip.Options{Threads: 1}, LabelCacheSize: 8})
	require.NoError(t, err)
	defer c.Close()
	s, hs := newTestServer(t, c, Options{MaxBatch: 8, MaxQueue: 64})
	url := hs.URL + "/v1/zero-shot-image-classification"

	var bodies [][]byte
	sizes := [][2]int{{32, 32}, {300, 200}, {64, 640}, {224, 224}, {17, 90}}
	for i := 0; i < 60; i++ {
		sz := sizes[i%len(sizes)]
		labels := []string{"cat", "dog", fmt.Sprintf("thing %d", i%20), fmt.Sprintf("object %d", i%13)}
		bodies = append(bodies, classifyBody(pngOf(sz[0], sz[1], i), labels, ""))
	}
	bad := [][]byte{
		[]byte(`{"inputs": "!!", "parameters": {"candidate_labels": ["a"]}}`),
		classifyBody([]byte("not an image"), []string{"a", "b"}, ""),
		classifyBody(pngOf(8, 8, 1), []string{"a", "a"}, ""),
		classifyBody(pngOf(8, 8, 1), []string{"a", "b"}, "no placeholder"),
	}
	var done, ok, rejected atomic.Int64
	run := func(total int) {
		var next atomic.Int64
		var wg sync.WaitGroup
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		defer client.CloseIdleConnections()
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(total) {
						return
					}
					body, want := bodies[i%int64(len(bodies))], 200
					if i%20 == 0 {
						body, want = bad[(i/20)%int64(len(bad))], 0
					}
					resp, err := client.Post(url, "application/json", bytes.NewReader(body))
					if !assert.NoError(t, err) {
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if want == 200 {
						if assert.Equal(t, 200, resp.StatusCode) {
							ok.Add(1)
						}
					} else {
						assert.True(t, resp.StatusCode >= 400 && resp.StatusCode < 500, "bad request answered %d", resp.StatusCode)
						rejected.Add(1)
					}
					done.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	run(1000) // warm up: allocator pools, label cache, connections
	okWarm := ok.Load()
	t0 := time.Now()
	total := n + n/19 // n classifications plus the bad requests among them
	const steps = 20
	var points []memStat
	var counts []float64
	for i := 0; i < steps; i++ {
		if i > 0 {
			run(total / (steps - 1))
		}
		m := measure()
		points, counts = append(points, m), append(counts, float64(ok.Load()-okWarm))
		arena, mmapped, _, free := cHeapStats()
		t.Logf("after %5d: RSS %d KiB (before trims %d; anon %s), C heap in use %d KiB (arena %d, mmapped %d, free %d), Go heap %d KiB, threads %s, live tensors %d",
			ok.Load()-okWarm, m.rss>>10, m.rssRaw>>10, procField("RssAnon"), m.cheap>>10, arena>>10, mmapped>>10, free>>10,
			m.goHeap>>10, procField("Threads"), m.tensors)
	}
	elapsed := time.Since(t0)
	classified := ok.Load() - okWarm
	// Start and end: the median of the first and of the last three checkpoints, so that
	// one moment of allocator fragmentation (a few MiB either way) is not read as growth.
	rssOf := func(m memStat) int64 { return m.rss }
	heapOf := func(m memStat) int64 { return m.cheap }
	rss0, rss1 := median3(points[:3], rssOf), median3(points[len(points)-3:], rssOf)
	heap0, heap1 := median3(points[:3], heapOf), median3(points[len(points)-3:], heapOf)
	pct := func(a, b int64) float64 { return 100 * float64(b-a) / float64(a) }
	// Least-squares slope of RSS over the run, in KiB per 1000 classifications.
	var sx, sy, sxx, sxy float64
	for i, m := range points {
		x, y := counts[i]/1000, float64(m.rss>>10)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(points))
	slope := (k*sxy - sx*sy) / (k*sxx - sx*sx)
	t.Logf("soak: %d classifications (+%d bad requests answered 4xx) in %v (%.0f/s) from 8 clients; mean batch %.2f",
		classified, rejected.Load(), elapsed.Round(time.Second), float64(classified)/elapsed.Seconds(), s.meanBatch())
	t.Logf("RSS %d → %d KiB (%+.2f%%; slope %+.1f KiB per 1000); C heap in use %d → %d KiB (%+.2f%%); live libtorch tensors %d → %d; raw RSS before trims %d → %d KiB",
		rss0>>10, rss1>>10, pct(rss0, rss1), slope, heap0>>10, heap1>>10, pct(heap0, heap1),
		points[0].tensors, points[len(points)-1].tensors, points[0].rssRaw>>10, points[len(points)-1].rssRaw>>10)
	assert.GreaterOrEqual(t, classified, int64(n))
	assert.Less(t, pct(rss0, rss1), 2.0, "RSS growth")
	assert.Less(t, pct(heap0, heap1), 2.0, "C heap growth")
	for _, m := range points {
		assert.Equal(t, points[0].tensors, m.tensors, "live tensors")
	}
}

func (s *Server) meanBatch() float64 {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	if s.metrics.batch.n == 0 {
		return 0
	}
	return s.metrics.batch.sum / float64(s.metrics.batch.n)
}

// procField returns a field of /proc/self/status ("" where there is none).
func procField(name string) string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
