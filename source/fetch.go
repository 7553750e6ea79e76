package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// Defaults of a Fetcher's zero fields.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 64 << 20 // 64 MiB: a 89-megapixel JPEG (Pillow's limit) is well under it
	DefaultMaxRedirects = 10       // Go's http.Client's limit (requests follows 30)
	DefaultRetries      = 2
)

// Fetcher fetches images over http(s) with bounds, as load_image's requests.get does but
// with limits: redirects followed up to MaxRedirects, the whole fetch (headers and body)
// within Timeout, bodies over MaxBytes refused, and the body sniffed for an image format
// (the Content-Type is not trusted). Transient failures (connection refused or reset,
// 429, 502, 503, 504) are retried Retries times after a short wait (Retry-After when
// the server sends one that fits in Timeout). A Fetcher is safe for concurrent use;
// do not change its fields after the first Get.
type Fetcher struct {
	Timeout      time.Duration // per attempt; 0: DefaultTimeout; < 0: none
	MaxBytes     int64         // 0: DefaultMaxBytes; < 0: none
	MaxRedirects int           // 0: DefaultMaxRedirects; < 0: none followed
	Retries      int           // 0: DefaultRetries; < 0: none
	// Allow, when set, is asked about the URL and every redirect's target before any
	// connection is made to it: a server fetching its clients' URLs lists the hosts it
	// may reach (AllowHosts). nil: any host.
	Allow func(u *url.URL) bool
	// Transport carries the requests; nil: a clone of http.DefaultTransport (proxies
	// from the environment, HTTP/2, keep-alive, up to 32 idle connections per host).
	Transport http.RoundTripper
	UserAgent string // "" means "zeroshot-clip"

	once   sync.Once
	client *http.Client
}

// DefaultFetcher is the Fetcher of Parse(s, nil): the defaults above, any host.
var DefaultFetcher = &Fetcher{}

func (f *Fetcher) timeout() time.Duration {
	switch {
	case f.Timeout == 0:
		return DefaultTimeout
	case f.Timeout < 0:
		return 0
	}
	return f.Timeout
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes == 0 {
		return DefaultMaxBytes
	}
	return f.MaxBytes
}

func (f *Fetcher) retries() int {
	switch {
	case f.Retries == 0:
		return DefaultRetries
	case f.Retries < 0:
		return 0
	}
	return f.Retries
}

func (f *Fetcher) maxRedirects() int {
	switch {
	case f.MaxRedirects == 0:
		return DefaultMaxRedirects
	case f.MaxRedirects < 0:
		return 0
	}
	return f.MaxRedirects
}

// redirectError stops a redirect; Get turns it into an *Error of its kind.
type redirectError struct {
	kind   Kind
	reason string
}

func (e *redirectError) Error() string { return e.reason }

func (f *Fetcher) httpClient() *http.Client {
	f.once.Do(func() {
		t := f.Transport
		if t == nil {
			dt := http.DefaultTransport.(*http.Transport).Clone()
			dt.MaxIdleConnsPerHost = 32 // many images from one host at once: keep their connections
			t = dt
		}
		f.client = &http.Client{Transport: t, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if n := f.maxRedirects(); len(via) > n {
				return &redirectError{KindRedirects, fmt.Sprintf("more than %d redirects (the last to %s)", n, redact(req.URL.String()))}
			}
			if f.Allow != nil && !f.Allow(req.URL) {
				return &redirectError{KindNotAllowed, fmt.Sprintf("redirected to %s, whose host is not allowed", redact(req.URL.String()))}
			}
			return nil
		}}
	})
	return f.client
}

// Get fetches the image at rawURL (http or https). Errors are *Error naming the URL
// (without its password), except ctx's own end, returned as ctx.Err().
func (f *Fetcher) Get(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		reason := "not an http(s) URL"
		if err != nil {
			reason = "bad URL: " + err.Error()
		}
		return nil, &Error{Source: rawURL, Kind: KindBadSource, Reason: reason, Err: err}
	}
	if f.Allow != nil && !f.Allow(u) {
		return nil, &Error{Source: rawURL, Kind: KindNotAllowed, Reason: fmt.Sprintf("host %s is not allowed", u.Host)}
	}
	for attempt := 0; ; attempt++ {
		b, wait, err := f.get(ctx, u, rawURL)
		if err == nil || wait < 0 || attempt >= f.retries() {
			return b, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// get makes one attempt. wait ≥ 0 means the failure is transient: retry after wait.
func (f *Fetcher) get(ctx context.Context, u *url.URL, name string) (body []byte, wait time.Duration, err error) {
	parent := ctx
	timeout := f.timeout()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	fail := func(kind Kind, reason string, err error) ([]byte, time.Duration, error) {
		return nil, -1, &Error{Source: name, Kind: kind, Reason: reason, Err: err}
	}
	timedOut := func(err error) ([]byte, time.Duration, error) {
		if parent.Err() != nil {
			return nil, -1, parent.Err()
		}
		return fail(KindTimeout, fmt.Sprintf("no complete answer within %s", timeout), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(KindBadSource, "bad URL: "+err.Error(), err)
	}
	ua := f.UserAgent
	if ua == "" {
		ua = "zeroshot-clip"
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "image/*, */*;q=0.5")
	resp, err := f.httpClient().Do(req)
	if err != nil {
		var re *redirectError
		switch {
		case errors.As(err, &re):
			return fail(re.kind, re.reason, nil)
		case ctx.Err() != nil:
			return timedOut(err)
		}
		inner := err
		var ue *url.Error
		if errors.As(err, &ue) {
			inner = ue.Err
		}
		e := &Error{Source: name, Kind: KindNetwork, Reason: inner.Error(), Err: err}
		if transientNet(inner) {
			return nil, f.backoff(nil), e
		}
		return nil, -1, e
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection if cheap
		e := &Error{Source: name, Kind: KindStatus, Status: resp.StatusCode, Reason: "HTTP " + resp.Status}
		if resp.Request != nil && resp.Request.URL.String() != u.String() {
			e.Reason += " (after redirects, at " + redact(resp.Request.URL.String()) + ")"
		}
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return nil, f.backoff(resp.Header), e
		}
		return nil, -1, e
	}
	limit := f.maxBytes()
	if limit >= 0 && resp.ContentLength > limit {
		return fail(KindTooLarge, fmt.Sprintf("%d bytes (Content-Length), over the limit of %d", resp.ContentLength, limit), nil)
	}
	r := io.Reader(resp.Body)
	if limit >= 0 {
		r = io.LimitReader(resp.Body, limit+1)
	}
	body, err = io.ReadAll(r)
	if err != nil {
		if ctx.Err() != nil {
			return timedOut(err)
		}
		return fail(KindNetwork, "reading the body: "+err.Error(), err)
	}
	if limit >= 0 && int64(len(body)) > limit {
		return fail(KindTooLarge, fmt.Sprintf("more than %d bytes, the limit", limit), nil)
	}
	if len(body) == 0 {
		return fail(KindNotImage, "an empty body (HTTP "+resp.Status+")", nil)
	}
	if preprocess.Sniff(body) == "" {
		return fail(KindNotImage, fmt.Sprintf("not an image (Content-Type %q; the body starts %q)",
			resp.Header.Get("Content-Type"), head(body)), nil)
	}
	return body, 0, nil
}

// backoff is the wait before a retry: Retry-After in seconds when the server sends one
// that fits in the timeout, else half a second.
func (f *Fetcher) backoff(h http.Header) time.Duration {
	if h != nil {
		if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
			d := time.Duration(s) * time.Second
			if t := f.timeout(); t == 0 || d < t {
				return d
			}
		}
	}
	return 500 * time.Millisecond
}

// transientNet: a refused or reset connection may work a moment later.
func transientNet(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}

// head is the start of a body, for "not an image" messages.
func head(b []byte) string {
	const n = 24
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// redact removes a URL's password; anything else is returned as it is.
func redact(s string) string {
	if !IsURL(s) && !hasScheme(s, "s3://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// URL is an image at an http(s) URL, fetched with F (nil: DefaultFetcher).
type URL struct {
	U string
	F *Fetcher
}

// Name is the URL as given.
func (u URL) Name() string { return u.U }

// Read fetches it.
func (u URL) Read(ctx context.Context) ([]byte, error) {
	f := u.F
	if f == nil {
		f = DefaultFetcher
	}
	return f.Get(ctx, u.U)
}
