package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// The files of a model directory, beside the weights, that change what a model
// computes: its config, the image processor's, and the tokenizer's.
var modelConfigFiles = []string{"config.json", "preprocessor_config.json", "tokenizer.json",
	"tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json"}

// modelDigest names the model in dir whose weights are the file weights by content;
// reading weights to digest them is said on progress (a few seconds for ViT-L/14).
func modelDigest(dir, weights string, progress io.Writer) (modelID, error) {
	w, err := weightsDigest(weights, progress)
	if err != nil {
		return modelID{}, err
	}
	h := sha256.New()
	for _, f := range modelConfigFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return modelID{}, err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s %x\n", f, sum)
	}
	return modelID{Weights: "sha256:" + w, Files: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// hubBlob is the name of a file in the Hugging Face cache's blobs/ folder that is the
// SHA-256 of its content (Git LFS files: model weights).
var hubBlob = regexp.MustCompile(`^[0-9a-f]{64}$`)

// weightsDigest is the hex SHA-256 of the weights file. A Hub snapshot's file links to
// blobs/<sha256>: that name is the digest, as the Hub computed it. Otherwise the file
// is read once (about 2 s for ViT-L/14's 1.7 GB) and the digest kept in the user's
// cache, keyed by the file's identity (device, inode, size, modification and change
// times), so later runs over the same file do not read it again.
func weightsDigest(path string, progress io.Writer) (string, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Base(filepath.Dir(real)) == "blobs" && hubBlob.MatchString(filepath.Base(real)) {
		return filepath.Base(real), nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	key := fileIdentity(path, st)
	cache := digestCachePath(key)
	if cache != "" {
		if b, err := os.ReadFile(cache); err == nil {
			var c digestCacheEntry
			if json.Unmarshal(b, &c) == nil && c.Key == key && hubBlob.MatchString(c.SHA256) {
				return c.SHA256, nil
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if progress != nil && st.Size() > 100<<20 {
		fmt.Fprintf(progress, "zeroshot: reading %s (%.1f GB) once for the run's fingerprint (its SHA-256 is cached for later runs)\n", path, float64(st.Size())/1e9)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if cache != "" {
		// A cache that cannot be written only costs reading the file again next time.
		if b, err := json.Marshal(digestCacheEntry{Key: key, SHA256: sum}); err == nil && os.MkdirAll(filepath.Dir(cache), 0o755) == nil {
			_ = writeAtomic(cache, func(f *os.File) error { _, err := f.Write(b); return err })
		}
	}
	return sum, nil
}

type digestCacheEntry struct {
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
}

// fileIdentity changes whenever the file's content can have changed: a rewrite in place
// changes its change time (ctime), which no one can set back.
func fileIdentity(path string, st os.FileInfo) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return fmt.Sprintf("%s|%d|%d|%s", abs, st.Size(), st.ModTime().UnixNano(), statIdentity(st))
}

// digestCachePath is where the digest of the file with identity key is kept, or "" when
// the user has no cache directory.
func digestCachePath(key string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, "zeroshot-clip", "digests", hex.EncodeToString(sum[:16])+".json")
}
