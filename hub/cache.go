package hub

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The huggingface_hub cache layout (file_download.py), for repo type "model":
//
//	{cache}/models--{org}--{name}/refs/{revision}          commit hash, no newline
//	{cache}/models--{org}--{name}/blobs/{etag}             file content
//	{cache}/models--{org}--{name}/blobs/{etag}.incomplete  while downloading
//	{cache}/models--{org}--{name}/snapshots/{commit}/{path} -> ../../blobs/{etag}
//	{cache}/models--{org}--{name}/.no_exist/{commit}/{path} empty: known to be missing
//	{cache}/.locks/models--{org}--{name}/{etag}.lock        flock'ed while writing a blob

var (
	commitHashRE = regexp.MustCompile(`^[0-9a-f]{40}$`) // REGEX_COMMIT_HASH
	sha256RE     = regexp.MustCompile(`^[0-9a-f]{64}$`) // REGEX_SHA256
	// REPO_ID_REGEX of huggingface_hub.utils._validators (Go's \w and \b are ASCII-only).
	repoIDRE = regexp.MustCompile(`^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$`)
)

// ValidateRepoID applies huggingface_hub's validate_repo_id rules.
func ValidateRepoID(id string) error {
	switch {
	case strings.Count(id, "/") > 1:
		return fmt.Errorf("repo id must be 'name' or 'namespace/name': %q", id)
	case !repoIDRE.MatchString(id):
		return fmt.Errorf("repo id must use alphanumeric chars, '-', '_' or '.', cannot start or end with '-' or '.', and is at most 96 chars: %q", id)
	case strings.Contains(id, "--") || strings.Contains(id, ".."):
		return fmt.Errorf("repo id cannot contain -- or ..: %q", id)
	case strings.HasSuffix(id, ".git"):
		return fmt.Errorf("repo id cannot end with .git: %q", id)
	}
	return nil
}

// RepoFolderName is repo_folder_name(repo_id, "model"): "models--org--name".
func RepoFolderName(repoID string) string {
	return strings.Join(append([]string{"models"}, strings.Split(repoID, "/")...), "--")
}

// repoCache locates one repository inside a cache directory.
type repoCache struct {
	cacheDir string
	repo     string
	root     string // {cache}/models--org--name
}

func newRepoCache(cacheDir, repo string) repoCache {
	return repoCache{cacheDir: cacheDir, repo: repo, root: filepath.Join(cacheDir, RepoFolderName(repo))}
}

func (c repoCache) refPath(revision string) string {
	return filepath.Join(c.root, "refs", filepath.FromSlash(revision))
}
func (c repoCache) blobPath(etag string) string { return filepath.Join(c.root, "blobs", etag) }
func (c repoCache) snapshotDir(commit string) string {
	return filepath.Join(c.root, "snapshots", commit)
}
func (c repoCache) noExistPath(commit, file string) string {
	return filepath.Join(c.root, ".no_exist", commit, filepath.FromSlash(file))
}
func (c repoCache) lockPath(etag string) string {
	return filepath.Join(c.cacheDir, ".locks", RepoFolderName(c.repo), etag+".lock")
}

// pointerPath is _get_pointer_path: snapshots/{commit}/{file}, refusing paths that escape
// the snapshot directory.
func (c repoCache) pointerPath(commit, file string) (string, error) {
	snap := filepath.Join(c.root, "snapshots")
	p := filepath.Join(snap, commit, filepath.FromSlash(file))
	rel, err := filepath.Rel(snap, p)
	if err != nil || rel == "." || rel == commit || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == ".." {
		return "", fmt.Errorf("hub: invalid file name %q (revision %q): it would leave the snapshot folder", file, commit)
	}
	return p, nil
}

// commitFor is the commit a revision resolves to in the cache: the revision itself when it
// is a full commit hash, else the content of refs/{revision}; "" when unknown.
func (c repoCache) commitFor(revision string) string {
	if commitHashRE.MatchString(revision) {
		return revision
	}
	b, err := os.ReadFile(c.refPath(revision))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeRef is _cache_commit_hash_for_specific_revision: store refs/{revision} when the
// revision is not the commit itself and the stored value differs.
func (c repoCache) writeRef(revision, commit string) error {
	if revision == commit {
		return nil
	}
	p := c.refPath(revision)
	if b, err := os.ReadFile(p); err == nil && string(b) == commit {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(commit), 0o666)
}

// markNoExist touches .no_exist/{commit}/{file} (errors are ignored, as in Python).
func (c repoCache) markNoExist(commit, file string) {
	p := c.noExistPath(commit, file)
	if os.MkdirAll(filepath.Dir(p), 0o777) != nil {
		return
	}
	if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666); err == nil {
		f.Close()
	}
}

func (c repoCache) knownMissing(commit, file string) bool {
	return isFile(c.noExistPath(commit, file))
}

// cached returns the snapshot path of file at commit when it exists (following the link).
func (c repoCache) cached(commit, file string) (string, bool) {
	if commit == "" {
		return "", false
	}
	p, err := c.pointerPath(commit, file)
	if err != nil {
		return "", false
	}
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// linkPointer is _create_symlink: replace dst by a relative symlink to src; where symlinks
// are not supported, move (a new blob) or copy the blob instead.
func linkPointer(src, dst string, newBlob bool) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
		return err
	}
	_ = os.Remove(dst)
	absSrc, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	absDst, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	target := absSrc
	if rel, err := filepath.Rel(filepath.Dir(absDst), absSrc); err == nil {
		target = rel
	}
	err = os.Symlink(target, absDst)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		// Written concurrently between Remove and Symlink: fine if it points to the blob.
		if a, e1 := filepath.EvalSymlinks(absDst); e1 == nil {
			if b, e2 := filepath.EvalSymlinks(absSrc); e2 == nil && a == b {
				return nil
			}
		}
		return err
	}
	// No symlinks here (some filesystems): fall back to a real file.
	if newBlob {
		if os.Rename(absSrc, absDst) == nil {
			return nil
		}
	}
	return copyFile(absSrc, absDst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
