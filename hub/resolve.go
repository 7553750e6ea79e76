package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/zeroshot-clip/zeroshot/internal/filelock"
)

// Options for Resolve. Zero fields take huggingface_hub's defaults, which come from the
// environment (see FromEnv): Revision "main", CacheDir DefaultCacheDir(), Endpoint
// EndpointFromEnv(), Token TokenFromEnv(). Offline is or-ed with OfflineFromEnv(): as in
// Python, HF_HUB_OFFLINE=1 cannot be overridden by the caller.
type Options struct {
	Revision string // branch, tag or commit hash
	CacheDir string // the hub cache ($HF_HUB_CACHE)
	Endpoint string // e.g. https://huggingface.co ($HF_ENDPOINT)
	Token    string // sent as "Authorization: Bearer" to the endpoint ($HF_TOKEN)
	Offline  bool   // use only the cache ($HF_HUB_OFFLINE)

	// Refresh asks the Hub for the current commit of a branch or tag even when all its files
	// are cached (huggingface_hub does so on every call), and downloads what that commit
	// lacks. Without it, a revision whose files are all cached needs no network access.
	Refresh bool

	// Files to fetch, relative to the repo root; nil means DefaultFiles(). A name ending in
	// "?" is optional (may be absent from the repo); "a|b" takes the first of a, b that
	// exists in the repo.
	Files []string

	Progress   Progress     // download progress, or nil
	HTTPClient *http.Client // nil: a default client

	EtagTimeout     time.Duration // per HEAD request; 0: $HF_HUB_ETAG_TIMEOUT or 10 s
	DownloadTimeout time.Duration // longest wait for data while downloading; 0: $HF_HUB_DOWNLOAD_TIMEOUT or 10 s
	MaxRetries      int           // for network errors and HTTP 5xx; 0: 5 (huggingface_hub's), < 0: none
}

// DefaultFiles is the file set of a CLIP model: configs, tokenizer and weights
// (model.safetensors, or pytorch_model.bin where the repo has no safetensors).
func DefaultFiles() []string {
	return []string{
		"config.json",
		"preprocessor_config.json",
		"tokenizer.json",
		"tokenizer_config.json",
		"special_tokens_map.json?",
		"vocab.json?",
		"merges.txt?",
		"model.safetensors|pytorch_model.bin",
	}
}

// Snapshot describes a resolved model.
type Snapshot struct {
	Dir      string            // directory holding the model files
	Local    bool              // Dir was given as a local directory; nothing else is set
	Repo     string            // Hub repo id
	Revision string            // as asked for
	Commit   string            // commit hash of the snapshot
	Files    map[string]string // file name -> path, for the files resolved
	Missing  []string          // optional files the repo does not have
}

// Resolve returns a directory containing the model: nameOrDir itself when it is an existing
// directory, else the snapshot directory of Hub repo nameOrDir in the cache, downloading
// what is missing. See ResolveSnapshot.
func Resolve(ctx context.Context, nameOrDir string, opts Options) (string, error) {
	s, err := ResolveSnapshot(ctx, nameOrDir, opts)
	if err != nil {
		return "", err
	}
	return s.Dir, nil
}

type fileSpec struct {
	alts     []string
	optional bool
}

func parseSpecs(files []string) ([]fileSpec, error) {
	specs := make([]fileSpec, 0, len(files))
	for _, f := range files {
		s := fileSpec{}
		f, s.optional = strings.CutSuffix(f, "?")
		for _, a := range strings.Split(f, "|") {
			a = strings.TrimSpace(a)
			if a == "" || path.IsAbs(a) || strings.Contains(a, "\\") || path.Clean(a) != a || a == ".." || strings.HasPrefix(a, "../") {
				return nil, fmt.Errorf("hub: bad file name %q in Options.Files", f)
			}
			s.alts = append(s.alts, a)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

func (o Options) withDefaults() Options {
	if o.Revision == "" {
		o.Revision = DefaultRevision
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.Endpoint == "" {
		o.Endpoint = EndpointFromEnv()
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	if o.Token == "" {
		o.Token = TokenFromEnv()
	}
	o.Offline = o.Offline || OfflineFromEnv()
	if o.EtagTimeout == 0 {
		o.EtagTimeout = envSeconds("HF_HUB_ETAG_TIMEOUT", 10)
	}
	if o.DownloadTimeout == 0 {
		o.DownloadTimeout = envSeconds("HF_HUB_DOWNLOAD_TIMEOUT", 10)
	}
	if o.Files == nil {
		o.Files = DefaultFiles()
	}
	return o
}

// ResolveSnapshot resolves nameOrDir like Resolve and describes the result.
//
// For a Hub id: when the revision's commit is known to the cache (refs/{revision}, or the
// revision is a commit hash) and every file is there (an optional or skipped alternative
// counting as there when .no_exist marks it missing), the snapshot is returned with no
// network access. Otherwise, unless offline, each file is looked up with a HEAD request and
// downloaded when missing, exactly into the huggingface_hub layout, all files pinned to the
// commit of the first answer. Offline (or when the Hub cannot be reached), the cache is used
// as transformers does: the first cached alternative, optional files may be absent.
func ResolveSnapshot(ctx context.Context, nameOrDir string, opts Options) (*Snapshot, error) {
	if st, err := os.Stat(nameOrDir); err == nil {
		if st.IsDir() {
			return &Snapshot{Dir: nameOrDir, Local: true}, nil
		}
		return nil, fmt.Errorf("hub: %q is a file: %w; give the directory that holds the model files, or a Hub id like %s", nameOrDir, ErrInvalidName, DefaultModel)
	}
	if err := ValidateRepoID(nameOrDir); err != nil {
		return nil, fmt.Errorf("hub: %q: %w (no such directory, and %v)", nameOrDir, ErrInvalidName, err)
	}
	o := opts.withDefaults()
	specs, err := parseSpecs(o.Files)
	if err != nil {
		return nil, err
	}
	r := &resolver{o: o, repo: nameOrDir, rc: newRepoCache(o.CacheDir, nameOrDir), specs: specs}
	return r.run(ctx)
}

type resolver struct {
	o     Options
	repo  string
	rc    repoCache
	specs []fileSpec
	c     *client
}

func (r *resolver) snapshot(commit string) *Snapshot {
	dir, _ := filepath.Abs(r.rc.snapshotDir(commit))
	return &Snapshot{Dir: dir, Repo: r.repo, Revision: r.o.Revision, Commit: commit, Files: map[string]string{}}
}

// fromCache resolves every spec from the cache at commit. strict: a file that is neither
// cached nor marked missing (for an earlier alternative or an optional file) makes the
// cache incomplete. It returns the snapshot, or the names that are lacking.
func (r *resolver) fromCache(commit string, strict bool) (*Snapshot, []string) {
	s := r.snapshot(commit)
	var lacking []string
	for _, sp := range r.specs {
		found, unknown := false, false
		for _, a := range sp.alts {
			if p, ok := r.rc.cached(commit, a); ok {
				s.Files[a] = p
				found = true
				break
			}
			if !r.rc.knownMissing(commit, a) {
				unknown = true
				if strict {
					break
				}
			}
		}
		switch {
		case found && !(strict && unknown):
		case !found && sp.optional && !(strict && unknown):
			s.Missing = append(s.Missing, strings.Join(sp.alts, "|"))
		default:
			lacking = append(lacking, strings.Join(sp.alts, " or "))
		}
	}
	return s, lacking
}

func (r *resolver) run(ctx context.Context) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	commit := r.rc.commitFor(r.o.Revision)
	if commit != "" && (r.o.Offline || !r.o.Refresh || commitHashRE.MatchString(r.o.Revision)) {
		if s, lacking := r.fromCache(commit, !r.o.Offline); len(lacking) == 0 {
			return s, nil
		}
	}
	if r.o.Offline {
		lacking := r.allNames()
		if commit != "" {
			_, lacking = r.fromCache(commit, false)
		}
		return nil, &NotCachedError{Repo: r.repo, Revision: r.o.Revision, Files: lacking, CacheDir: r.o.CacheDir, Offline: true}
	}
	return r.online(ctx)
}

func (r *resolver) allNames() []string {
	var n []string
	for _, sp := range r.specs {
		if !sp.optional {
			n = append(n, strings.Join(sp.alts, " or "))
		}
	}
	return n
}

// online is hf_hub_download for each file, with transformers' fallbacks.
func (r *resolver) online(ctx context.Context) (*Snapshot, error) {
	r.c = newClient(&r.o, r.repo)
	pinned := "" // commit of the first answer; later files are asked for at that commit
	files := map[string]string{}
	var missing []string
	for _, sp := range r.specs {
		name, path, err := r.fetchSpec(ctx, sp, &pinned)
		switch {
		case err == nil:
			files[name] = path
		case sp.optional && (errors.Is(err, ErrEntryNotFound) || isFallbackError(err)):
			missing = append(missing, strings.Join(sp.alts, "|"))
		case errors.Is(err, ErrEntryNotFound) || !isFallbackError(err) || isAuthError(err):
			return nil, err
		default:
			return nil, &NotCachedError{Repo: r.repo, Revision: r.o.Revision, Files: []string{strings.Join(sp.alts, " or ")}, CacheDir: r.o.CacheDir, Cause: err}
		}
	}
	if pinned == "" {
		return nil, badResponse("no commit for %s at revision %s", r.repo, r.o.Revision)
	}
	s := r.snapshot(pinned)
	s.Files, s.Missing = files, missing
	if err := os.MkdirAll(s.Dir, 0o777); err != nil {
		return nil, err
	}
	return s, nil
}

// fetchSpec fetches the first alternative of sp that the repo has, and returns its name and
// snapshot path. *pinned is set to the commit of the first answer.
func (r *resolver) fetchSpec(ctx context.Context, sp fileSpec, pinned *string) (name, path string, err error) {
	var notFound *HTTPError
	for i, a := range sp.alts {
		p, commit, err := r.fetch(ctx, a, *pinned)
		if *pinned == "" && commit != "" {
			*pinned = commit
		}
		if err == nil {
			return a, p, nil
		}
		var he *HTTPError
		if errors.As(err, &he) && he.Kind == ErrEntryNotFound {
			if notFound == nil {
				notFound = he
			}
			continue
		}
		if !isFallbackError(err) {
			return "", "", err
		}
		// The Hub cannot be asked: a later alternative that is cached will do, as in
		// transformers.
		c := *pinned
		if c == "" {
			c = r.rc.commitFor(r.o.Revision)
		}
		for _, b := range sp.alts[i+1:] {
			if p, ok := r.rc.cached(c, b); ok {
				if *pinned == "" {
					*pinned = c
				}
				return b, p, nil
			}
		}
		return "", "", err
	}
	e := *notFound
	e.File = strings.Join(sp.alts, " or ")
	return "", "", &e
}

// isFallbackError: errors after which huggingface_hub looks in the cache (head_call_error):
// everything but a missing revision or file, a context cancellation, or a local failure.
func isFallbackError(err error) bool {
	if errors.Is(err, ErrRevisionNotFound) || errors.Is(err, ErrEntryNotFound) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var de *downloadError
	if errors.As(err, &de) {
		return false
	}
	var he *HTTPError
	var ne *NetworkError
	return errors.As(err, &he) || errors.As(err, &ne) || errors.Is(err, ErrBadResponse)
}

// fetch is _hf_hub_download_to_cache_dir for one file. revision is the pinned commit, or ""
// for Options.Revision. It returns the snapshot path and the commit the Hub answered with
// (also for a missing file, whose absence is recorded in .no_exist).
func (r *resolver) fetch(ctx context.Context, file, pinned string) (path, commit string, err error) {
	rev := r.o.Revision
	if pinned != "" {
		rev = pinned
	}
	if commitHashRE.MatchString(rev) {
		if p, ok := r.rc.cached(rev, file); ok {
			return p, rev, nil
		}
	}
	fileURL := FileURL(r.o.Endpoint, r.repo, rev, file)
	m, err := r.c.head(ctx, fileURL, file)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.Kind == ErrEntryNotFound {
			// The 404 carries the commit: remember that the file does not exist there.
			if he.Commit != "" {
				r.rc.markNoExist(he.Commit, file)
				_ = r.rc.writeRef(r.o.Revision, he.Commit)
			}
			return "", he.Commit, err
		}
		if isFallbackError(err) {
			// As in Python: fall back to the cached file of this revision, if any.
			c := pinned
			if c == "" {
				c = r.rc.commitFor(r.o.Revision)
			}
			if p, ok := r.rc.cached(c, file); ok {
				return p, c, nil
			}
		}
		return "", "", err
	}
	pointer, err := r.rc.pointerPath(m.commit, file)
	if err != nil {
		return "", "", err
	}
	blob := r.rc.blobPath(m.etag)
	if err := os.MkdirAll(filepath.Dir(blob), 0o777); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(filepath.Dir(pointer), 0o777); err != nil {
		return "", "", err
	}
	if err := r.rc.writeRef(r.o.Revision, m.commit); err != nil {
		return "", "", err
	}
	if _, err := os.Stat(pointer); err == nil {
		return pointer, m.commit, nil
	}
	unlock, err := filelock.Lock(ctx, r.rc.lockPath(m.etag))
	if err != nil {
		return "", m.commit, err
	}
	defer unlock()
	newBlob := !isFile(blob)
	if newBlob {
		if err := r.c.fetchBlob(ctx, r.rc, fileURL, file, m, r.o.Progress); err != nil {
			return "", m.commit, &downloadError{repo: r.repo, file: file, err: err}
		}
	}
	if _, err := os.Stat(pointer); err != nil {
		if err := linkPointer(blob, pointer, newBlob); err != nil {
			return "", m.commit, err
		}
	}
	return pointer, m.commit, nil
}

// downloadError marks a failure while transferring a file's content: unlike a failed HEAD,
// it is reported as it is rather than answered from the cache.
type downloadError struct {
	repo, file string
	err        error
}

func (e *downloadError) Error() string {
	if errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded) {
		return fmt.Sprintf("hub: download of %s/%s interrupted: %v (the partial file is kept and resumed next time)", e.repo, e.file, e.err)
	}
	return e.err.Error()
}
func (e *downloadError) Unwrap() error { return e.err }
