package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/zeroshot-clip/zeroshot/serve"
	"github.com/zeroshot-clip/zeroshot/source"
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

// tokenFileEnv names the token file when --token-file is not given. Only a path: the
// tokens themselves in the environment would be readable in /proc/PID/environ, passed
// to every child process, and impossible to change on SIGHUP.
const tokenFileEnv = "ZEROSHOT_TOKEN_FILE"

const serveHelp = `serve [--addr 127.0.0.1:8080] [--model M] [--token-file FILE] [--tls-cert F --tls-key F] [flags]

Serves POST /v1/zero-shot-image-classification ({"inputs": <base64 image>, "parameters":
{"candidate_labels": [...], "hypothesis_template": "..."}} or a multipart upload), POST /v1/embeddings,
GET /healthz, /readyz and /metrics. Concurrent images are gathered into batches (one forward per
batch on CUDA; one per image on CPU, where an image's scores are then the same whatever else is
being served); a full queue answers 503 with Retry-After. SIGINT/SIGTERM stop it gracefully: in-flight requests finish.

Who may call it:
  --token-file FILE (or ZEROSHOT_TOKEN_FILE=FILE): one bearer token per line ('#' comments and
    blank lines ignored; at least 16 characters of A-Z a-z 0-9 - . _ ~ + /, e.g. openssl rand -hex 32).
    Every endpoint but /healthz and /readyz (and /metrics with --metrics-public) then requires
    "Authorization: Bearer <token>"; others get 401. Tokens are never logged.
  --tls-cert/--tls-key: serve HTTPS only (TLS 1.2 with ECDHE+AEAD suites, or TLS 1.3).
  SIGHUP reloads the token file and the certificate/key without dropping requests; if a new
  file is missing or invalid the old tokens/certificate stay in force and the log says why.
  On an address other than loopback (127.0.0.0/8, ::1, localhost; an empty host or 0.0.0.0 is
  every interface) serve refuses to start without --token-file, unless --insecure.
  Each client (its token; without tokens, its IP address) may hold at most --client-share of
  the queue; beyond it, 429 with Retry-After, while other clients are still served.
  Behind a reverse proxy every client comes from the proxy's address: --trusted-proxy ADDR|CIDR
  takes the client's address from the X-Forwarded-For (or --forwarded-header Forwarded) that
  proxy sets. Never from anyone else: by default no header is believed.

Image URLs: by default a request's "inputs" (or "images" entry) that is an http(s) URL is
refused (400) and the server fetches nothing: a client could otherwise make it reach what only
it can reach (cloud metadata, internal services). --fetch-allow HOST,... fetches URLs on those
hosts only ("host": any port, "host:port", "*.domain": the names under it), every redirect
checked against the list too, with the limits classify's URLs have (--fetch-timeout,
--fetch-redirects; --fetch-max-size, by default --max-body). An upstream error answers 502,
its timeout 504, a body too large 413, one that is not an image 422, a host not allowed 400.

Clients: Hugging Face's InferenceClient(model="http://host:port") (the task payload is taken at
/, /v1 and /models/<id> too), OpenAI's client (base_url="http://host:port/v1": POST /v1/embeddings
with "input", texts), and Go's github.com/zeroshot-clip/zeroshot/serve/client.`

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveHelp, stderr)
	var m modelFlags
	m.register(fs)
	m.registerParity(fs, true)
	m.registerBatching(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks one)")
	maxBatch := fs.Int("max-batch", 8, "images gathered per model call (per forward with --batching batched, the CUDA default; on CPU each image is its own forward, so an answer does not depend on the load)")
	maxQueue := fs.Int("max-queue", 64, "images admitted and waiting for the model; beyond, 503 + Retry-After")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request timeout (504 after it; 0: none)")
	window := fs.Duration("batch-window", 2*time.Millisecond, "how long a batch waits for images still being decoded")
	maxBody := fs.Int64("max-body", 20<<20, "request body limit in bytes (413 beyond)")
	maxPixels := fs.Int("max-pixels", 0, "decoded image limit in pixels, checked from the header (413 beyond; 0: Pillow's 89,478,485; <0: none)")
	maxLabels := fs.Int("max-labels", 256, "candidate labels per request")
	labelCache := fs.Int("label-cache", 64, "label sets whose embeddings stay in memory (LRU)")
	labelCacheDir := fs.String("label-cache-dir", "", "also keep label embeddings on disk here")
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "how long a shutdown waits for requests in flight")
	tokenFile := fs.String("token-file", "", "bearer tokens, one per line (default $"+tokenFileEnv+"); reloaded on SIGHUP")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM, chain first); with --tls-key: HTTPS only; reloaded on SIGHUP")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM) of --tls-cert")
	insecure := fs.Bool("insecure", false, "allow a non-loopback --addr without --token-file (e.g. behind an authenticating proxy)")
	metricsPublic := fs.Bool("metrics-public", false, "serve /metrics without a token")
	clientShare := fs.Int("client-share", 0, "queue places one client may hold (429 beyond; 0: half of --max-queue; --max-queue: no share)")
	var trusted []string
	fs.Func("trusted-proxy", "a reverse proxy's address or CIDR prefix (repeatable, or comma-separated): without tokens, its requests' client is the address it forwards for", func(v string) error {
		trusted = append(trusted, v)
		return nil
	})
	fetchAllow := fs.String("fetch-allow", "", "hosts whose http(s) image URLs requests may name, comma-separated (host, host:port, *.domain); default none: URLs are refused")
	fetchTimeout := fs.Duration("fetch-timeout", source.DefaultTimeout, "with --fetch-allow: the longest an image URL may take to arrive")
	fetchRedirects := fs.Int("fetch-redirects", source.DefaultMaxRedirects, "with --fetch-allow: redirects followed per URL (0: none)")
	var fetchMax byteSize
	fs.Var(&fetchMax, "fetch-max-size", "with --fetch-allow: the largest image fetched (default: --max-body)")
	fwdHeader := fs.String("forwarded-header", "X-Forwarded-For", "the header the --trusted-proxy sets: X-Forwarded-For or Forwarded (RFC 7239); only that one is read")
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
	case *clientShare < 0:
		return exitUsage{fmt.Errorf("--client-share must be >= 0 (0: half of --max-queue)")}
	case (*tlsCert == "") != (*tlsKey == ""):
		return exitUsage{fmt.Errorf("--tls-cert and --tls-key go together")}
	}
	fetch, err := serveFetcher(*fetchAllow, *fetchTimeout, *fetchRedirects, int64(fetchMax), *maxBody)
	if err != nil {
		return exitUsage{err}
	}
	proxies, err := serve.ParseTrustedProxies(strings.Join(trusted, ","))
	if err != nil {
		return exitUsage{fmt.Errorf("--trusted-proxy: %w", err)}
	}
	var useForwarded bool
	switch strings.ToLower(*fwdHeader) {
	case "x-forwarded-for":
		*fwdHeader = "X-Forwarded-For"
	case "forwarded":
		*fwdHeader, useForwarded = "Forwarded", true
	default:
		return exitUsage{fmt.Errorf("--forwarded-header %q: X-Forwarded-For or Forwarded", *fwdHeader)}
	}
	logger := log.New(stderr, "zeroshot serve: ", log.LstdFlags)
	sec, err := loadSecurity(*addr, *tokenFile, *tlsCert, *tlsKey, *insecure, logger)
	if err != nil {
		return err
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
	share := *clientShare
	if share >= *maxQueue {
		share = -1
	}
	s := serve.New(c, serve.Options{
		MaxBatch: *maxBatch, MaxQueue: *maxQueue, BatchWindow: bw, Timeout: to,
		MaxBodyBytes: *maxBody, MaxPixels: *maxPixels, MaxLabels: *maxLabels,
		ModelName: m.model, Log: logger,
		Tokens: sec.tokens, TLS: sec.cert, MetricsPublic: *metricsPublic, ClientShare: share,
		TrustedProxies: proxies, UseForwarded: useForwarded, Fetch: fetch,
	})
	if fetch != nil {
		logger.Printf("image URLs: fetched from %s only (--fetch-allow)", *fetchAllow)
	}
	sec.describe(logger, *metricsPublic, share, *maxQueue)
	if len(proxies) > 0 {
		how := "their token"
		if sec.tokens == nil {
			how = "the address in " + *fwdHeader
		}
		logger.Printf("trusted proxies %v: clients behind them are told apart by %s", proxies, how)
	}
	hup, done := make(chan os.Signal, 1), make(chan struct{})
	signal.Notify(hup, syscall.SIGHUP)
	defer func() { signal.Stop(hup); close(done) }()
	go func() {
		for {
			select {
			case <-done:
				return
			case <-hup:
			}
			if sec.tokens == nil && sec.cert == nil {
				logger.Printf("SIGHUP: nothing to reload (no --token-file, no --tls-cert)")
				continue
			}
			logger.Printf("SIGHUP: reloading")
			s.Reload() // logs what it did, and why not
		}
	}()
	scheme := "http"
	if sec.cert != nil {
		scheme = "https"
	}
	logger.Printf("model %s (%s, %s, %s, %s) loaded in %v; listening on %s://%s",
		m.model, c.Model.Info().Format, dt, dev, c.Profile(), c.Model.Info().Duration.Round(time.Millisecond), scheme, ln.Addr())
	serveListening(ln.Addr().String())
	err = s.Serve(ctx, ln, *grace) // logs "shutting down" itself, before it drains
	if err != nil {
		return err
	}
	logger.Printf("shut down cleanly")
	return nil
}

// serveFetcher is the Fetcher of --fetch-allow, or nil without it (URLs refused).
func serveFetcher(allow string, timeout time.Duration, redirects int, maxSize, maxBody int64) (*source.Fetcher, error) {
	hosts := splitList(allow)
	if len(hosts) == 0 {
		return nil, nil
	}
	ok, err := source.AllowHosts(hosts)
	if err != nil {
		return nil, fmt.Errorf("--fetch-allow %w", err)
	}
	switch {
	case timeout <= 0:
		return nil, fmt.Errorf("--fetch-timeout %s: want a positive duration", timeout)
	case redirects < 0:
		return nil, fmt.Errorf("--fetch-redirects %d: want 0 or more", redirects)
	case redirects == 0:
		redirects = -1 // the Fetcher's 0 is its default
	}
	if maxSize == 0 {
		maxSize = maxBody
	}
	return &source.Fetcher{Allow: ok, Timeout: timeout, MaxRedirects: redirects, MaxBytes: maxSize}, nil
}
