package source

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

var fixture = filepath.Join("..", "testdata", "images", "files", "jpeg_exif_6.jpg")

// imageServer serves the cases load_image meets on the web: an image, redirects, a
// loop, a slow server, a trickling body, a huge body (announced and not), a page that
// is not an image, 404, an empty body, and a 503 that clears after one try.
func imageServer(t *testing.T, img []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/img.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream") // not trusted either way
		w.Write(img)
	})
	mux.HandleFunc("/redirect/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/redirect/"), "%d", &n)
		if n <= 0 {
			http.Redirect(w, r, "/img.jpg", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(img)))
		for i := 0; i < len(img); i += 16 {
			if _, err := w.Write(img[i:min(i+16, len(img))]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(1<<30))
		w.Write(img)
	})
	mux.HandleFunc("/huge-chunked", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte{0xFF}, 64<<10)
		w.Write(img[:3])
		for i := 0; i < 64; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>not here</body></html>")
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write(img)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &flaky
}

func TestFetch(t *testing.T) {
	img, err := os.ReadFile(fixture)
	require.NoError(t, err)
	srv, flaky := imageServer(t, img)
	f := &Fetcher{Timeout: 500 * time.Millisecond, MaxBytes: 1 << 20, MaxRedirects: 5}
	ctx := context.Background()
	for _, tc := range []struct {
		path   string
		kind   Kind   // 0: the image
		status int    // for KindStatus
		reason string // in the message
	}{
		{path: "/img.jpg"},
		{path: "/redirect/4"}, // 5 redirects: the limit
		{path: "/flaky"},      // 503, then the image
		{path: "/redirect/5", kind: KindRedirects, reason: "more than 5 redirects (the last to {srv}/img.jpg)"},
		{path: "/loop", kind: KindRedirects, reason: "more than 5 redirects (the last to {srv}/loop)"},
		{path: "/slow", kind: KindTimeout, reason: "no complete answer within 500ms"},
		{path: "/trickle", kind: KindTimeout, reason: "no complete answer within 500ms"},
		{path: "/huge", kind: KindTooLarge, reason: "1073741824 bytes (Content-Length), over the limit of 1048576"},
		{path: "/huge-chunked", kind: KindTooLarge, reason: "more than 1048576 bytes, the limit"},
		{path: "/page", kind: KindNotImage, reason: `not an image (Content-Type "text/html; charset=utf-8"; the body starts "<!DOCTYPE html><html><bo…")`},
		{path: "/missing", kind: KindStatus, status: 404, reason: "HTTP 404 Not Found"},
		{path: "/empty", kind: KindNotImage, reason: "an empty body (HTTP 200 OK)"},
	} {
		t.Run(strings.Trim(tc.path, "/"), func(t *testing.T) {
			u := srv.URL + tc.path
			b, err := URL{U: u, F: f}.Read(ctx)
			if tc.kind == 0 {
				require.NoError(t, err)
				require.Equal(t, img, b, "the served bytes, unchanged")
				return
			}
			var se *Error
			require.ErrorAs(t, err, &se)
			require.Equal(t, tc.kind, se.Kind, "%v", err)
			require.Equal(t, tc.status, se.Status)
			require.True(t, errors.Is(err, &Error{Kind: tc.kind}))
			require.Equal(t, u+": "+strings.ReplaceAll(tc.reason, "{srv}", srv.URL), err.Error())
		})
	}
	require.EqualValues(t, 2, flaky.Load(), "the 503 was retried once")

	// No retries: the 503 stands, with its status.
	flaky.Store(0)
	_, err = (&Fetcher{Retries: -1}).Get(ctx, srv.URL+"/flaky")
	require.ErrorIs(t, err, ErrStatus)
	require.Contains(t, err.Error(), "HTTP 503 Service Unavailable")

	// The caller's own cancellation is not a source error.
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = (&Fetcher{Timeout: -1}).Get(cctx, srv.URL+"/slow")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var se *Error
	require.False(t, errors.As(err, &se))
}

func TestFetchNetworkErrors(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now
	_, err := (&Fetcher{Retries: -1}).Get(ctx, addr+"/x.jpg")
	require.ErrorIs(t, err, ErrNetwork)
	require.Contains(t, err.Error(), "connection refused")

	for _, bad := range []string{"ftp://host/x.jpg", "http://", "http://host:port/x"} {
		_, err := DefaultFetcher.Get(ctx, bad)
		require.ErrorIs(t, err, ErrBadSource, bad)
	}
	// A password in the URL stays out of messages.
	_, err = (&Fetcher{Retries: -1}).Get(ctx, strings.Replace(addr, "http://", "http://user:secret@", 1)+"/x.jpg")
	require.ErrorIs(t, err, ErrNetwork)
	require.NotContains(t, err.Error(), "secret")
	require.Contains(t, err.Error(), "user:xxxxx@")
}

func TestFetchAllow(t *testing.T) {
	img, err := os.ReadFile(fixture)
	require.NoError(t, err)
	srv, _ := imageServer(t, img)
	u, _ := url.Parse(srv.URL)
	other := httptest.NewServer(http.RedirectHandler(srv.URL+"/img.jpg", http.StatusFound))
	defer other.Close()
	ou, _ := url.Parse(other.URL)
	ctx := context.Background()

	allow, err := AllowHosts([]string{u.Host}) // 127.0.0.1:PORT: that port only
	require.NoError(t, err)
	f := &Fetcher{Allow: allow}
	_, err = f.Get(ctx, srv.URL+"/redirect/2")
	require.NoError(t, err)
	_, err = f.Get(ctx, other.URL+"/x")
	require.ErrorIs(t, err, ErrNotAllowed)
	require.Contains(t, err.Error(), "host "+ou.Host+" is not allowed")

	// Allowed at first, redirected elsewhere: refused before connecting there.
	allowOther, err := AllowHosts([]string{ou.Host})
	require.NoError(t, err)
	_, err = (&Fetcher{Allow: allowOther}).Get(ctx, other.URL+"/x")
	require.ErrorIs(t, err, ErrNotAllowed)
	require.Contains(t, err.Error(), "redirected to "+srv.URL+"/img.jpg, whose host is not allowed")

	for _, tc := range []struct {
		list []string
		url  string
		ok   bool
	}{
		{[]string{"images.example.com"}, "https://IMAGES.example.com:8443/a.jpg", true},
		{[]string{"images.example.com:443"}, "https://images.example.com:8443/a.jpg", false},
		{[]string{"*.example.com"}, "https://cdn.images.example.com/a.jpg", true},
		{[]string{"*.example.com"}, "https://example.com/a.jpg", false},
		{[]string{"*.example.com"}, "https://badexample.com/a.jpg", false},
		{[]string{"[::1]:8080"}, "http://[::1]:8080/a.jpg", true},
		{nil, "http://127.0.0.1/a.jpg", false},
	} {
		a, err := AllowHosts(tc.list)
		require.NoError(t, err)
		pu, _ := url.Parse(tc.url)
		require.Equal(t, tc.ok, a(pu), "%v %s", tc.list, tc.url)
	}
	for _, bad := range []string{"http://host/", "*", "a.*.com", "user@host"} {
		_, err := AllowHosts([]string{bad})
		require.Error(t, err, bad)
	}
}

func TestParseAndRead(t *testing.T) {
	img, err := os.ReadFile(fixture)
	require.NoError(t, err)
	ctx := context.Background()
	b64 := base64.StdEncoding.EncodeToString(img)

	require.IsType(t, File(""), Parse("photos/a.jpg", nil))
	require.IsType(t, URL{}, Parse("HTTPS://host/a.jpg", nil))
	require.IsType(t, Data(""), Parse("data:image/jpeg;base64,"+b64, nil))
	require.IsType(t, Reader{}, Parse("-", nil))
	require.Equal(t, []string{"a", "b"}, Names(Files([]string{"a", "b"})))

	for name, s := range map[string]string{
		"base64":        "data:image/jpeg;base64," + b64,
		"no media type": "data:;base64," + b64,
		"url alphabet":  "data:image/jpeg;base64," + strings.TrimRight(base64.URLEncoding.EncodeToString(img), "="),
		"line breaks":   "data:image/jpeg;base64," + b64[:60] + "\n" + b64[60:],
		"percent":       "data:image/jpeg," + url.PathEscape(string(img)),
	} {
		b, err := Data(s).Read(ctx)
		require.NoError(t, err, name)
		require.Equal(t, img, b, name)
	}
	for s, reason := range map[string]string{
		"data:image/png;base64":         "a data: URL without a comma before its data",
		"data:image/png;base64,":        "a data: URL with no data",
		"data:image/png;base64,@@@@":    "illegal base64 data at input byte 0",
		"data:image/png,%zz":            `bad percent-encoding: invalid URL escape "%zz"`,
		"data:image/png;base64," + b64:  "",
		"data:image/png;base64," + "QQ": "",
	} {
		_, err := Data(s).Read(ctx)
		if reason == "" {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, ErrBadSource, s)
		require.Contains(t, err.Error(), reason)
	}
	// A long data: URL is shortened in messages.
	long := "data:image/png;base64," + strings.Repeat("@", 1000)
	_, err = Data(long).Read(ctx)
	require.Contains(t, err.Error(), "… (1022 bytes): illegal base64")

	// Standard input: read once; empty is an error.
	b, err := Reader{N: Stdin, R: bytes.NewReader(img)}.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, img, b)
	_, err = Reader{N: Stdin, R: bytes.NewReader(nil)}.Read(ctx)
	require.EqualError(t, err, "-: standard input is empty (nothing was piped in?)")

	// A missing file: preprocess's error, as preprocess.Load gives it.
	_, err = File("no/such.jpg").Read(ctx)
	require.ErrorIs(t, err, preprocess.ErrUnreadable)
	require.Contains(t, err.Error(), "no/such.jpg: unreadable: open no/such.jpg: no such file or directory")
}
