package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/s3test"
)

// TestS3Bench (make s3-bench; ZEROSHOT_S3_BENCH=N) measures a collection of N small
// JPEGs (96×72, ~3 kB) classified by the tiny-l14 fixture model, in 4 shards run at once
// (--threads 1 each) and merged, from a local SeaweedFS bucket and from the same files
// on disk: images/s of each (wall time of the 4 shards, and of the merge). The two
// merged outputs must hold the same results. It measures; it checks no time.
func TestS3Bench(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ZEROSHOT_S3_BENCH"))
	if n <= 0 {
		t.Skip("ZEROSHOT_S3_BENCH=N runs it (make s3-bench)")
	}
	const shards = 4
	srv := s3test.Start(t)
	bin := buildZeroshot(t)
	dir := t.TempDir()
	objects := map[string][]byte{}
	rng := rand.New(rand.NewSource(24))
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("bench/%03d/%05d.jpg", i/1000, i)
		b := benchJPEG(t, rng)
		objects[key] = b
		p := filepath.Join(dir, filepath.FromSlash(key))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	srv.Bucket(t, "photos")
	start := time.Now()
	srv.Put(t, "photos", objects, 16)
	t.Logf("uploaded %d objects in %s", n, time.Since(start).Round(time.Millisecond))

	env := append(os.Environ(), "AWS_ENDPOINT_URL_S3="+srv.Endpoint, "AWS_ACCESS_KEY_ID="+s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+s3test.SecretKey, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true")
	run := func(name, images string) string {
		out := t.TempDir()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, shards)
		for k := 0; k < shards; k++ {
			wg.Go(func() {
				cmd := exec.Command(bin, "classify", "--model", tinyModel, "--threads", "1", "--labels", "cat,dog,fox,owl",
					"--progress", "off", "--shard", fmt.Sprintf("%d/%d", k, shards), "--output", filepath.Join(out, fmt.Sprintf("part-%d.jsonl", k)), images)
				cmd.Env = env
				if b, err := cmd.CombinedOutput(); err != nil {
					errs[k] = fmt.Errorf("shard %d: %v: %s", k, err, b)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		classified := time.Since(start)
		mstart := time.Now()
		merged := filepath.Join(out, "all.jsonl")
		cmd := exec.Command(bin, "merge", "--images", images, "--output", merged, filepath.Join(out, "part-*.jsonl"))
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", b)
		merging := time.Since(mstart)
		total := classified + merging
		t.Logf("%s: %d images in %d shards: %s (%.1f images/s), merge %s; %.1f images/s in all",
			name, n, shards, classified.Round(time.Millisecond), float64(n)/classified.Seconds(), merging.Round(time.Millisecond), float64(n)/total.Seconds())
		out2, err := os.ReadFile(merged)
		require.NoError(t, err)
		return string(out2)
	}
	files := run("local files", filepath.Join(dir, "bench"))
	bucket := run("s3://photos/bench/", "s3://photos/bench/")
	// The same records, the names aside.
	want := strings.ReplaceAll(files, filepath.Join(dir, "bench")+"/", "s3://photos/bench/")
	require.Equal(t, want, bucket)
}

// benchJPEG is a small photo-like JPEG: a random gradient with noise.
func benchJPEG(t *testing.T, rng *rand.Rand) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 72))
	r0, g0, b0 := rng.Intn(256), rng.Intn(256), rng.Intn(256)
	for y := 0; y < 72; y++ {
		for x := 0; x < 96; x++ {
			img.Set(x, y, color.RGBA{uint8(r0 + x + rng.Intn(16)), uint8(g0 + y + rng.Intn(16)), uint8(b0 + x - y), 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}))
	return b.Bytes()
}
