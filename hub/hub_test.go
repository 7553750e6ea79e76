package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/hub/hubtest"
)

const fixtureDir = "../testdata/models/odd"

var hfVars = []string{
	"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "HF_ENDPOINT",
	"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH",
	"HF_HUB_DISABLE_IMPLICIT_TOKEN", "HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT", "HUGGINGFACE_CO_STAGING",
}

// cleanEnv unsets every variable huggingface_hub reads and points HOME at a temp dir.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, k := range hfVars {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", t.TempDir())
	old := retryBase
	retryBase = time.Millisecond
	t.Cleanup(func() { retryBase = old })
}

func fixtureRepo(t *testing.T, id string) *hubtest.Repo {
	t.Helper()
	r, err := hubtest.LoadRepo(id, fixtureDir, "golden*")
	require.NoError(t, err)
	require.Contains(t, r.Files, "model.safetensors")
	return r
}

type env struct {
	srv   *hubtest.Server
	repo  *hubtest.Repo
	cache string
	opts  Options
}

func setup(t *testing.T, repos ...*hubtest.Repo) *env {
	t.Helper()
	cleanEnv(t)
	main := fixtureRepo(t, "tiny/odd")
	srv := hubtest.NewServer(append([]*hubtest.Repo{main}, repos...)...)
	t.Cleanup(srv.Close)
	cache := filepath.Join(t.TempDir(), "hub")
	return &env{srv: srv, repo: main, cache: cache, opts: Options{CacheDir: cache, Endpoint: srv.URL}}
}

func (e *env) count(server, method string) int {
	n := 0
	for _, r := range e.srv.Requests() {
		if (server == "" || r.Server == server) && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

var clipFiles = []string{"config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json",
	"special_tokens_map.json", "vocab.json", "merges.txt", "model.safetensors"}

// checkLayout asserts the huggingface_hub layout for the given files of repo.
func checkLayout(t *testing.T, cache string, repo *hubtest.Repo, files []string, dir string) {
	t.Helper()
	root := filepath.Join(cache, "models--"+strings.ReplaceAll(repo.ID, "/", "--"))
	ref, err := os.ReadFile(filepath.Join(root, "refs", "main"))
	require.NoError(t, err)
	assert.Equal(t, repo.Commit, string(ref), "refs/main holds the bare commit hash")
	want, _ := filepath.Abs(filepath.Join(root, "snapshots", repo.Commit))
	assert.Equal(t, want, dir)
	for _, f := range files {
		p := filepath.Join(dir, f)
		st, err := os.Lstat(p)
		require.NoError(t, err, f)
		assert.True(t, st.Mode()&os.ModeSymlink != 0, "%s is a symlink", f)
		target, err := os.Readlink(p)
		require.NoError(t, err)
		etag := repo.ETag(f)
		assert.Equal(t, "../../blobs/"+etag, target, f)
		if hubtest.IsLFS(f) {
			assert.Len(t, etag, 64, "LFS blob named by sha256")
		} else {
			assert.Len(t, etag, 40, "git blob named by git sha1")
		}
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, repo.Files[f], got, f)
		assert.FileExists(t, filepath.Join(cache, ".locks", "models--"+strings.ReplaceAll(repo.ID, "/", "--"), etag+".lock"))
	}
	blobs, _ := filepath.Glob(filepath.Join(root, "blobs", "*"))
	for _, b := range blobs {
		assert.False(t, strings.HasSuffix(b, ".incomplete"), "leftover %s", b)
	}
	assert.Len(t, blobs, len(files), "one blob per file")
}

func TestFreshDownloadLayout(t *testing.T) {
	e := setup(t)
	var mu sync.Mutex
	last := map[string][2]int64{}
	e.opts.Progress = ProgressFunc(func(f string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		assert.LessOrEqual(t, done, total)
		assert.GreaterOrEqual(t, done, last[f][0], "monotonic")
		last[f] = [2]int64{done, total}
	})
	s, err := ResolveSnapshot(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, s.Dir)
	assert.Equal(t, e.repo.Commit, s.Commit)
	assert.Empty(t, s.Missing)
	assert.Len(t, s.Files, len(clipFiles))
	assert.NotContains(t, s.Files, "pytorch_model.bin", "safetensors preferred")
	assert.NoFileExists(t, filepath.Join(s.Dir, "pytorch_model.bin"))
	for _, f := range clipFiles {
		n := int64(len(e.repo.Files[f]))
		assert.Equal(t, [2]int64{n, n}, last[f], "progress of %s ends at total", f)
	}
	// One HEAD per file; one GET per file, LFS through the CDN without the token.
	assert.Equal(t, len(clipFiles), e.count("hub", "HEAD"))
	assert.Equal(t, len(clipFiles)-1, e.count("hub", "GET"))
	assert.Equal(t, 1, e.count("cdn", "GET"))
	// The first HEAD asks for main, later ones for the commit it answered.
	reqs := e.srv.Requests()
	assert.Equal(t, "/tiny/odd/resolve/main/config.json", reqs[0].Path)
	assert.Equal(t, "/tiny/odd/resolve/"+e.repo.Commit+"/preprocessor_config.json", reqs[2].Path)
	assert.NoDirExists(t, filepath.Join(e.cache, "models--tiny--odd", ".no_exist"))

	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	assert.Equal(t, s.Dir, dir)
}

// failTransport fails the test on any request.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
	return nil, errors.New("no network in this test")
}

func TestSecondResolveNoNetwork(t *testing.T) {
	e := setup(t)
	first, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	e.srv.ResetRequests()

	o := e.opts
	o.HTTPClient = &http.Client{Transport: failTransport{t}}
	second, err := Resolve(context.Background(), "tiny/odd", o)
	require.NoError(t, err)
	assert.Equal(t, first, second)
	assert.Empty(t, e.srv.Requests())

	// Refresh: one HEAD learns the branch's current commit, whose files are all cached.
	o = e.opts
	o.Refresh = true
	third, err := Resolve(context.Background(), "tiny/odd", o)
	require.NoError(t, err)
	assert.Equal(t, first, third)
	assert.Equal(t, 1, e.count("hub", "HEAD"))
	assert.Zero(t, e.count("", "GET"))
}

func TestOffline(t *testing.T) {
	e := setup(t)
	t.Setenv("HF_HUB_OFFLINE", "1")
	_, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotCached)
	var nc *NotCachedError
	require.ErrorAs(t, err, &nc)
	assert.True(t, nc.Offline)
	assert.Contains(t, err.Error(), "run `zeroshot download tiny/odd` with network access, or set HF_HUB_OFFLINE=0")
	assert.Empty(t, e.srv.Requests())

	os.Unsetenv("HF_HUB_OFFLINE")
	online, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	e.srv.ResetRequests()

	for _, v := range []string{"1", "ON", "yes", "True"} {
		t.Setenv("HF_HUB_OFFLINE", v)
		o := e.opts
		o.Refresh = true // offline wins over Refresh
		o.HTTPClient = &http.Client{Transport: failTransport{t}}
		dir, err := Resolve(context.Background(), "tiny/odd", o)
		require.NoError(t, err, v)
		assert.Equal(t, online, dir)
	}
	// Offline with a file missing from the cache.
	t.Setenv("HF_HUB_OFFLINE", "1")
	o := e.opts
	o.Files = []string{"config.json", "README.md"}
	_, err = Resolve(context.Background(), "tiny/odd", o)
	require.ErrorAs(t, err, &nc)
	assert.Equal(t, []string{"README.md"}, nc.Files)
	// Options.Offline alone.
	os.Unsetenv("HF_HUB_OFFLINE")
	o.Offline = true
	_, err = Resolve(context.Background(), "tiny/odd", o)
	assert.ErrorIs(t, err, ErrNotCached)
	assert.Empty(t, e.srv.Requests())
}

func TestResumeIncomplete(t *testing.T) {
	e := setup(t)
	content := e.repo.Files["model.safetensors"]
	sum := hubtest.SHA256(content)
	blobs := filepath.Join(e.cache, "models--tiny--odd", "blobs")
	require.NoError(t, os.MkdirAll(blobs, 0o777))
	half := int64(len(content) / 2)
	require.NoError(t, os.WriteFile(filepath.Join(blobs, sum+".incomplete"), content[:half], 0o644))

	var first int64 = -1
	e.opts.Progress = ProgressFunc(func(f string, done, total int64) {
		if f == "model.safetensors" && first < 0 {
			first = done
		}
	})
	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
	assert.Equal(t, half, first, "progress starts at the resumed size")
	var cdn []hubtest.Request
	for _, r := range e.srv.Requests() {
		if r.Server == "cdn" {
			cdn = append(cdn, r)
		}
	}
	require.Len(t, cdn, 1)
	assert.Equal(t, fmt.Sprintf("bytes=%d-", half), cdn[0].Range)
}

func TestResumeAfterBrokenTransfer(t *testing.T) {
	e := setup(t)
	content := e.repo.Files["model.safetensors"]
	broken := 0
	e.srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/repos/") && r.Header.Get("Range") == "" && broken == 0 {
			broken++
			w.Header().Set("Content-Length", fmt.Sprint(len(content)))
			w.WriteHeader(http.StatusOK)
			w.Write(content[:100000])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // connection dropped mid-transfer
		}
		return false
	}
	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
	var ranges []string
	for _, r := range e.srv.Requests() {
		if r.Server == "cdn" {
			ranges = append(ranges, r.Range)
		}
	}
	assert.Equal(t, []string{"", "bytes=100000-"}, ranges)
}

func TestResumeRangeIgnored(t *testing.T) {
	e := setup(t)
	content := e.repo.Files["model.safetensors"]
	blobs := filepath.Join(e.cache, "models--tiny--odd", "blobs")
	require.NoError(t, os.MkdirAll(blobs, 0o777))
	// Garbage in the partial file: a server that ignores Range must make us start over.
	require.NoError(t, os.WriteFile(filepath.Join(blobs, hubtest.SHA256(content)+".incomplete"), []byte("garbage"), 0o644))
	e.srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/repos/") {
			w.Header().Set("Content-Length", fmt.Sprint(len(content)))
			w.Write(content)
			return true
		}
		return false
	}
	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
}

func TestChecksumMismatch(t *testing.T) {
	for _, file := range []string{"model.safetensors", "config.json"} {
		t.Run(file, func(t *testing.T) {
			e := setup(t)
			content := e.repo.Files[file]
			bad := append([]byte(nil), content...)
			bad[len(bad)/2] ^= 0xff
			e.srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				lfsGet := strings.HasPrefix(r.URL.Path, "/repos/")
				gitGet := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+file) && !hubtest.IsLFS(file)
				if lfsGet && hubtest.IsLFS(file) || gitGet {
					w.Header().Set("Content-Length", fmt.Sprint(len(bad)))
					w.Write(bad)
					return true
				}
				return false
			}
			_, err := Resolve(context.Background(), "tiny/odd", e.opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrChecksumMismatch)
			var ce *ChecksumError
			require.ErrorAs(t, err, &ce)
			etag := e.repo.ETag(file)
			assert.Equal(t, etag, ce.Expected)
			actual := hubtest.GitSHA1(bad)
			algo := "git-sha1"
			if hubtest.IsLFS(file) {
				actual, algo = hubtest.SHA256(bad), "sha256"
			}
			assert.Equal(t, actual, ce.Actual)
			assert.Equal(t, algo, ce.Algorithm)
			for _, s := range []string{file, etag, actual} {
				assert.Contains(t, err.Error(), s)
			}
			root := filepath.Join(e.cache, "models--tiny--odd")
			assert.NoFileExists(t, filepath.Join(root, "blobs", etag))
			assert.NoFileExists(t, filepath.Join(root, "blobs", etag+".incomplete"), "partial deleted")
			assert.NoFileExists(t, filepath.Join(root, "snapshots", e.repo.Commit, file))

			// The next attempt, with a healthy server, succeeds.
			e.srv.Intercept = nil
			dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
			require.NoError(t, err)
			checkLayout(t, e.cache, e.repo, clipFiles, dir)
		})
	}
}

func TestSafetensorsMissingFallsBackToBin(t *testing.T) {
	e := setup(t)
	pt := e.repo.Without("tiny/odd-pt", "model.safetensors", "vocab.json", "merges.txt")
	e.srv.AddRepo(pt)
	s, err := ResolveSnapshot(context.Background(), "tiny/odd-pt", e.opts)
	require.NoError(t, err)
	files := []string{"config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "pytorch_model.bin"}
	checkLayout(t, e.cache, pt, files, s.Dir)
	assert.Equal(t, []string{"vocab.json", "merges.txt"}, s.Missing)
	assert.Contains(t, s.Files, "pytorch_model.bin")
	for _, f := range []string{"model.safetensors", "vocab.json", "merges.txt"} {
		assert.FileExists(t, filepath.Join(e.cache, "models--tiny--odd-pt", ".no_exist", pt.Commit, f))
	}
	// The .no_exist markers make the cache complete: no network the second time.
	e.srv.ResetRequests()
	s2, err := ResolveSnapshot(context.Background(), "tiny/odd-pt", e.opts)
	require.NoError(t, err)
	assert.Empty(t, e.srv.Requests())
	assert.Equal(t, s.Dir, s2.Dir)
	assert.Equal(t, s.Missing, s2.Missing)
}

func TestMissingRequiredFiles(t *testing.T) {
	e := setup(t)
	e.srv.AddRepo(e.repo.Without("tiny/noweights", "model.safetensors", "pytorch_model.bin"))
	e.srv.AddRepo(e.repo.Without("tiny/noconfig", "config.json"))

	_, err := Resolve(context.Background(), "tiny/noweights", e.opts)
	assert.ErrorIs(t, err, ErrEntryNotFound)
	assert.Contains(t, err.Error(), `"model.safetensors or pytorch_model.bin" not found in "tiny/noweights"`)

	_, err = Resolve(context.Background(), "tiny/noconfig", e.opts)
	assert.ErrorIs(t, err, ErrEntryNotFound)
	assert.Contains(t, err.Error(), `"config.json"`)
}

func TestLocalDirectory(t *testing.T) {
	cleanEnv(t)
	o := Options{HTTPClient: &http.Client{Transport: failTransport{t}}, CacheDir: t.TempDir()}
	dir, err := Resolve(context.Background(), fixtureDir, o)
	require.NoError(t, err)
	assert.Equal(t, fixtureDir, dir, "a local directory is returned as it is")
	s, err := ResolveSnapshot(context.Background(), fixtureDir, o)
	require.NoError(t, err)
	assert.True(t, s.Local)

	_, err = Resolve(context.Background(), filepath.Join(fixtureDir, "config.json"), o)
	assert.ErrorIs(t, err, ErrInvalidName)
	for _, bad := range []string{"./no/such/dir", "a/b/c", "/abs/missing", "org/name--x", "x.git", "-bad", ""} {
		_, err = Resolve(context.Background(), bad, o)
		assert.ErrorIs(t, err, ErrInvalidName, bad)
	}
}

func TestGatedRepoAndToken(t *testing.T) {
	e := setup(t)
	gated := e.repo.Without("gated/odd")
	gated.Gated = true
	e.srv.AddRepo(gated)

	_, err := Resolve(context.Background(), "gated/odd", e.opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrGatedRepo)
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 401, he.StatusCode)
	assert.Contains(t, err.Error(), "set HF_TOKEN")
	assert.Contains(t, err.Error(), e.srv.URL+"/gated/odd")

	// The token from the environment is sent to the Hub, not to the CDN.
	e.srv.ResetRequests()
	t.Setenv("HF_TOKEN", e.srv.Token)
	dir, err := Resolve(context.Background(), "gated/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, gated, clipFiles, dir)
	for _, r := range e.srv.Requests() {
		if r.Server == "hub" {
			assert.Equal(t, "Bearer "+e.srv.Token, r.Authorization, r.Path)
		} else {
			assert.Empty(t, r.Authorization, "no token to the CDN")
		}
	}

	// Options.Token wins over HF_TOKEN.
	e.srv.ResetRequests()
	o := e.opts
	o.Token = "hf_other"
	o.Refresh = true
	o.Files = []string{"config.json"}
	_, err = Resolve(context.Background(), "gated/odd", o)
	require.NoError(t, err, "cached file used when the Hub refuses, as in huggingface_hub")
	assert.Equal(t, "Bearer hf_other", e.srv.Requests()[0].Authorization)

	// A repo that does not exist (or is private), with and without a token.
	_, err = Resolve(context.Background(), "nobody/nothing", e.opts)
	assert.ErrorIs(t, err, ErrRepoNotFound)
	assert.Contains(t, err.Error(), "the token in HF_TOKEN has access")
	os.Unsetenv("HF_TOKEN")
	_, err = Resolve(context.Background(), "nobody/nothing", e.opts)
	assert.ErrorIs(t, err, ErrRepoNotFound)
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 401, he.StatusCode)
	assert.Contains(t, err.Error(), "set HF_TOKEN")
}

func TestContextCancel(t *testing.T) {
	e := setup(t)
	content := e.repo.Files["model.safetensors"]
	release := make(chan struct{})
	defer close(release)
	e.srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/repos/") {
			return false
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		w.Write(content[:65536])
		w.(http.Flusher).Flush()
		select { // stall until the client goes away
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.opts.Progress = ProgressFunc(func(f string, done, total int64) {
		if f == "model.safetensors" && done > 0 {
			cancel()
		}
	})
	start := time.Now()
	_, err := Resolve(ctx, "tiny/odd", e.opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second)
	blob := filepath.Join(e.cache, "models--tiny--odd", "blobs", hubtest.SHA256(content))
	st, err := os.Stat(blob + ".incomplete")
	require.NoError(t, err, "partial file kept for resuming")
	partial := st.Size()
	assert.True(t, partial > 0 && partial <= 65536, "partial size %d", partial)
	assert.NoFileExists(t, blob)

	// Cancelled before starting.
	_, err = Resolve(ctx, "tiny/odd", e.opts)
	assert.ErrorIs(t, err, context.Canceled)

	// Resumed afterwards.
	e.srv.Intercept = nil
	e.opts.Progress = nil
	e.srv.ResetRequests()
	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
	for _, r := range e.srv.Requests() {
		if r.Server == "cdn" {
			assert.Equal(t, fmt.Sprintf("bytes=%d-", partial), r.Range)
		}
	}
}

func TestStalledDownloadTimesOut(t *testing.T) {
	e := setup(t)
	content := e.repo.Files["model.safetensors"]
	stalls := 0
	e.srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/repos/") || stalls > 0 {
			return false
		}
		stalls++
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		w.Write(content[:1000])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return true
	}
	e.opts.DownloadTimeout = 200 * time.Millisecond
	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err, "a stalled transfer is retried from where it stopped")
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
	var ranges []string
	for _, r := range e.srv.Requests() {
		if r.Server == "cdn" {
			ranges = append(ranges, r.Range)
		}
	}
	assert.Equal(t, []string{"", "bytes=1000-"}, ranges)
}

func TestRenamedRepo(t *testing.T) {
	e := setup(t)
	e.srv.Rename("old-org/odd", "tiny/odd")
	dir, err := Resolve(context.Background(), "old-org/odd", e.opts)
	require.NoError(t, err)
	// Cached under the name asked for, as huggingface_hub does.
	assert.Contains(t, dir, "models--old-org--odd")
	for _, f := range clipFiles {
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, e.repo.Files[f], got)
	}
}

func TestRevisions(t *testing.T) {
	e := setup(t)
	o := e.opts
	o.Revision = "nope"
	_, err := Resolve(context.Background(), "tiny/odd", o)
	assert.ErrorIs(t, err, ErrRevisionNotFound)
	assert.Contains(t, err.Error(), `revision "nope"`)

	// A commit hash: no ref written, and cached snapshots need no network.
	o.Revision = e.repo.Commit
	dir, err := Resolve(context.Background(), "tiny/odd", o)
	require.NoError(t, err)
	assert.Equal(t, e.repo.Commit, filepath.Base(dir))
	assert.NoDirExists(t, filepath.Join(e.cache, "models--tiny--odd", "refs"))
	e.srv.ResetRequests()
	o.Refresh = true
	_, err = Resolve(context.Background(), "tiny/odd", o)
	require.NoError(t, err)
	assert.Empty(t, e.srv.Requests())

	// A tag (with a slash, escaped in the URL): refs/{tag} written.
	e.repo.Refs = map[string]string{"refs/pr/1": e.repo.Commit}
	o = e.opts
	o.Revision = "refs/pr/1"
	o.Files = []string{"config.json"}
	e.srv.ResetRequests()
	_, err = Resolve(context.Background(), "tiny/odd", o)
	require.NoError(t, err)
	assert.Equal(t, "/tiny/odd/resolve/refs%2Fpr%2F1/config.json", e.srv.Requests()[0].Path)
	ref, err := os.ReadFile(filepath.Join(e.cache, "models--tiny--odd", "refs", "refs", "pr", "1"))
	require.NoError(t, err)
	assert.Equal(t, e.repo.Commit, string(ref))
}

func TestRetriesServerErrors(t *testing.T) {
	e := setup(t)
	fails := 0
	e.srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if fails < 2 {
			fails++
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
	assert.Equal(t, 2, fails)

	// Persistent 5xx, nothing cached: a clear error naming the URL.
	e.srv.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	}
	o := e.opts
	o.CacheDir = t.TempDir()
	_, err = Resolve(context.Background(), "tiny/odd", o)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotCached)
	assert.Contains(t, err.Error(), e.srv.URL+"/tiny/odd/resolve/main/config.json")
	assert.Contains(t, err.Error(), "HTTP 502")
}

func TestNetworkDown(t *testing.T) {
	e := setup(t)
	_, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	url := e.srv.URL
	e.srv.Close()

	// Nothing cached in a fresh cache: an error naming the URL.
	o := e.opts
	o.CacheDir = t.TempDir()
	o.MaxRetries = -1
	_, err = Resolve(context.Background(), "tiny/odd", o)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotCached)
	var ne *NetworkError
	require.ErrorAs(t, err, &ne)
	assert.Contains(t, err.Error(), url+"/tiny/odd/resolve/main/config.json")
	assert.Contains(t, err.Error(), "HF_ENDPOINT")

	// Cached: Refresh falls back to the cache when the Hub is unreachable.
	o = e.opts
	o.Refresh = true
	o.MaxRetries = -1
	o.Files = append(DefaultFiles(), "README.md?")
	dir, err := Resolve(context.Background(), "tiny/odd", o)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
}

func TestPartialCacheCompletes(t *testing.T) {
	e := setup(t)
	o := e.opts
	o.Files = []string{"config.json"}
	_, err := Resolve(context.Background(), "tiny/odd", o)
	require.NoError(t, err)
	e.srv.ResetRequests()
	dir, err := Resolve(context.Background(), "tiny/odd", e.opts)
	require.NoError(t, err)
	checkLayout(t, e.cache, e.repo, clipFiles, dir)
	assert.Equal(t, len(clipFiles)-1, e.count("", "GET"), "config.json not downloaded again")
}

func TestConcurrentResolves(t *testing.T) {
	e := setup(t)
	var wg sync.WaitGroup
	dirs := make([]string, 4)
	errs := make([]error, 4)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = Resolve(context.Background(), "tiny/odd", e.opts)
		}()
	}
	wg.Wait()
	for i := range dirs {
		require.NoError(t, errs[i])
		assert.Equal(t, dirs[0], dirs[i])
	}
	checkLayout(t, e.cache, e.repo, clipFiles, dirs[0])
}

func TestEmptyAndNestedFiles(t *testing.T) {
	e := setup(t)
	r := e.repo.Without("tiny/extra")
	r.Files["empty.txt"] = nil
	r.Files["sub/dir/nested.json"] = []byte(`{"a": 1}`)
	e.srv.AddRepo(r)
	o := e.opts
	o.Files = []string{"empty.txt", "sub/dir/nested.json"}
	var calls []string
	o.Progress = ProgressFunc(func(f string, done, total int64) { calls = append(calls, fmt.Sprintf("%s %d/%d", f, done, total)) })
	dir, err := Resolve(context.Background(), "tiny/extra", o)
	require.NoError(t, err)
	blobs, _ := filepath.Glob(filepath.Join(e.cache, "models--tiny--extra", "blobs", "*"))
	assert.Len(t, blobs, 2)
	target, err := os.Readlink(filepath.Join(dir, "sub", "dir", "nested.json"))
	require.NoError(t, err)
	assert.Equal(t, "../../../../blobs/"+r.ETag("sub/dir/nested.json"), target)
	b, err := os.ReadFile(filepath.Join(dir, "empty.txt"))
	require.NoError(t, err)
	assert.Empty(t, b)
	assert.Equal(t, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", filepath.Base(mustReadlink(t, filepath.Join(dir, "empty.txt"))))
	assert.Contains(t, calls, "empty.txt 0/0")
	assert.Contains(t, calls, "sub/dir/nested.json 8/8")
}

func mustReadlink(t *testing.T, p string) string {
	t.Helper()
	s, err := os.Readlink(p)
	require.NoError(t, err)
	return s
}
