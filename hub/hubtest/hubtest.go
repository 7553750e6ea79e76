// Package hubtest is a fake Hugging Face Hub for tests: it serves repositories the way the
// Hub's resolve endpoint does (X-Repo-Commit, git-sha1 ETags for regular files, a 302 to a
// separate CDN server with X-Linked-Etag / X-Linked-Size for LFS files, Range requests,
// X-Error-Code on errors, 401 for gated repos without a token, relative redirects for
// renamed repos), plus the repo-info API that huggingface_hub's snapshot_download calls.
package hubtest

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Repo is one model repository at one commit.
type Repo struct {
	ID     string            // "org/name"
	Commit string            // 40 hex digits; NewServer fills it from ID and Files if empty
	Files  map[string][]byte // path in the repo -> content
	Refs   map[string]string // other branches or tags -> commit (must be Commit to serve files)
	Gated  bool              // requests need "Authorization: Bearer <Server.Token>"
}

// LoadRepo reads every regular file under dir (recursively, skipping the named top-level
// entries; a name ending in "*" skips every entry it prefixes) into a Repo.
func LoadRepo(id, dir string, skip ...string) (*Repo, error) {
	r := &Repo{ID: id, Files: map[string][]byte{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		for _, s := range skip {
			if rel == s || (strings.HasSuffix(s, "*") && strings.HasPrefix(rel, strings.TrimSuffix(s, "*"))) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r.Files[rel] = b
		return nil
	})
	return r, err
}

// Without returns a copy of r with another id and without the named files.
func (r *Repo) Without(id string, names ...string) *Repo {
	c := &Repo{ID: id, Files: map[string][]byte{}, Gated: r.Gated}
	for k, v := range r.Files {
		c.Files[k] = v
	}
	for _, n := range names {
		delete(c.Files, n)
	}
	return c
}

// lfsSuffixes: the extensions of the Hub's default .gitattributes that a model repo uses.
var lfsSuffixes = []string{".bin", ".safetensors", ".h5", ".msgpack", ".onnx", ".ot", ".pt", ".pth", ".ckpt", ".pkl", ".model", ".tflite", ".npy", ".npz", ".zip"}

// IsLFS reports whether the Hub would store name with LFS.
func IsLFS(name string) bool {
	for _, s := range lfsSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// SHA256 is the hex sha256 of b (the ETag of an LFS file).
func SHA256(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// GitSHA1 is the git blob id of b (the ETag of a regular file).
func GitSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// ETag is the (normalized) ETag the Hub sends for a file of r.
func (r *Repo) ETag(name string) string {
	if IsLFS(name) {
		return SHA256(r.Files[name])
	}
	return GitSHA1(r.Files[name])
}

// Request is one request a Server received.
type Request struct {
	Server        string // "hub" or "cdn"
	Method        string
	Path          string // escaped path
	Range         string
	Authorization string
}

// Server is the fake Hub (URL) and its CDN.
type Server struct {
	Hub, CDN *httptest.Server
	URL      string // Hub.URL: use as HF_ENDPOINT / Options.Endpoint
	Token    string // the token gated repos accept

	// Intercept, when set, sees every request first (hub and CDN); returning true means it
	// has answered it. For fault injection.
	Intercept func(w http.ResponseWriter, r *http.Request) bool

	mu      sync.Mutex
	repos   map[string]*Repo
	renamed map[string]string
	blobs   map[string][]byte // sha256 -> content, for the CDN
	log     []Request
}

// NewServer starts a fake Hub serving repos.
func NewServer(repos ...*Repo) *Server {
	s := &Server{repos: map[string]*Repo{}, renamed: map[string]string{}, blobs: map[string][]byte{}, Token: "hf_test_token"}
	s.Hub = httptest.NewServer(http.HandlerFunc(s.serveHub))
	s.CDN = httptest.NewServer(http.HandlerFunc(s.serveCDN))
	s.URL = s.Hub.URL
	for _, r := range repos {
		s.AddRepo(r)
	}
	return s
}

// Close stops both servers.
func (s *Server) Close() {
	s.Hub.Close()
	s.CDN.Close()
}

// AddRepo serves r (replacing a repo with the same id), computing r.Commit when empty.
func (s *Server) AddRepo(r *Repo) {
	if r.Commit == "" {
		h := sha1.New()
		fmt.Fprintf(h, "%s\n", r.ID)
		names := make([]string, 0, len(r.Files))
		for n := range r.Files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(h, "%s %s\n", n, GitSHA1(r.Files[n]))
		}
		r.Commit = hex.EncodeToString(h.Sum(nil))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[r.ID] = r
	for n, b := range r.Files {
		if IsLFS(n) {
			s.blobs[SHA256(b)] = b
		}
	}
}

// Rename makes oldID answer with a relative redirect to newID, as the Hub does for a
// renamed repository.
func (s *Server) Rename(oldID, newID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renamed[oldID] = newID
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

func (s *Server) record(server string, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Server: server, Method: r.Method, Path: r.URL.EscapedPath(), Range: r.Header.Get("Range"), Authorization: r.Header.Get("Authorization")})
}

func hubError(w http.ResponseWriter, status int, code, msg, commit string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	if msg != "" {
		w.Header().Set("X-Error-Message", msg)
	}
	if commit != "" {
		w.Header().Set("X-Repo-Commit", commit)
	}
	w.Header().Set("X-Request-Id", "Root=1-fake")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if msg != "" {
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
}

var modTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (s *Server) serveHub(w http.ResponseWriter, r *http.Request) {
	s.record("hub", r)
	if s.Intercept != nil && s.Intercept(w, r) {
		return
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(segs) >= 4 && segs[0] == "api" && segs[1] == "models" {
		s.serveAPI(w, r, segs[2:])
		return
	}
	at := -1
	for i := 1; i <= 2 && i < len(segs); i++ {
		if segs[i] == "resolve" {
			at = i
			break
		}
	}
	if at < 0 || len(segs) < at+3 {
		hubError(w, http.StatusNotFound, "", "Not Found", "")
		return
	}
	id := strings.Join(segs[:at], "/")
	rev, err := url.PathUnescape(segs[at+1])
	if err != nil {
		hubError(w, http.StatusBadRequest, "", "bad revision", "")
		return
	}
	file, err := url.PathUnescape(strings.Join(segs[at+2:], "/"))
	if err != nil {
		hubError(w, http.StatusBadRequest, "", "bad path", "")
		return
	}
	s.mu.Lock()
	repo := s.repos[id]
	newID, renamed := s.renamed[id]
	s.mu.Unlock()
	authed := r.Header.Get("Authorization") == "Bearer "+s.Token
	if renamed {
		w.Header().Set("Location", "/"+newID+"/"+strings.Join(segs[at:], "/"))
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	if repo == nil {
		if r.Header.Get("Authorization") == "" {
			hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found", "")
		} else {
			hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found", "")
		}
		return
	}
	if repo.Gated && !authed {
		hubError(w, http.StatusUnauthorized, "GatedRepo", fmt.Sprintf("Access to model %s is restricted. You must have access to it and be authenticated to access it. Please log in.", id), "")
		return
	}
	commit := ""
	switch {
	case rev == repo.Commit || rev == "main":
		commit = repo.Commit
	case repo.Refs[rev] != "":
		commit = repo.Refs[rev]
	}
	if commit != repo.Commit {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev, "")
		return
	}
	content, ok := repo.Files[file]
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found", commit)
		return
	}
	h := w.Header()
	h.Set("X-Repo-Commit", commit)
	h.Set("Accept-Ranges", "bytes")
	if IsLFS(file) {
		sum := SHA256(content)
		pointer := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", sum, len(content))
		h.Set("ETag", `"`+GitSHA1([]byte(pointer))+`"`)
		h.Set("X-Linked-Etag", `"`+sum+`"`)
		h.Set("X-Linked-Size", fmt.Sprint(len(content)))
		h.Set("Location", fmt.Sprintf("%s/repos/%s/%s?response-content-disposition=inline%%3B+filename%%3D%%22%s%%22&Expires=9999999999&Signature=fake",
			s.CDN.URL, sum[:2], sum, url.QueryEscape(path.Base(file))))
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusFound)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, "Found. Redirecting to %s", h.Get("Location"))
		}
		return
	}
	h.Set("ETag", `"`+GitSHA1(content)+`"`)
	http.ServeContent(w, r, path.Base(file), modTime, bytes.NewReader(content))
}

func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	s.record("cdn", r)
	if s.Intercept != nil && s.Intercept(w, r) {
		return
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s.mu.Lock()
	content, ok := s.blobs[segs[len(segs)-1]]
	s.mu.Unlock()
	if len(segs) != 3 || segs[0] != "repos" || !ok {
		http.Error(w, "<Error><Code>AccessDenied</Code></Error>", http.StatusForbidden)
		return
	}
	w.Header().Set("ETag", `"`+SHA256(content)+`"`)
	name := r.URL.Query().Get("response-content-disposition")
	if name != "" {
		w.Header().Set("Content-Disposition", name)
	}
	http.ServeContent(w, r, "blob", modTime, bytes.NewReader(content))
}

// serveAPI answers the JSON API calls huggingface_hub and transformers make:
// GET /api/models/{repo}[/revision/{rev}] (repo_info, used by snapshot_download) and
// GET /api/models/{repo}/tree/{rev}[/{path}] (list_repo_tree, used by transformers to
// look for chat templates).
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	kind, rev, dir := "info", "main", ""
	for i := 1; i <= 2 && i < len(segs); i++ {
		if segs[i] == "revision" || segs[i] == "tree" {
			kind = segs[i]
			if i+1 < len(segs) {
				rev, _ = url.PathUnescape(segs[i+1])
			}
			if i+2 < len(segs) {
				dir, _ = url.PathUnescape(strings.Join(segs[i+2:], "/"))
			}
			segs = segs[:i]
			break
		}
	}
	id := strings.Join(segs, "/")
	s.mu.Lock()
	repo := s.repos[id]
	s.mu.Unlock()
	if repo == nil {
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found", "")
		return
	}
	if repo.Gated && r.Header.Get("Authorization") != "Bearer "+s.Token {
		hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to model "+id+" is restricted.", "")
		return
	}
	if rev != "main" && rev != repo.Commit && repo.Refs[rev] != repo.Commit {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev, "")
		return
	}
	names := make([]string, 0, len(repo.Files))
	for n := range repo.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "application/json")
	if kind == "tree" {
		prefix := strings.Trim(dir, "/")
		if prefix != "" {
			prefix += "/"
		}
		entries := []map[string]any{}
		seen := map[string]bool{}
		for _, n := range names {
			rest, ok := strings.CutPrefix(n, prefix)
			if !ok {
				continue
			}
			if sub, _, isDir := strings.Cut(rest, "/"); isDir {
				if !seen[sub] {
					seen[sub] = true
					entries = append(entries, map[string]any{"type": "directory", "path": prefix + sub, "oid": GitSHA1([]byte(prefix + sub)), "size": 0})
				}
				continue
			}
			e := map[string]any{"type": "file", "path": n, "size": len(repo.Files[n]), "oid": GitSHA1(repo.Files[n])}
			if IsLFS(n) {
				e["lfs"] = map[string]any{"oid": SHA256(repo.Files[n]), "size": len(repo.Files[n]), "pointerSize": 134}
			}
			entries = append(entries, e)
		}
		if prefix != "" && len(entries) == 0 {
			hubError(w, http.StatusNotFound, "EntryNotFound", fmt.Sprintf("%s does not exist on %q", dir, rev), repo.Commit)
			return
		}
		json.NewEncoder(w).Encode(entries)
		return
	}
	siblings := make([]map[string]string, len(names))
	for i, n := range names {
		siblings[i] = map[string]string{"rfilename": n}
	}
	json.NewEncoder(w).Encode(map[string]any{
		"_id": "fake" + repo.Commit[:8], "id": repo.ID, "modelId": repo.ID, "sha": repo.Commit,
		"private": false, "gated": repo.Gated, "disabled": false, "downloads": 0, "likes": 0,
		"tags": []string{"transformers"}, "library_name": "transformers",
		"lastModified": modTime.Format(time.RFC3339), "createdAt": modTime.Format(time.RFC3339),
		"siblings": siblings,
	})
}
