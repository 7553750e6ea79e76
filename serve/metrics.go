package serve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zeroshot-clip/zeroshot/source"
)

// metrics are the server's counters, written in the Prometheus text exposition format
// (version 0.0.4) by hand: no client library needed. Safe for concurrent use.
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]uint64     // zeroshot_http_requests_total{endpoint,code}
	latency  map[string]*histogram // zeroshot_http_request_duration_seconds{endpoint}
	batch    *histogram            // zeroshot_batch_size
	forward  *histogram            // zeroshot_batch_forward_seconds
	wait     *histogram            // zeroshot_queue_wait_seconds
	rejected map[string]uint64     // zeroshot_rejected_total{reason}
	auths    map[string]uint64     // zeroshot_auth_total{outcome}
	reloads  map[reloadKey]uint64  // zeroshot_reloads_total{what,result}
	reloadOK map[string]bool       // zeroshot_reload_ok{what}: the last reload's result
	fetches  map[string]uint64     // zeroshot_fetches_total{result}: image URLs fetched (serve --fetch-allow)
	fetchedB uint64                // zeroshot_fetched_bytes_total

	inflight atomic.Int64 // HTTP requests being handled
	started  time.Time
}

type reqKey struct {
	endpoint string
	code     int
}

type reloadKey struct{ what, result string }

type histogram struct {
	bounds []float64
	counts []uint64 // per bucket (not cumulative); len(bounds)+1, the last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: the "le" bucket
	h.counts[i]++
	h.sum += v
	h.n++
}

var (
	latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	batchBuckets   = []float64{1, 2, 4, 8, 16, 32, 64, 128}
)

func newMetrics() *metrics {
	return &metrics{
		requests: map[reqKey]uint64{},
		latency:  map[string]*histogram{},
		batch:    newHistogram(batchBuckets),
		forward:  newHistogram(latencyBuckets),
		wait:     newHistogram(latencyBuckets),
		rejected: map[string]uint64{},
		auths:    map[string]uint64{},
		reloads:  map[reloadKey]uint64{},
		reloadOK: map[string]bool{},
		fetches:  map[string]uint64{},
		started:  time.Now(),
	}
}

func (m *metrics) request(endpoint string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{endpoint, code}]++
	h := m.latency[endpoint]
	if h == nil {
		h = newHistogram(latencyBuckets)
		m.latency[endpoint] = h
	}
	h.observe(d.Seconds())
}

func (m *metrics) batchRun(size int, forward time.Duration) {
	m.mu.Lock()
	m.batch.observe(float64(size))
	m.forward.observe(forward.Seconds())
	m.mu.Unlock()
}

func (m *metrics) queueWait(d time.Duration) {
	m.mu.Lock()
	m.wait.observe(d.Seconds())
	m.mu.Unlock()
}

// fetch counts an image URL fetched (n bytes) or not (err: its *source.Error's kind).
func (m *metrics) fetch(n int, err error) {
	result := "ok"
	var se *source.Error
	if errors.As(err, &se) {
		result = strings.ReplaceAll(se.Kind.String(), " ", "_")
	} else if err != nil {
		result = "canceled"
	}
	m.mu.Lock()
	m.fetches[result]++
	m.fetchedB += uint64(n)
	m.mu.Unlock()
}

func (m *metrics) reject(reason string) {
	m.mu.Lock()
	m.rejected[reason]++
	m.mu.Unlock()
}

// auth counts an authentication's outcome: "ok", or the AuthFailure (never a token).
func (m *metrics) auth(err error) {
	outcome := "ok"
	if ae, ok := err.(*AuthError); ok {
		outcome = ae.Kind.String()
	}
	m.mu.Lock()
	m.auths[outcome]++
	m.mu.Unlock()
}

// reload counts a reload of what ("tokens", "tls").
func (m *metrics) reload(what string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.mu.Lock()
	m.reloads[reloadKey{what, result}]++
	m.reloadOK[what] = err == nil
	m.mu.Unlock()
}

// gauges are the values read at scrape time.
type gauges struct {
	queueDepth, queueCap int
	preparing            int64
	ready                bool
	clients, share       int
	tokens               int       // accepted tokens; < 0: no authentication
	certExpiry           time.Time // zero: no TLS
}

func (m *metrics) write(w io.Writer, g gauges) error {
	bw := bufio.NewWriter(w)
	m.mu.Lock()
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }

	p("# HELP zeroshot_http_requests_total HTTP requests answered, by endpoint and status code.\n")
	p("# TYPE zeroshot_http_requests_total counter\n")
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].endpoint != keys[j].endpoint {
			return keys[i].endpoint < keys[j].endpoint
		}
		return keys[i].code < keys[j].code
	})
	for _, k := range keys {
		p("zeroshot_http_requests_total{endpoint=%s,code=\"%d\"} %d\n", quote(k.endpoint), k.code, m.requests[k])
	}

	p("# HELP zeroshot_http_request_duration_seconds Time from request start to response, by endpoint.\n")
	p("# TYPE zeroshot_http_request_duration_seconds histogram\n")
	eps := make([]string, 0, len(m.latency))
	for e := range m.latency {
		eps = append(eps, e)
	}
	sort.Strings(eps)
	for _, e := range eps {
		writeHistogram(bw, "zeroshot_http_request_duration_seconds", "endpoint="+quote(e), m.latency[e])
	}

	p("# HELP zeroshot_batch_size Images per model forward (dynamic batching).\n")
	p("# TYPE zeroshot_batch_size histogram\n")
	writeHistogram(bw, "zeroshot_batch_size", "", m.batch)
	p("# HELP zeroshot_batch_forward_seconds Duration of one batched image forward.\n")
	p("# TYPE zeroshot_batch_forward_seconds histogram\n")
	writeHistogram(bw, "zeroshot_batch_forward_seconds", "", m.forward)
	p("# HELP zeroshot_queue_wait_seconds Time an image waited in the queue before its forward.\n")
	p("# TYPE zeroshot_queue_wait_seconds histogram\n")
	writeHistogram(bw, "zeroshot_queue_wait_seconds", "", m.wait)

	p("# HELP zeroshot_rejected_total Requests refused at admission, by reason: 503 queue_full and shutting_down, 429 client_share.\n")
	p("# TYPE zeroshot_rejected_total counter\n")
	for _, r := range []string{"client_share", "queue_full", "shutting_down"} {
		p("zeroshot_rejected_total{reason=%q} %d\n", r, m.rejected[r])
	}
	if len(m.fetches) > 0 {
		p("# HELP zeroshot_fetches_total Image URLs fetched (serve --fetch-allow), by result: ok, or why not.\n")
		p("# TYPE zeroshot_fetches_total counter\n")
		results := make([]string, 0, len(m.fetches))
		for r := range m.fetches {
			results = append(results, r)
		}
		sort.Strings(results)
		for _, r := range results {
			p("zeroshot_fetches_total{result=%q} %d\n", r, m.fetches[r])
		}
		p("# HELP zeroshot_fetched_bytes_total Bytes of the image URLs fetched.\n")
		p("# TYPE zeroshot_fetched_bytes_total counter\n")
		p("zeroshot_fetched_bytes_total %d\n", m.fetchedB)
	}
	if g.tokens >= 0 {
		p("# HELP zeroshot_auth_total Authentications by outcome: ok, or refused (401) for a missing header, another scheme, a malformed or an invalid token.\n")
		p("# TYPE zeroshot_auth_total counter\n")
		for _, o := range []string{"ok", AuthMissing.String(), AuthScheme.String(), AuthMalformed.String(), AuthInvalid.String()} {
			p("zeroshot_auth_total{outcome=%q} %d\n", o, m.auths[o])
		}
	}
	if len(m.reloads) > 0 {
		p("# HELP zeroshot_reloads_total Reloads (SIGHUP) of the token file and the TLS certificate, by result.\n")
		p("# TYPE zeroshot_reloads_total counter\n")
		rk := make([]reloadKey, 0, len(m.reloads))
		for k := range m.reloads {
			rk = append(rk, k)
		}
		sort.Slice(rk, func(i, j int) bool { return rk[i].what+rk[i].result < rk[j].what+rk[j].result })
		for _, k := range rk {
			p("zeroshot_reloads_total{what=%q,result=%q} %d\n", k.what, k.result, m.reloads[k])
		}
		p("# HELP zeroshot_reload_ok 1 if the last reload of what succeeded, 0 if it failed (the previous tokens or certificate stay in force).\n")
		p("# TYPE zeroshot_reload_ok gauge\n")
		for _, w := range []string{"tls", "tokens"} {
			if ok, seen := m.reloadOK[w]; seen {
				p("zeroshot_reload_ok{what=%q} %d\n", w, b2i(ok))
			}
		}
	}
	m.mu.Unlock()

	p("# HELP zeroshot_queue_depth Images admitted and not yet in a forward (body being read, decoding, or queued).\n")
	p("# TYPE zeroshot_queue_depth gauge\n")
	p("zeroshot_queue_depth %d\n", g.queueDepth)
	p("# HELP zeroshot_queue_decoding Admitted images still being decoded and preprocessed.\n")
	p("# TYPE zeroshot_queue_decoding gauge\n")
	p("zeroshot_queue_decoding %d\n", g.preparing)
	p("# HELP zeroshot_queue_capacity The queue bound (--max-queue); beyond it requests get 503.\n")
	p("# TYPE zeroshot_queue_capacity gauge\n")
	p("zeroshot_queue_capacity %d\n", g.queueCap)
	p("# HELP zeroshot_queue_clients Clients holding places in the queue.\n")
	p("# TYPE zeroshot_queue_clients gauge\n")
	p("zeroshot_queue_clients %d\n", g.clients)
	p("# HELP zeroshot_queue_client_share The most places one client may hold (--client-share); beyond it the client gets 429.\n")
	p("# TYPE zeroshot_queue_client_share gauge\n")
	p("zeroshot_queue_client_share %d\n", g.share)
	if g.tokens >= 0 {
		p("# HELP zeroshot_auth_tokens Bearer tokens accepted now.\n")
		p("# TYPE zeroshot_auth_tokens gauge\n")
		p("zeroshot_auth_tokens %d\n", g.tokens)
	}
	if !g.certExpiry.IsZero() {
		p("# HELP zeroshot_tls_certificate_expiry_seconds When the TLS certificate in force expires, Unix seconds.\n")
		p("# TYPE zeroshot_tls_certificate_expiry_seconds gauge\n")
		p("zeroshot_tls_certificate_expiry_seconds %d\n", g.certExpiry.Unix())
	}
	p("# HELP zeroshot_requests_in_flight HTTP requests being handled.\n")
	p("# TYPE zeroshot_requests_in_flight gauge\n")
	p("zeroshot_requests_in_flight %d\n", m.inflight.Load())
	p("# HELP zeroshot_ready 1 while the server takes requests, 0 while it drains.\n")
	p("# TYPE zeroshot_ready gauge\n")
	p("zeroshot_ready %d\n", b2i(g.ready))

	p("# HELP process_resident_memory_bytes Resident set size.\n")
	p("# TYPE process_resident_memory_bytes gauge\n")
	p("process_resident_memory_bytes %d\n", RSS())
	p("# HELP process_start_time_seconds Start time of the server, Unix seconds.\n")
	p("# TYPE process_start_time_seconds gauge\n")
	p("process_start_time_seconds %d\n", m.started.Unix())
	p("# HELP go_goroutines Goroutines that exist.\n")
	p("# TYPE go_goroutines gauge\n")
	p("go_goroutines %d\n", runtime.NumGoroutine())
	return bw.Flush()
}

func writeHistogram(w io.Writer, name, labels string, h *histogram) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s%sle=\"%s\"} %d\n", name, labels, sep, fmtFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	braces := ""
	if labels != "" {
		braces = "{" + labels + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %s\n", name, braces, fmtFloat(h.sum))
	fmt.Fprintf(w, "%s_count%s %d\n", name, braces, h.n)
}

func fmtFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// quote is a Prometheus label value: a double-quoted string with \, " and newline escaped.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RSS returns the process's resident set size in bytes (Linux: /proc/self/statm), or
// 0 where it cannot be read.
func RSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
