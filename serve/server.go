package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/source"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// Options configure a Server. Zero values take the defaults shown.
type Options struct {
	MaxBatch int // images per forward (default 8)
	// MaxQueue bounds the images admitted and not yet in a forward (body being read,
	// decoding, or queued); past it requests get 503 with Retry-After at once, before
	// their body is read (default 64).
	MaxQueue int
	// BatchWindow is how long the batcher waits for more images while admitted
	// requests are still being decoded (default 2ms; < 0: never wait).
	BatchWindow time.Duration
	Timeout     time.Duration // per request, from arrival to answer (default 30s; < 0: none)
	// MaxBodyBytes bounds a request body (default 20 MiB); larger gets 413.
	MaxBodyBytes int64
	// MaxPixels bounds a decoded image, checked from its header before any pixel
	// buffer exists (default preprocess.DefaultMaxPixels, Pillow's limit); larger
	// gets 413.
	MaxPixels int
	MaxLabels int // candidate labels per request (default 256)
	MaxImages int // images per embeddings request (default 16, at most MaxQueue)
	MaxTexts  int // texts per embeddings request (default 256)
	// Decoders bounds the images decoded and preprocessed at once (default GOMAXPROCS).
	Decoders int
	// TrimInterval: when the queue runs empty, the C heap's free pages go back to the
	// OS (malloc_trim) at most this often (default 5s; < 0: never), so RSS follows
	// what libtorch holds rather than what the allocator kept after past forwards.
	TrimInterval time.Duration
	ModelName    string      // reported by /v1/embeddings (default: the weights' path)
	Log          *log.Logger // request errors (5xx) and reloads are logged here; nil: not logged

	// Tokens, when set, are the bearer tokens every endpoint but /healthz and /readyz
	// (and /metrics with MetricsPublic) requires; others get 401 with
	// WWW-Authenticate: Bearer. nil: no authentication.
	Tokens        *Tokens
	MetricsPublic bool
	// TLS, when set, makes Serve speak HTTPS only (TLS 1.2+, see Certificate.TLSConfig).
	TLS *Certificate
	// ClientShare is the most queue places (of MaxQueue) one client may hold: beyond
	// it the client gets 429 with Retry-After while others are still admitted. A
	// client is its token when Tokens are set, its IP address otherwise (behind a
	// proxy that is the proxy's, unless the proxy is in TrustedProxies). Default
	// max(1, MaxQueue/2); < 0 or >= MaxQueue: no per-client share.
	ClientShare int
	// TrustedProxies are the peers (reverse proxies, ingresses) whose word on the
	// client's address is taken, for requests without a token: from such a peer the
	// client is the rightmost address of X-Forwarded-For (or, with UseForwarded, of
	// RFC 7239's Forwarded) that is not itself a trusted proxy. Empty (the default):
	// the peer is the client, whatever the headers say.
	TrustedProxies []netip.Prefix
	// UseForwarded reads Forwarded instead of X-Forwarded-For. Only one header is
	// read: a client could otherwise pick the one its proxy passes on untouched.
	UseForwarded bool
	// Fetch, when set, lets requests name their image by http(s) URL ("inputs", an
	// "images" entry, a multipart image field), fetched with it: its Allow says which
	// hosts (checked again at every redirect); one without Allow fetches from no host.
	// nil (the default): URLs are refused and the server fetches nothing, so that
	// clients cannot make it reach the addresses only it can reach (SSRF).
	Fetch *source.Fetcher
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxBatch, 8)
	def(&o.MaxQueue, 64)
	def(&o.MaxLabels, 256)
	def(&o.MaxImages, 16)
	def(&o.MaxTexts, 256)
	def(&o.Decoders, runtime.GOMAXPROCS(0))
	switch {
	case o.ClientShare == 0:
		o.ClientShare = max(1, o.MaxQueue/2)
	case o.ClientShare < 0 || o.ClientShare > o.MaxQueue:
		o.ClientShare = o.MaxQueue
	}
	// A request is admitted whole: one may not carry more images than a client may hold.
	o.MaxImages = min(o.MaxImages, o.MaxQueue, o.ClientShare)
	if o.BatchWindow == 0 {
		o.BatchWindow = 2 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 20 << 20
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = preprocess.DefaultMaxPixels
	}
	if o.TrimInterval == 0 {
		o.TrimInterval = 5 * time.Second
	}
	return o
}

// Server answers zero-shot classification and embedding requests over one
// zeroshot.Classifier, batching concurrent images into one forward. Safe for
// concurrent use. Close stops it (the Classifier stays open: the caller owns it).
type Server struct {
	c      *zeroshot.Classifier
	opts   Options
	limits Limits

	jobs      chan *job     // to the batcher; capacity MaxQueue, never full (see admit)
	admit     chan struct{} // one token per admitted image, returned when its forward starts
	ledger    *ledger       // the places each client holds in admit
	decoders  *fairSlots    // images decoded at once, handed out client by client
	preparing atomic.Int64  // admitted images still decoding
	loopDone  chan struct{}

	mu        sync.RWMutex // closing vs enqueue
	closing   bool
	draining  atomic.Bool
	closeOnce sync.Once

	labels   labelGroup
	metrics  *metrics
	lastTrim time.Time // batcher goroutine only

	forwardFn func(clip.Pixels) (clip.Matrix, error) // the image forward (tests replace it)
}

// New starts a server's batcher over c.
func New(c *zeroshot.Classifier, opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		c:    c,
		opts: opts,
		limits: Limits{MaxLabels: opts.MaxLabels, MaxLabelBytes: 4096, MaxImages: opts.MaxImages, MaxTexts: opts.MaxTexts,
			URLs: opts.Fetch != nil},
		jobs:     make(chan *job, opts.MaxQueue),
		admit:    make(chan struct{}, opts.MaxQueue),
		decoders: newFairSlots(opts.Decoders),
		ledger:   newLedger(opts.ClientShare),
		loopDone: make(chan struct{}),
		metrics:  newMetrics(),
	}
	s.forwardFn = c.ImageEmbeds // the classifier's batching: per image on CPU, so an answer does not depend on the load
	if f := opts.Fetch; f != nil && f.Allow == nil {
		s.opts.Fetch = &source.Fetcher{Timeout: f.Timeout, MaxBytes: f.MaxBytes, MaxRedirects: f.MaxRedirects, Retries: f.Retries,
			Transport: f.Transport, UserAgent: f.UserAgent, Allow: func(*url.URL) bool { return false }}
	}
	if opts.ModelName == "" {
		s.opts.ModelName = c.Model.Info().Path
	}
	go s.batchLoop()
	return s
}

// Close stops taking work, lets the batcher finish every queued image, and returns
// when it has. Requests arriving after Close get 503. Idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		s.mu.Lock()
		s.closing = true
		close(s.jobs)
		s.mu.Unlock()
		<-s.loopDone
	})
	return nil
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully: /readyz turns
// 503, the listener closes, requests in flight finish (for up to grace; then their
// connections are closed), queued images are still run, and the batcher stops. It
// returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a slow upload cannot hold a handler forever
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if s.opts.Log != nil {
		hs.ErrorLog = s.opts.Log
	}
	errc := make(chan error, 1)
	if s.opts.TLS != nil {
		hs.TLSConfig = s.opts.TLS.TLSConfig()
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	// Logged here, in the goroutine that then drains, so that it always comes before
	// whatever the caller logs when Serve returns.
	s.logf("shutting down: finishing requests in flight (up to %v)", grace)
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		hs.Close()
		err = fmt.Errorf("graceful shutdown: %w", err)
	}
	s.Close()
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Handler returns the HTTP API:
//
//	POST /v1/zero-shot-image-classification   → [{"score": …, "label": …}, …]
//	     (also at /, /v1 and /models/<id>: see routes.go)
//	POST /v1/embeddings                       → {"image_embeds": [[…]], "text_embeds": [[…]], …}
//	     (with "input": OpenAI's request and answer, see openai.go)
//	GET  /v1/models, /healthz, /readyz, /metrics
//
// With Options.Tokens, every request but GET /healthz and /readyz (and /metrics with
// MetricsPublic) is authenticated first, before its path is even looked up.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.route)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	s.metrics.inflight.Add(1)
	defer s.metrics.inflight.Add(-1)
	rt, ok := s.routes(r.URL.Path)
	name, code := "other", 0
	if ok {
		name = rt.name
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			buf := make([]byte, 4096)
			buf = buf[:runtime.Stack(buf, false)]
			s.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, buf)
			code = writeError(w, fmt.Errorf("internal error"))
		}
		s.metrics.request(name, code, time.Since(t0))
	}()
	client := s.addrClient(r)
	if s.opts.Tokens != nil && !s.public(name) {
		k, err := s.authenticate(r)
		s.metrics.auth(err)
		if err != nil {
			code = writeError(w, err)
			return
		}
		client = k
	}
	switch {
	case !ok:
		code = writeError(w, &RequestError{Status: http.StatusNotFound, Reason: "no such endpoint: " + r.URL.Path})
		return
	case r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead):
		w.Header().Set("Allow", rt.method)
		code = writeError(w, &RequestError{Status: http.StatusMethodNotAllowed,
			Reason: fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, rt.method)})
		return
	}
	var err error
	code, err = rt.fn(w, r, client)
	if err != nil {
		code = writeError(w, err)
		if code >= 500 && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout {
			s.logf("%s %s: %d: %v", r.Method, r.URL.Path, code, err)
		}
	}
}

// public: the endpoints open without a token (probes must work without secrets).
func (s *Server) public(name string) bool {
	return name == "healthz" || name == "readyz" || name == "metrics" && s.opts.MetricsPublic
}

func (s *Server) logf(format string, a ...any) {
	if s.opts.Log != nil {
		s.opts.Log.Printf(format, a...)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ clientKey) (int, error) {
	select {
	case <-s.loopDone:
		if !s.draining.Load() {
			return 0, errors.New("batcher stopped")
		}
	default:
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return http.StatusOK, nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ clientKey) (int, error) {
	if s.draining.Load() {
		return 0, ErrShuttingDown
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "queue_depth": len(s.admit), "queue_capacity": cap(s.admit)})
	return http.StatusOK, nil
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, _ clientKey) (int, error) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	g := gauges{queueDepth: len(s.admit), queueCap: cap(s.admit), preparing: s.preparing.Load(), ready: !s.draining.Load(),
		clients: s.ledger.clients(), share: s.opts.ClientShare, tokens: -1}
	if s.opts.Tokens != nil {
		g.tokens = s.opts.Tokens.Len()
	}
	if s.opts.TLS != nil {
		g.certExpiry = s.opts.TLS.Leaf().NotAfter
	}
	s.metrics.write(w, g)
	return http.StatusOK, nil
}

// requestContext bounds a request by the per-request timeout.
func (s *Server) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	if s.opts.Timeout > 0 {
		return context.WithTimeout(r.Context(), s.opts.Timeout)
	}
	return context.WithCancel(r.Context())
}

// admitN takes n queue places for client k at once, or none (ErrClientShare,
// ErrOverloaded, ErrShuttingDown).
func (s *Server) admitN(k clientKey, n int) error {
	if s.draining.Load() {
		s.metrics.reject("shutting_down")
		return ErrShuttingDown
	}
	return s.admitMore(k, n)
}

// admitMore takes n more places for a request already admitted (also while draining:
// admitted requests are finished). The client's share is checked first: a client
// over it gets 429 even when the queue has room, so that the room stays for others.
func (s *Server) admitMore(k clientKey, n int) error {
	if err := s.ledger.take(k, n, cap(s.admit)); err != nil {
		s.metrics.reject("client_share")
		return err
	}
	for i := 0; i < n; i++ {
		select {
		case s.admit <- struct{}{}:
		default:
			s.releaseN(k, i)
			s.ledger.give(k, n-i)
			s.metrics.reject("queue_full")
			return ErrOverloaded
		}
	}
	return nil
}

// releaseN gives back n of client k's places.
func (s *Server) releaseN(k clientKey, n int) {
	for i := 0; i < n; i++ {
		<-s.admit
	}
	s.ledger.give(k, n)
}

// pixels decodes and preprocesses one image (bounded by the decoder slots).
func (s *Server) pixels(ctx context.Context, k clientKey, data []byte) (pv []float32, h, w int, err error) {
	if err := s.decoders.acquire(ctx, k); err != nil {
		return nil, 0, 0, err
	}
	defer s.decoders.release()
	opts := s.c.Profile().PipelineOptions() // as the pipeline's load_image
	opts.MaxPixels = s.opts.MaxPixels
	p := s.c.Processor
	if cfg := p.Config(); cfg.DoCenterCrop {
		pv, err = p.PreprocessData(data, opts) // recycles the decode buffers
		return pv, cfg.CropHeight, cfg.CropWidth, err
	}
	img, err := preprocess.Decode(data, opts)
	if err != nil {
		return nil, 0, 0, err
	}
	w, h = p.OutputSize(img.W, img.H)
	pv, err = p.Preprocess(img)
	return pv, h, w, err
}

// embedImages runs the admitted images through decode → queue → batched forward and
// returns their embeddings, in order. It gives back the n admission tokens (the
// batcher returns those of queued images).
func (s *Server) embedImages(ctx context.Context, k clientKey, images [][]byte) ([]clip.Matrix, error) {
	n := len(images)
	s.preparing.Add(int64(n))
	prepared := 0
	defer func() {
		s.preparing.Add(-int64(n - prepared))
	}()
	jobs := make([]*job, n)
	for i, data := range images {
		pv, h, w, err := s.pixels(ctx, k, data)
		if err != nil {
			s.releaseN(k, n)
			if n > 1 {
				err = fmt.Errorf("image %d: %w", i+1, err)
			}
			return nil, err
		}
		jobs[i] = &job{ctx: ctx, client: k, pixels: pv, h: h, w: w, res: make(chan jobResult, 1)}
	}
	if err := s.enqueue(jobs, &prepared); err != nil {
		return nil, err
	}
	out := make([]clip.Matrix, n)
	for i, j := range jobs {
		select {
		case r := <-j.res:
			if r.err != nil {
				return nil, r.err
			}
			out[i] = r.embed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// enqueue hands prepared jobs to the batcher; the send never blocks (each job holds an
// admission token, and the channel has one slot per token).
func (s *Server) enqueue(jobs []*job, prepared *int) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closing {
		s.releaseN(jobs[0].client, len(jobs))
		return ErrShuttingDown
	}
	now := time.Now()
	for _, j := range jobs {
		j.enq = now
		s.jobs <- j
		s.preparing.Add(-1)
		*prepared++
	}
	return nil
}

func (s *Server) classify(w http.ResponseWriter, r *http.Request, k clientKey) (int, error) {
	ctx, cancel := s.requestContext(r)
	defer cancel()
	// Admission first: under overload a refusal costs no body parsing.
	if err := s.admitN(k, 1); err != nil {
		return 0, err
	}
	var req *ClassifyRequest
	err := s.decodeBody(ctx, w, r, k, func(body io.Reader) (err error) {
		req, err = DecodeClassify(r.Header.Get("Content-Type"), body, r.URL.Query(), s.limits)
		return err
	})
	if err != nil {
		s.releaseN(k, 1)
		return 0, err
	}
	zreq := zeroshot.Request{Labels: req.Labels, Template: req.Template, TopK: req.TopK}
	// Labels first: a bad label set is refused before the image is decoded.
	labels, err := s.labels.get(ctx, s.c, zreq)
	if err != nil {
		s.releaseN(k, 1)
		return 0, err
	}
	if req.ImageURL != "" {
		if req.Image, err = s.fetch(ctx, req.ImageURL); err != nil {
			s.releaseN(k, 1)
			return 0, err
		}
	}
	embeds, err := s.embedImages(ctx, k, [][]byte{req.Image})
	if err != nil {
		return 0, err
	}
	res, err := s.c.Score(embeds[0], labels, req.TopK)
	if err != nil {
		return 0, err
	}
	writeJSON(w, http.StatusOK, res[0])
	return http.StatusOK, nil
}

// decodeBody reads the request body (bounded by MaxBodyBytes; network time, no slot
// held, so a slow upload holds nothing but its queue place) and then decodes it in a
// decoder slot taken at client k's turn: parsing JSON and base64 is CPU work, and one
// client's many requests must not crowd out another's.
func (s *Server) decodeBody(ctx context.Context, w http.ResponseWriter, r *http.Request, k clientKey, decode func(io.Reader) error) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		return err
	}
	if err := s.decoders.acquire(ctx, k); err != nil {
		return err
	}
	defer s.decoders.release()
	return decode(bytes.NewReader(raw))
}

// EmbedResponse is the answer of POST /v1/embeddings: L2-normalized embeddings (the
// model's image_embeds / text_embeds), one row per input, in input order.
type EmbedResponse struct {
	Model       string      `json:"model"`
	Dim         int         `json:"dim"`
	ImageEmbeds [][]float32 `json:"image_embeds,omitempty"`
	TextEmbeds  [][]float32 `json:"text_embeds,omitempty"`
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request, k clientKey) (int, error) {
	ctx, cancel := s.requestContext(r)
	defer cancel()
	// One admission token before the body is read (refusals stay cheap); one more per
	// image beyond the first once the request says how many.
	if err := s.admitN(k, 1); err != nil {
		return 0, err
	}
	held := 1
	defer func() { s.releaseN(k, held) }()
	var req *EmbedRequest
	err := s.decodeBody(ctx, w, r, k, func(body io.Reader) (err error) {
		req, err = DecodeEmbed(r.Header.Get("Content-Type"), body, s.limits)
		return err
	})
	if err != nil {
		return 0, err
	}
	out := EmbedResponse{Model: s.opts.ModelName, Dim: s.c.Model.Config().ProjectionDim}
	if p := req.OpenAI; p != nil {
		if err := checkDimensions(p, out.Dim); err != nil {
			return 0, err
		}
		rows, err := s.textEmbeds(ctx, req.Texts)
		if err != nil {
			return 0, asOpenAI(err)
		}
		s.writeOpenAIEmbeddings(w, p, req.Texts, rows)
		return http.StatusOK, nil
	}
	if len(req.Texts) > 0 {
		if out.TextEmbeds, err = s.textEmbeds(ctx, req.Texts); err != nil {
			return 0, err
		}
	}
	if n := len(req.Images); n > 0 {
		if err := s.admitMore(k, n-1); err != nil {
			return 0, err
		}
		held = n
		for i, u := range req.ImageURLs {
			if u != "" {
				if req.Images[i], err = s.fetch(ctx, u); err != nil {
					return 0, err
				}
			}
		}
		held = 0 // embedImages gives the n tokens back
		embeds, err := s.embedImages(ctx, k, req.Images)
		if err != nil {
			return 0, err
		}
		for _, e := range embeds {
			out.ImageEmbeds = append(out.ImageEmbeds, e.Data)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return http.StatusOK, nil
}

// textEmbeds embeds texts as the label cache computes label embeddings, with template
// "{}" (each text as it is), in one batch.
func (s *Server) textEmbeds(ctx context.Context, texts []string) ([][]float32, error) {
	l, err := s.labels.get(ctx, s.c, zeroshot.Request{Labels: texts, Template: "{}", AllowDuplicates: true})
	if err != nil {
		var le *zeroshot.LabelError
		if errors.As(err, &le) {
			reason := strings.ReplaceAll(le.Reason, "label", "text")
			if le.Index >= 0 {
				reason = fmt.Sprintf("text %d %q: %s", le.Index+1, le.Label, reason)
			}
			return nil, &RequestError{Reason: reason}
		}
		return nil, err
	}
	rows := make([][]float32, l.Embeds.Rows)
	for i := range rows {
		rows[i] = l.Embeds.Row(i)
	}
	return rows, nil
}

// labelGroup computes each label set's embeddings once when many requests ask for it
// at the same moment (the Classifier's LRU then serves it); the Classifier's cache is
// the one shared, bounded store.
type labelGroup struct {
	mu    sync.Mutex
	calls map[string]*labelCall
}

type labelCall struct {
	done   chan struct{}
	labels *zeroshot.Labels
	err    error
}

func (g *labelGroup) get(ctx context.Context, c *zeroshot.Classifier, req zeroshot.Request) (*zeroshot.Labels, error) {
	key := flightKey(req)
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*labelCall{}
	}
	if call, ok := g.calls[key]; ok {
		g.mu.Unlock()
		select {
		case <-call.done:
			return call.labels, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	call := &labelCall{done: make(chan struct{})}
	g.calls[key] = call
	g.mu.Unlock()
	call.labels, call.err = c.LabelEmbeddings(req)
	g.mu.Lock()
	delete(g.calls, key)
	g.mu.Unlock()
	close(call.done)
	return call.labels, call.err
}

func flightKey(req zeroshot.Request) string {
	var b strings.Builder
	add := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		b.Write(n[:])
		b.WriteString(s)
	}
	add(req.Template)
	if req.AllowDuplicates {
		add("dup")
	}
	for _, l := range req.Labels {
		add(l)
	}
	return b.String()
}

// fetch gets an image a request names by URL, with Options.Fetch (set whenever the
// request decoder took a URL).
func (s *Server) fetch(ctx context.Context, u string) ([]byte, error) {
	b, err := s.opts.Fetch.Get(ctx, u)
	s.metrics.fetch(len(b), err)
	return b, err
}
