package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startServe runs `zeroshot serve args...` in-process; stop ends it as SIGTERM would
// and returns its exit status and stderr.
func startServe(t *testing.T, args ...string) (addr string, stop func() (int, string)) {
	t.Helper()
	addr, _, stop = startServeLog(t, args...)
	return addr, stop
}

// lockedBuffer is stderr read while the server writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServeLog is startServe with stderr readable while it runs.
func startServeLog(t *testing.T, args ...string) (addr string, logs func() string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan string, 1)
	oldCtx, oldListening := serveContext, serveListening
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveListening = func(a string) { listening <- a }
	t.Cleanup(func() { serveContext, serveListening = oldCtx, oldListening })
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(append([]string{"serve"}, args...), io.Discard, &stderr) }()
	select {
	case addr = <-listening:
	case code := <-done:
		t.Fatalf("serve exited with %d before listening: %s", code, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	return addr, stderr.String, func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop")
			return -1, ""
		}
	}
}

func TestServeCommand(t *testing.T) {
	model := filepath.Join("..", "..", "testdata", "models", "tiny-l14")
	addr, stop := startServe(t, "--model", model, "--addr", "127.0.0.1:0", "--max-batch", "4", "--threads", "1")
	img, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pipeline", "chelsea.png"))
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]any{"inputs": base64.StdEncoding.EncodeToString(img),
		"parameters": map[string]any{"candidate_labels": []string{"cat", "dog"}}})
	resp, err := http.Post("http://"+addr+"/v1/zero-shot-image-classification", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, string(b))
	var res []struct {
		Score float64 `json:"score"`
		Label string  `json:"label"`
	}
	require.NoError(t, json.Unmarshal(b, &res))
	require.Len(t, res, 2)
	assert.InDelta(t, 1, res[0].Score+res[1].Score, 1e-6)
	code, stderr := stop()
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "shut down cleanly")
	// In this order, every time: both lines come from the goroutine that stops.
	first := strings.Index(stderr, "shutting down: finishing requests in flight")
	assert.True(t, first >= 0 && first < strings.Index(stderr, "shut down cleanly"), stderr)
}

func TestServeCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--max-batch", "0"},
		{"--max-queue", "-1"},
		{"--dtype", "int3"},
		{"--device", "tpu"},
		{"extra"},
		{"--trusted-proxy", "proxy.example"},
		{"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "10.0.0.0/33"},
		{"--forwarded-header", "X-Real-IP"},
	} {
		var stderr bytes.Buffer
		code := run(append([]string{"serve"}, args...), io.Discard, &stderr)
		assert.Equal(t, 2, code, "%v: %s", args, stderr.String())
		assert.True(t, strings.Contains(stderr.String(), "zeroshot serve:"), stderr.String())
	}
}

// --trusted-proxy is taken (repeated, comma-separated) and said in the log.
func TestServeTrustedProxyFlag(t *testing.T) {
	model := filepath.Join("..", "..", "testdata", "models", "tiny-l14")
	_, stop := startServe(t, "--model", model, "--addr", "127.0.0.1:0", "--threads", "1",
		"--trusted-proxy", "127.0.0.1,10.0.0.0/8", "--trusted-proxy", "::1", "--forwarded-header", "forwarded")
	code, stderr := stop()
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "trusted proxies [127.0.0.1/32 10.0.0.0/8 ::1/128]: clients behind them are told apart by the address in Forwarded")
}

// --fetch-allow: none by default (URLs refused); a list of hosts with classify's limits,
// the size limit being --max-body unless --fetch-max-size says otherwise.
func TestServeFetcher(t *testing.T) {
	f, err := serveFetcher("", time.Second, 3, 0, 1<<20)
	require.NoError(t, err)
	require.Nil(t, f)
	f, err = serveFetcher("images.example.com, *.cdn.example.org", time.Second, 0, 0, 1<<20)
	require.NoError(t, err)
	require.EqualValues(t, 1<<20, f.MaxBytes)
	require.Equal(t, -1, f.MaxRedirects, "0: none followed")
	f, err = serveFetcher("images.example.com", time.Second, 3, 5<<20, 1<<20)
	require.NoError(t, err)
	require.EqualValues(t, 5<<20, f.MaxBytes)
	for _, bad := range []string{"http://images.example.com/", "*"} {
		_, err := serveFetcher(bad, time.Second, 3, 0, 1<<20)
		require.Error(t, err, bad)
	}
	_, err = serveFetcher("a.example.com", 0, 3, 0, 1<<20)
	require.ErrorContains(t, err, "--fetch-timeout")
}
