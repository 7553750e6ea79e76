// Package loadtest is a bounded HTTP load generator for the zeroshot server: closed
// loop (N clients, each sending its next request when the last is answered) or open
// loop (a fixed arrival rate, whatever the answers), bounded in requests and time, and
// refusing any host but the loopback. cmd/zeroshot-load and serve's gated load test
// use it.
package loadtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config is one load run.
type Config struct {
	URL         string // the endpoint, e.g. http://127.0.0.1:8080/v1/zero-shot-image-classification
	ContentType string
	Body        []byte
	// Clients is the number of concurrent closed-loop clients; with Rate > 0, the most
	// requests in flight at once (default 256).
	Clients int
	// Rate > 0 makes the run open loop: requests start at this many per second.
	Rate     float64
	Duration time.Duration // how long to send (default 10s)
	Requests int           // and at most this many requests (default 100000)
	Timeout  time.Duration // per request (default 60s)
	// Warmup requests are sent (closed loop, Clients at once) and not counted.
	Warmup int
	// Header is sent with every request (e.g. Authorization: Bearer …).
	Header http.Header
	// TLS configures https:// URLs (e.g. RootCAs trusting a self-signed certificate).
	TLS *tls.Config
	// NewConnections opens a connection per request (no keep-alive): with https, every
	// request pays a TLS handshake.
	NewConnections bool
	// Closed loop: each client waits Pause after every answer, and RefusedPause more
	// after an answer that is not a 200 (a flooding client: 0 and a little).
	Pause, RefusedPause time.Duration
	// Source is the local address to send from ("": any): another loopback address
	// (127.0.0.2) is another client to the server, or to a proxy in front of it.
	Source string
}

// Result is what a run measured. Latencies are of the answered requests (any status).
type Result struct {
	Clients   int
	Rate      float64 // offered rate (open loop), 0 for closed loop
	Sent      int
	Codes     map[int]int // status → count
	Errors    int         // transport errors (no answer)
	Missed    int         // open loop: arrivals dropped because Clients were all busy
	Elapsed   time.Duration
	OKPerSec  float64 // 200s per second
	P50, P90  time.Duration
	P99, Max  time.Duration
	OKP50     time.Duration // of 200s only
	OKP99     time.Duration
	ShedP99   time.Duration // of 503s and 429s only
	RetryHdrs int           // 503s and 429s that carried Retry-After
}

// Success is the share of the requests sent that got a 200.
func (r *Result) Success() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.Codes[http.StatusOK]) / float64(r.Sent)
}

// CheckLoopback refuses URLs whose host is not 127.0.0.0/8, ::1 or localhost.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("loadtest: %s is not a loopback address (load tests run against 127.0.0.1 or localhost only)", host)
}

type sample struct {
	code  int
	lat   time.Duration
	retry bool
}

// Run sends the load and measures it.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := CheckLoopback(cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Requests <= 0 {
		cfg.Requests = 100000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 1
		if cfg.Rate > 0 {
			cfg.Clients = 256
		}
	}
	tr := &http.Transport{MaxIdleConns: cfg.Clients, MaxIdleConnsPerHost: cfg.Clients, IdleConnTimeout: 30 * time.Second,
		TLSClientConfig: cfg.TLS, DisableKeepAlives: cfg.NewConnections}
	if cfg.Source != "" {
		ip := net.ParseIP(cfg.Source)
		if ip == nil {
			return nil, fmt.Errorf("loadtest: source %q is not an IP address", cfg.Source)
		}
		tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout}
	send := func(ctx context.Context) sample {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(cfg.Body))
		if err != nil {
			return sample{code: -1}
		}
		for k, vs := range cfg.Header {
			req.Header[k] = vs
		}
		req.Header.Set("Content-Type", cfg.ContentType)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return sample{code: -1, lat: time.Since(t0)}
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return sample{code: resp.StatusCode, lat: time.Since(t0), retry: resp.Header.Get("Retry-After") != ""}
	}
	// Warm up: connections open, label embeddings cached.
	var wg sync.WaitGroup
	for i := 0; i < cfg.Warmup; i += cfg.Clients {
		for j := 0; j < cfg.Clients && i+j < cfg.Warmup; j++ {
			wg.Add(1)
			go func() { defer wg.Done(); send(ctx) }()
		}
		wg.Wait()
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var mu sync.Mutex
	var samples []sample
	record := func(s sample) {
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	res := &Result{Clients: cfg.Clients, Rate: cfg.Rate, Codes: map[int]int{}}
	start := time.Now()
	var sent int
	var sentMu sync.Mutex
	take := func() bool {
		sentMu.Lock()
		defer sentMu.Unlock()
		if sent >= cfg.Requests {
			return false
		}
		sent++
		return true
	}
	if cfg.Rate <= 0 {
		for c := 0; c < cfg.Clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil && take() {
					s := send(context.Background()) // a started request is answered, not cut
					record(s)
					pause := cfg.Pause
					if s.code != http.StatusOK {
						pause += cfg.RefusedPause
					}
					if pause > 0 {
						select {
						case <-time.After(pause):
						case <-ctx.Done():
						}
					}
				}
			}()
		}
		wg.Wait()
	} else {
		slots := make(chan struct{}, cfg.Clients)
		interval := time.Duration(float64(time.Second) / cfg.Rate)
		next := start
	loop:
		for take() {
			if d := time.Until(next); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					break loop
				}
			}
			if ctx.Err() != nil {
				break
			}
			next = next.Add(interval)
			select {
			case slots <- struct{}{}:
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					record(send(context.Background()))
				}()
			default:
				res.Missed++
			}
		}
		wg.Wait()
	}
	res.Elapsed = time.Since(start)
	res.Sent = len(samples)
	var all, ok, shed []time.Duration
	for _, s := range samples {
		if s.code < 0 {
			res.Errors++
			continue
		}
		res.Codes[s.code]++
		all = append(all, s.lat)
		switch s.code {
		case http.StatusOK:
			ok = append(ok, s.lat)
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			shed = append(shed, s.lat)
			if s.retry {
				res.RetryHdrs++
			}
		}
	}
	res.OKPerSec = float64(len(ok)) / res.Elapsed.Seconds()
	res.P50, res.P90, res.P99, res.Max = pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100)
	res.OKP50, res.OKP99 = pct(ok, 50), pct(ok, 99)
	res.ShedP99 = pct(shed, 99)
	return res, nil
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// ClassifyBody is a classification request in the Inference API's JSON shape.
func ClassifyBody(image []byte, labels []string, template string) []byte {
	params := map[string]any{"candidate_labels": labels}
	if template != "" {
		params["hypothesis_template"] = template
	}
	b, _ := json.Marshal(map[string]any{"inputs": base64.StdEncoding.EncodeToString(image), "parameters": params})
	return b
}

// Codes formats a status histogram, e.g. "200:950 503:50".
func (r *Result) CodesString() string {
	keys := make([]int, 0, len(r.Codes))
	for k := range r.Codes {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d:%d", k, r.Codes[k]))
	}
	if r.Errors > 0 {
		parts = append(parts, fmt.Sprintf("err:%d", r.Errors))
	}
	return strings.Join(parts, " ")
}

// Get fetches a URL (loopback only) and returns its status, for health checks;
// tlsCfg configures https (nil: the system's roots).
func Get(raw string, timeout time.Duration, tlsCfg *tls.Config) (int, error) {
	if err := CheckLoopback(raw); err != nil {
		return 0, err
	}
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	resp, err := c.Get(raw)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Report is the acceptance run: closed loop at each client count, then open loop at
// Overload × the best sustained rate, with /healthz probed throughout.
type Report struct {
	Closed       []*Result
	Sustainable  float64 // the best closed-loop 200s per second
	Overload     *Result
	HealthProbes int           // /healthz probes during the overload
	HealthOK     int           // of which 200
	HealthMax    time.Duration // the slowest probe
	After        int           // status of a request once the overload is over
	AfterHealth  int           // status of /healthz then
}

// Acceptance runs the report against base (e.g. http://127.0.0.1:8080); req gives
// each request's Body, ContentType, Header and TLS.
func Acceptance(ctx context.Context, base string, req Config, clients []int, each time.Duration, overload float64) (*Report, error) {
	endpoint := strings.TrimRight(base, "/") + "/v1/zero-shot-image-classification"
	cfg := func(c Config) Config {
		c.URL, c.ContentType, c.Body, c.Header, c.TLS = endpoint, req.ContentType, req.Body, req.Header, req.TLS
		return c
	}
	rep := &Report{}
	for _, n := range clients {
		r, err := Run(ctx, cfg(Config{Clients: n, Duration: each, Warmup: 2 * n}))
		if err != nil {
			return nil, err
		}
		rep.Closed = append(rep.Closed, r)
		rep.Sustainable = max(rep.Sustainable, r.OKPerSec)
	}
	if overload <= 0 || rep.Sustainable == 0 {
		return rep, nil
	}
	stop := make(chan struct{})
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			t0 := time.Now()
			code, _ := Get(strings.TrimRight(base, "/")+"/healthz", 5*time.Second, req.TLS)
			rep.HealthProbes++
			if code == 200 {
				rep.HealthOK++
			}
			rep.HealthMax = max(rep.HealthMax, time.Since(t0))
		}
	}()
	r, err := Run(ctx, cfg(Config{Rate: overload * rep.Sustainable, Clients: 512, Duration: each}))
	close(stop)
	<-probed
	if err != nil {
		return nil, err
	}
	rep.Overload = r
	time.Sleep(500 * time.Millisecond)
	after, err := Run(ctx, cfg(Config{Clients: 1, Requests: 1}))
	if err == nil {
		for code := range after.Codes {
			rep.After = code
		}
	}
	rep.AfterHealth, _ = Get(strings.TrimRight(base, "/")+"/healthz", 5*time.Second, req.TLS)
	return rep, nil
}

// Table renders the report as Markdown.
func (rep *Report) Table() string {
	var b strings.Builder
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	fmt.Fprintf(&b, "| clients | requests | rps (200s/s) | p50 ms | p99 ms | max ms | codes |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Closed {
		fmt.Fprintf(&b, "| %d | %d | %.1f | %s | %s | %s | %s |\n", r.Clients, r.Sent, r.OKPerSec, ms(r.P50), ms(r.P99), ms(r.Max), r.CodesString())
	}
	if o := rep.Overload; o != nil {
		fmt.Fprintf(&b, "\nOverload: open loop at %.1f req/s (%.1f× the sustained %.1f) for %v: %d sent, %s, %.1f 200s/s; "+
			"200s p50 %s ms p99 %s ms; refusals (503, 429) p99 %s ms (%d of %d with Retry-After); %d arrivals not sent (client cap); "+
			"/healthz %d/%d ok (slowest %s ms); after: request %d, /healthz %d.\n",
			o.Rate, o.Rate/rep.Sustainable, rep.Sustainable, o.Elapsed.Round(time.Millisecond), o.Sent, o.CodesString(), o.OKPerSec,
			ms(o.OKP50), ms(o.OKP99), ms(o.ShedP99), o.RetryHdrs, o.Codes[503]+o.Codes[429], o.Missed,
			rep.HealthOK, rep.HealthProbes, ms(rep.HealthMax), rep.After, rep.AfterHealth)
	}
	return b.String()
}

// Fairness is two clients at once against one endpoint: a flooding one (Flood.Clients
// concurrent requests in a closed loop, resending at once after an answer and
// Flood.RefusedPause after a refusal, Retry-After ignored) and a polite one (one
// request at a time, Polite.Pause between them). Each Config carries its client's
// Header (its token); URL, Body, TLS and Duration are the Flood config's.
type Fairness struct {
	Flood, Polite Config
}

// FairnessResult is what each client got.
type FairnessResult struct {
	Flood, Polite *Result
}

// RunFairness runs both clients for Flood.Duration; the flooding one starts first and
// is given a moment to fill its part of the queue.
func RunFairness(ctx context.Context, f Fairness) (*FairnessResult, error) {
	if f.Flood.Duration <= 0 {
		f.Flood.Duration = 10 * time.Second
	}
	p := f.Polite
	p.URL, p.ContentType, p.Body, p.TLS = f.Flood.URL, f.Flood.ContentType, f.Flood.Body, f.Flood.TLS
	p.Clients = 1
	p.Rate = 0
	var out FairnessResult
	var ferr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		out.Flood, ferr = Run(ctx, f.Flood)
	}()
	lead := min(f.Flood.Duration/10, 200*time.Millisecond)
	select {
	case <-time.After(lead):
	case <-done:
	}
	p.Duration = f.Flood.Duration - lead
	var perr error
	out.Polite, perr = Run(ctx, p)
	<-done
	if ferr != nil {
		return nil, ferr
	}
	if perr != nil {
		return nil, perr
	}
	return &out, nil
}
