package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

const chunkSize = 1 << 20

// verifier hashes a file the way its ETag was computed: sha256 of the content for LFS
// files (64 hex digits), the git blob id sha1("blob <size>\x00" + content) for files
// stored in git (40 hex digits). Other ETags are not checked (size only).
type verifier struct {
	algo string
	h    hash.Hash
	size int64
}

func newVerifier(etag string, size int64) *verifier {
	v := &verifier{size: size}
	switch {
	case sha256RE.MatchString(etag):
		v.algo = "sha256"
	case commitHashRE.MatchString(etag):
		v.algo = "git-sha1"
	default:
		return v
	}
	v.reset()
	return v
}

func (v *verifier) reset() {
	switch v.algo {
	case "sha256":
		v.h = sha256.New()
	case "git-sha1":
		v.h = sha1.New()
		fmt.Fprintf(v.h, "blob %d\x00", v.size)
	}
}

func (v *verifier) Write(p []byte) (int, error) {
	if v.h != nil {
		v.h.Write(p)
	}
	return len(p), nil
}

func (v *verifier) sum() string {
	if v.h == nil {
		return ""
	}
	return hex.EncodeToString(v.h.Sum(nil))
}

// GitBlobSHA1 returns the git object id of a blob with this content, which the Hub sends
// as the ETag of files that are not stored with LFS.
func GitBlobSHA1(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// fetchBlob is _download_to_tmp_and_move + http_get: download meta.location into
// blobs/{etag}.incomplete, resuming what is already there, verify size and checksum, and
// rename it to blobs/{etag}. An interrupted or cancelled transfer leaves the .incomplete
// file for the next attempt; a checksum mismatch deletes it.
func (c *client) fetchBlob(ctx context.Context, rc repoCache, fileURL, file string, m *fileMeta, progress Progress) error {
	blob := rc.blobPath(m.etag)
	if isFile(blob) {
		return nil
	}
	incomplete := blob + ".incomplete"
	f, err := os.OpenFile(incomplete, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	done := st.Size()
	v := newVerifier(m.etag, m.size)
	if done > m.size {
		// Longer than the file can be: start over.
		if err := f.Truncate(0); err != nil {
			return err
		}
		done = 0
	}
	if done > 0 {
		if _, err := io.CopyN(v, f, done); err != nil {
			return err
		}
	}
	report := func(n int64) {
		if progress != nil {
			progress.Progress(file, n, m.size)
		}
	}
	// Authorization only goes to the Hub itself, not to a CDN (signed URL).
	auth := sameHost(fileURL, m.location)
	retriesLeft := c.retries
	for done < m.size {
		n, err := c.getRange(ctx, m.location, auth, f, v, done, m.size, file, report)
		if n > 0 {
			retriesLeft = c.retries // data arrived: reset, as http_get does
		}
		done += n
		if err == nil {
			if n == 0 {
				break // the body ended without data: size check below
			}
			continue // a short body: ask for the rest
		}
		var restart errRestart
		if errors.As(err, &restart) {
			done = 0
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ne *NetworkError
		if !errors.As(err, &ne) || retriesLeft <= 0 {
			return err
		}
		retriesLeft--
		if err := sleep(ctx, retryBase); err != nil {
			return err
		}
	}
	if m.size == 0 {
		report(0)
	}
	if done != m.size {
		return badResponse("%s: received %d bytes, the Hub announced %d (network issue? retry)", m.location, done, m.size)
	}
	if want, got := m.etag, v.sum(); got != "" && got != want {
		f.Close()
		f = nil
		os.Remove(incomplete)
		return &ChecksumError{Repo: c.repo, File: file, URL: m.location, Algorithm: v.algo, Expected: want, Actual: got}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		f = nil
		return err
	}
	f = nil
	return os.Rename(incomplete, blob)
}

// errRestart: the server ignored Range and sent the whole file; the partial file was
// truncated and the transfer must start over.
type errRestart struct{}

func (errRestart) Error() string { return "restart" }

// getRange GETs u from byte offset done, appending to f (positioned at done) and v.
// It returns the number of bytes appended.
func (c *client) getRange(ctx context.Context, u string, auth bool, f *os.File, v *verifier, done, size int64, file string, report func(int64)) (int64, error) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, rcancel, err := c.do(actx, c.http, func(ctx context.Context) (*http.Request, error) {
		req, err := c.newRequest(ctx, http.MethodGet, u, auth)
		if err == nil && done > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(done, 10)+"-")
		}
		return req, err
	}, 0)
	if err != nil {
		return 0, err
	}
	defer rcancel()
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, c.httpError(resp, http.MethodGet, u, file)
	}
	if done > 0 {
		if resp.StatusCode == http.StatusOK {
			// Range ignored (e.g. a compressing proxy): start from scratch.
			if err := f.Truncate(0); err != nil {
				return 0, err
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return 0, err
			}
			v.reset()
			return 0, errRestart{}
		}
		if start, ok := contentRangeStart(resp.Header.Get("Content-Range")); !ok || start != done {
			return 0, badResponse("%s: asked for bytes %d-, got Content-Range %q", u, done, resp.Header.Get("Content-Range"))
		}
	}
	report(done)
	body := newStallReader(resp.Body, c.downloadTimeout, cancel)
	defer body.stop()
	buf := make([]byte, chunkSize)
	var n int64
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if done+n+int64(k) > size {
				return n, badResponse("%s: more data than the %d bytes the Hub announced", u, size)
			}
			if _, err := f.Write(buf[:k]); err != nil {
				return n, err
			}
			v.Write(buf[:k])
			n += int64(k)
			report(done + n)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			return n, &NetworkError{Method: http.MethodGet, URL: u, Err: rerr}
		}
	}
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(h string) (int64, bool) {
	h, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !ok {
		return 0, false
	}
	s, _, ok := strings.Cut(h, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}
