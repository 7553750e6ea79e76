package hub

import (
	"context"
	"errors"
	"fmt"
	"io"

	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const userAgent = "zeroshot-hub (go; huggingface_hub-compatible)"

// retryBase is the first backoff wait (http_backoff's base_wait_time); tests shorten it.
var retryBase = time.Second

// client talks to one Hub endpoint for one Resolve call.
type client struct {
	http            *http.Client // follows redirects (GET)
	noRedirect      *http.Client // returns 3xx responses as they are (HEAD)
	endpoint        string
	token           string
	retries         int
	etagTimeout     time.Duration
	downloadTimeout time.Duration

	// for error messages
	repo, revision string
}

var defaultHTTPClient = &http.Client{Transport: defaultTransport()}

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 60 * time.Second
	return t
}

func newClient(o *Options, repo string) *client {
	hc := o.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	nr := *hc
	nr.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	retries := o.MaxRetries
	if retries == 0 {
		retries = 5
	} else if retries < 0 {
		retries = 0
	}
	return &client{
		http: hc, noRedirect: &nr, endpoint: o.Endpoint, token: o.Token, retries: retries,
		etagTimeout: o.EtagTimeout, downloadTimeout: o.DownloadTimeout,
		repo: repo, revision: o.Revision,
	}
}

// quote is urllib.parse.quote: percent-encode every byte except ASCII letters, digits,
// "_.-~" and the bytes in safe.
func quote(s, safe string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("_.-~", c) >= 0 || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// FileURL is hf_hub_url for a model: {endpoint}/{repo}/resolve/{revision}/{filename}, the
// revision fully escaped and the filename escaped except for "/".
func FileURL(endpoint, repo, revision, filename string) string {
	return strings.TrimRight(endpoint, "/") + "/" + repo + "/resolve/" + quote(revision, "") + "/" + quote(filename, "/")
}

// fileMeta is HfFileMetadata.
type fileMeta struct {
	commit   string
	etag     string
	location string // where to GET the content (the CDN URL for LFS files)
	size     int64
}

// normalizeETag is _normalize_etag: etag.lstrip("W/").strip('"').
func normalizeETag(e string) string {
	e = strings.TrimLeft(e, "W/")
	return strings.Trim(e, `"`)
}

func (c *client) newRequest(ctx context.Context, method, u string, auth bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// do runs one request with http_backoff's policy: network errors and 500/502/503/504 are
// retried (waits 1, 2, 4, 8, 8 s by default); context errors are not.
func (c *client) do(ctx context.Context, hc *http.Client, build func(context.Context) (*http.Request, error), timeout time.Duration) (*http.Response, context.CancelFunc, error) {
	wait := retryBase
	for attempt := 0; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, timeout)
		}
		req, err := build(actx)
		if err != nil {
			cancel()
			return nil, nil, err
		}
		resp, err := hc.Do(req)
		if err == nil {
			switch resp.StatusCode {
			case 500, 502, 503, 504:
				if attempt < c.retries {
					resp.Body.Close()
					cancel()
					break
				}
				return resp, cancel, nil
			default:
				return resp, cancel, nil
			}
		} else {
			cancel()
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if attempt >= c.retries {
				return nil, nil, &NetworkError{Method: req.Method, URL: req.URL.String(), Err: unwrapURLError(err)}
			}
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
		wait = min(2*wait, 8*retryBase)
	}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// head is get_hf_file_metadata: HEAD with Accept-Encoding: identity, following relative
// redirects only (a renamed repository) and stopping at absolute ones (the CDN).
func (c *client) head(ctx context.Context, fileURL, file string) (*fileMeta, error) {
	u := fileURL
	for hops := 0; ; hops++ {
		resp, cancel, err := c.do(ctx, c.noRedirect, func(ctx context.Context) (*http.Request, error) {
			req, err := c.newRequest(ctx, http.MethodHead, u, true)
			if err == nil {
				req.Header.Set("Accept-Encoding", "identity")
			}
			return req, err
		}, c.etagTimeout)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		cancel()
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			loc := resp.Header.Get("Location")
			target, perr := url.Parse(loc)
			if loc != "" && perr == nil && target.Host == "" && hops < 10 {
				// _request_wrapper: same site, only the path replaced.
				next, _ := url.Parse(u)
				next.Path, next.RawPath = target.Path, target.RawPath
				u = next.String()
				continue
			}
		} else if resp.StatusCode >= 400 {
			return nil, c.httpError(resp, http.MethodHead, u, file)
		}
		m := &fileMeta{
			commit:   resp.Header.Get("X-Repo-Commit"),
			location: resp.Header.Get("Location"),
		}
		if m.location == "" {
			m.location = u
		} else if lu, err := url.Parse(u); err == nil {
			if abs, err := lu.Parse(m.location); err == nil {
				m.location = abs.String()
			}
		}
		etag := resp.Header.Get("X-Linked-Etag")
		if etag == "" {
			etag = resp.Header.Get("ETag")
		}
		m.etag = normalizeETag(etag)
		size := resp.Header.Get("X-Linked-Size")
		if size == "" {
			size = resp.Header.Get("Content-Length")
		}
		m.size = -1
		if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 {
			m.size = n
		}
		switch {
		case m.commit == "":
			return nil, badResponse("%s has no X-Repo-Commit header: it does not look like a Hugging Face Hub (check HF_ENDPOINT, proxy and firewall settings)", u)
		case m.etag == "":
			return nil, badResponse("%s has no ETag: the file cannot be verified", u)
		case strings.ContainsAny(m.etag, `/\`) || m.etag == "." || m.etag == "..":
			return nil, badResponse("%s has an unusable ETag %q", u, m.etag)
		case m.size < 0:
			return nil, badResponse("%s has no Content-Length", u)
		}
		return m, nil
	}
}

// httpError classifies an error response like hf_raise_for_status.
func (c *client) httpError(resp *http.Response, method, u, file string) *HTTPError {
	e := &HTTPError{
		Method: method, URL: u, StatusCode: resp.StatusCode,
		ErrorCode:     resp.Header.Get("X-Error-Code"),
		ServerMessage: resp.Header.Get("X-Error-Message"),
		RequestID:     resp.Header.Get("X-Request-Id"),
		Repo:          c.repo, Revision: c.revision, File: file, Endpoint: c.endpoint,
		TokenSent: c.token != "",
		Commit:    resp.Header.Get("X-Repo-Commit"),
	}
	switch {
	case e.ErrorCode == "RevisionNotFound":
		e.Kind = ErrRevisionNotFound
	case e.ErrorCode == "EntryNotFound":
		e.Kind = ErrEntryNotFound
	case e.ErrorCode == "GatedRepo":
		e.Kind = ErrGatedRepo
	case e.ErrorCode == "RepoNotFound" ||
		resp.StatusCode == 401 && e.ServerMessage != "Invalid credentials in Authorization header":
		e.Kind = ErrRepoNotFound
	case resp.StatusCode == 403:
		e.Kind = ErrForbidden
	}
	return e
}

// isAuthError: errors huggingface_hub re-raises as they are when the file is not cached.
func isAuthError(err error) bool {
	var he *HTTPError
	if !errors.As(err, &he) {
		return false
	}
	return he.Kind == ErrRepoNotFound || he.Kind == ErrGatedRepo || he.Kind == ErrForbidden || he.StatusCode == 401
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host == ub.Host
}

// stallReader fails a read that waits longer than d for data (requests' read timeout): the
// timer cancels the request, and the read reports the stall.
type stallReader struct {
	r     io.Reader
	d     time.Duration
	timer *time.Timer
}

func newStallReader(r io.Reader, d time.Duration, cancel context.CancelFunc) *stallReader {
	s := &stallReader{r: r, d: d}
	if d > 0 {
		s.timer = time.AfterFunc(d, cancel)
	}
	return s
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.timer != nil {
		if !s.timer.Stop() {
			return n, fmt.Errorf("no data received for %v", s.d)
		}
		s.timer.Reset(s.d)
	}
	return n, err
}

func (s *stallReader) stop() {
	if s.timer != nil {
		s.timer.Stop()
	}
}
