package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/zeroshot-clip/zeroshot/serve"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func init() {
	register("serve", "HTTP server: zero-shot classification (HF Inference API shape) and embeddings", runServe)
}

// Test hooks: the context that ends the server (SIGINT/SIGTERM by default) and a
// callback with the address it listens on.
var (
	serveContext = func() (context.Context, context.CancelFunc) {
		return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	}
	serveListening = func(addr string) {}
)

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--addr 127.0.0.1:8080] [--model M] [--max-batch N] [--max-queue N] [--timeout D] [flags]\n\n"+
		"Serves POST /v1/zero-shot-image-classification ({\"inputs\": <base64 image>, \"parameters\":\n"+
		"{\"candidate_labels\": [...], \"hypothesis_template\": \"...\"}} or a multipart upload), POST /v1/embeddings,\n"+
		"GET /healthz, /readyz and /metrics. Concurrent images are batched into one forward; a full queue\n"+
		"answers 503 with Retry-After. SIGINT/SIGTERM stop it gracefully: in-flight requests finish.", stderr)
	var m modelFlags
	m.register(fs)
	m.registerParity(fs, true)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks one)")
	maxBatch := fs.Int("max-batch", 8, "images per model forward")
	maxQueue := fs.Int("max-queue", 64, "images admitted and waiting for the model; beyond, 503 + Retry-After")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request timeout (504 after it; 0: none)")
	window := fs.Duration("batch-window", 2*time.Millisecond, "how long a batch waits for images still being decoded")
	maxBody := fs.Int64("max-body", 20<<20, "request body limit in bytes (413 beyond)")
	maxPixels := fs.Int("max-pixels", 0, "decoded image limit in pixels, checked from the header (413 beyond; 0: Pillow's 89,478,485; <0: none)")
	maxLabels := fs.Int("max-labels", 256, "candidate labels per request")
	labelCache := fs.Int("label-cache", 64, "label sets whose embeddings stay in memory (LRU)")
	labelCacheDir := fs.String("label-cache-dir", "", "also keep label embeddings on disk here")
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "how long a shutdown waits for requests in flight")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return exitUsage{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	switch {
	case *maxBatch < 1:
		return exitUsage{fmt.Errorf("--max-batch must be >= 1")}
	case *maxQueue < 1:
		return exitUsage{fmt.Errorf("--max-queue must be >= 1")}
	case *maxBody < 1:
		return exitUsage{fmt.Errorf("--max-body must be >= 1")}
	case *timeout < 0 || *window < 0 || *grace < 0:
		return exitUsage{fmt.Errorf("durations must be >= 0")}
	}
	zopts, err := m.zeroshotOptions()
	if err != nil {
		return err
	}
	dev, dt := zopts.Model.Device, zopts.Model.DType

	ctx, stop := serveContext()
	defer stop()
	dir, err := m.resolve(ctx, stderr)
	if err != nil {
		return err
	}
	logger := log.New(stderr, "zeroshot serve: ", log.LstdFlags)
	zopts.LabelCacheSize, zopts.LabelCacheDir = *labelCache, *labelCacheDir
	c, err := zeroshot.Open(dir, zopts)
	if err != nil {
		return err
	}
	defer c.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	to := *timeout
	if to == 0 {
		to = -1
	}
	bw := *window
	if bw == 0 {
		bw = -1
	}
	s := serve.New(c, serve.Options{
		MaxBatch: *maxBatch, MaxQueue: *maxQueue, BatchWindow: bw, Timeout: to,
		MaxBodyBytes: *maxBody, MaxPixels: *maxPixels, MaxLabels: *maxLabels,
		ModelName: m.model, Log: logger,
	})
	logger.Printf("model %s (%s, %s, %s, %s) loaded in %v; listening on http://%s",
		m.model, c.Model.Info().Format, dt, dev, c.Profile(), c.Model.Info().Duration.Round(time.Millisecond), ln.Addr())
	serveListening(ln.Addr().String())
	go func() {
		<-ctx.Done()
		logger.Printf("shutting down: finishing requests in flight (up to %v)", *grace)
	}()
	err = s.Serve(ctx, ln, *grace)
	if err != nil {
		return err
	}
	logger.Printf("shut down cleanly")
	return nil
}
