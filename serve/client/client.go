// Package client is a Go client for `zeroshot serve` (package serve): zero-shot
// classification and CLIP embeddings over HTTP, with a bearer token, TLS, retries of
// 429 and 503 answers after their Retry-After, and context cancellation.
//
// It is plain Go (net/http, no cgo, no libtorch): a program that only calls a server
// does not link the model. Errors the server answers are *Error values carrying its
// status and message; errors.As finds them:
//
//	res, err := c.Classify(ctx, client.ClassifyRequest{Image: img, Labels: []string{"cat", "dog"}})
//	var se *client.Error
//	if errors.As(err, &se) && se.StatusCode == 422 { … the image does not decode … }
//
// What it does not do: it sends no request twice except after a 429 or 503 (which the
// server answers before it has done any work, so a retry costs nothing), it fetches
// no URLs, and it never logs.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options configure a Client. Zero values take the defaults shown.
type Options struct {
	// Token is sent as "Authorization: Bearer <token>" (the server's --token-file).
	Token string
	// TLS configures https:// (e.g. RootCAs holding a self-signed certificate);
	// nil: the system's roots. Ignored when HTTPClient is set.
	TLS *tls.Config
	// HTTPClient, when set, sends the requests (its Transport, proxies, timeouts).
	HTTPClient *http.Client
	// MaxRetries is how many times a request answered 429 or 503 is sent again
	// (default 3; < 0: never).
	MaxRetries int
	// MaxRetryWait bounds one wait: a Retry-After beyond it is not waited for, the
	// answer is returned (default 30s).
	MaxRetryWait time.Duration
	// UserAgent is sent as User-Agent (default "zeroshot-client").
	UserAgent string
}

// Client calls one server. Safe for concurrent use.
type Client struct {
	base *url.URL
	opts Options
	hc   *http.Client
	// sleep waits d or until ctx ends (tests record the waits instead).
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a client of the server at baseURL (e.g. "http://127.0.0.1:8080" or
// "https://host:8443"; a path prefix, as behind a proxy, is kept).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("zeroshot client: base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("zeroshot client: base URL %q: want http://host:port or https://host:port", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("zeroshot client: base URL %q: no query or fragment, please", baseURL)
	}
	if strings.ContainsAny(opts.Token, " \t\r\n") {
		return nil, errors.New("zeroshot client: the token holds whitespace (one token, as in the server's token file)")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = 30 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "zeroshot-client"
	}
	hc := opts.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if opts.TLS != nil {
			tr.TLSClientConfig = opts.TLS.Clone()
		}
		hc = &http.Client{Transport: tr}
	}
	return &Client{base: u, opts: opts, hc: hc, sleep: sleepContext}, nil
}

// request is one call: it can be sent again (its body is bytes).
type request struct {
	method, path, contentType string
	body                      []byte
}

// do sends req, again after a 429 or 503 (up to MaxRetries times, each after the
// answer's Retry-After, else a backoff), and returns a 2xx answer's body; any other
// answer is an *Error.
func (c *Client) do(ctx context.Context, req request) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, req)
		var se *Error
		if !errors.As(err, &se) || !se.retryable() || attempt > c.opts.MaxRetries {
			return body, withAttempts(err, attempt)
		}
		wait := se.RetryAfter
		if wait <= 0 {
			wait = backoff(attempt)
		}
		if wait > c.opts.MaxRetryWait {
			return nil, withAttempts(err, attempt)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, withAttempts(err, attempt) // the answer now rather than a timeout later
		}
		if err := c.sleep(ctx, wait); err != nil {
			// Both: errors.Is finds context.Canceled, errors.As the server's answer.
			return nil, fmt.Errorf("zeroshot client: %w, while waiting to retry after: %w", err, withAttempts(se, attempt))
		}
	}
}

func withAttempts(err error, n int) error {
	var se *Error
	if errors.As(err, &se) {
		se.Attempts = n
	}
	return err
}

func (c *Client) once(ctx context.Context, req request) ([]byte, error) {
	u := *c.base
	u.Path += req.path
	hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), bytes.NewReader(req.body))
	if err != nil {
		return nil, fmt.Errorf("zeroshot client: %w", err)
	}
	if req.contentType != "" {
		hr.Header.Set("Content-Type", req.contentType)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.opts.UserAgent)
	if c.opts.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("zeroshot client: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("zeroshot client: %s %s: reading the answer: %w", req.method, u.Redacted(), err)
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("zeroshot client: %s %s: answer over %d bytes", req.method, u.Redacted(), maxAnswer)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newError(resp, body)
	}
	return body, nil
}

// maxAnswer bounds an answer read (the largest, 256 texts' embeddings of 768 floats as
// JSON, is about 4 MB).
const maxAnswer = 64 << 20

// backoff is the wait before retry n (1, 2, …) of an answer without Retry-After:
// 0.5s, 1s, 2s, … with ±20 % jitter, so that clients refused together do not return
// together.
func backoff(n int) time.Duration {
	d := 500 * time.Millisecond << min(n-1, 6)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
