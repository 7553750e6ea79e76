package hub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the environment (cache directory, endpoint, token and offline rules) and of
// the small helpers, without a server.

func TestOfflineFromEnvValues(t *testing.T) {
	cleanEnv(t)
	cases := []struct {
		hub, tr string
		want    bool
	}{
		{"", "", false}, {"1", "", true}, {"on", "", true}, {"YES", "", true}, {"true", "", true},
		{"0", "", false}, {"false", "", false}, {" 1", "", false}, {"2", "", false},
		{"", "1", true}, {"0", "1", false}, // `HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE`
	}
	for _, c := range cases {
		t.Setenv("HF_HUB_OFFLINE", c.hub)
		t.Setenv("TRANSFORMERS_OFFLINE", c.tr)
		assert.Equal(t, c.want, OfflineFromEnv(), "%q %q", c.hub, c.tr)
	}
}

func TestCacheDirPrecedence(t *testing.T) {
	cleanEnv(t)
	home := os.Getenv("HOME")
	assert.Equal(t, filepath.Join(home, ".cache", "huggingface", "hub"), DefaultCacheDir())
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	assert.Equal(t, "/xdg/huggingface/hub", DefaultCacheDir())
	t.Setenv("HF_HOME", "~/hfhome")
	assert.Equal(t, home+"/hfhome/hub", DefaultCacheDir())
	assert.Equal(t, home+"/hfhome", HFHome())
	t.Setenv("HUGGINGFACE_HUB_CACHE", "/legacy")
	assert.Equal(t, "/legacy", DefaultCacheDir())
	t.Setenv("MYROOT", "/root-from-var")
	t.Setenv("HF_HUB_CACHE", "$MYROOT/hub/${MYROOT}/$UNSET_VAR_X")
	assert.Equal(t, "/root-from-var/hub//root-from-var/$UNSET_VAR_X", DefaultCacheDir())
	t.Setenv("HF_HUB_CACHE", "")
	assert.Equal(t, "", DefaultCacheDir(), "set-but-empty counts as set, as os.getenv does")

	assert.Equal(t, "https://huggingface.co", EndpointFromEnv())
	t.Setenv("HF_ENDPOINT", "http://mirror.example//")
	assert.Equal(t, "http://mirror.example", EndpointFromEnv())
}

func TestEnvDrivesResolve(t *testing.T) {
	e := setup(t)
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_ENDPOINT", e.srv.URL+"/")
	dir, err := Resolve(context.Background(), "tiny/odd", Options{})
	require.NoError(t, err)
	checkLayout(t, filepath.Join(home, "hub"), e.repo, clipFiles, dir)

	// HF_HUB_CACHE beats HF_HOME.
	other := t.TempDir()
	t.Setenv("HF_HUB_CACHE", other)
	dir, err = Resolve(context.Background(), "tiny/odd", Options{})
	require.NoError(t, err)
	checkLayout(t, other, e.repo, clipFiles, dir)

	// Options beat the environment.
	third := t.TempDir()
	dir, err = Resolve(context.Background(), "tiny/odd", Options{CacheDir: third, Endpoint: e.srv.URL})
	require.NoError(t, err)
	checkLayout(t, third, e.repo, clipFiles, dir)

	o := FromEnv()
	assert.Equal(t, other, o.CacheDir)
	assert.Equal(t, e.srv.URL, o.Endpoint)
	assert.Equal(t, "main", o.Revision)
	assert.Equal(t, 10*time.Second, o.EtagTimeout)
}

func TestTokenFromEnv(t *testing.T) {
	cleanEnv(t)
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	assert.Equal(t, "", TokenFromEnv())
	require.NoError(t, os.WriteFile(filepath.Join(home, "token"), []byte("  hf_file\r\n"), 0o600))
	assert.Equal(t, "hf_file", TokenFromEnv())
	p := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(p, []byte("hf_path"), 0o600))
	t.Setenv("HF_TOKEN_PATH", p)
	assert.Equal(t, "hf_path", TokenFromEnv())
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "hf_legacy")
	assert.Equal(t, "hf_legacy", TokenFromEnv())
	t.Setenv("HF_TOKEN", " hf_env\n")
	assert.Equal(t, "hf_env", TokenFromEnv())
	t.Setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
	assert.Equal(t, "", TokenFromEnv())
}

func TestHelpers(t *testing.T) {
	assert.Equal(t, "abc", normalizeETag(`"abc"`))
	assert.Equal(t, "abc", normalizeETag(`W/"abc"`))
	assert.Equal(t, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", GitBlobSHA1(nil), "git hash-object of an empty file")
	assert.Equal(t, "https://hf.co/org/m/resolve/refs%2Fpr%2F1/sub%20dir/a%2Bb%3F.json",
		FileURL("https://hf.co/", "org/m", "refs/pr/1", "sub dir/a+b?.json"))
	assert.Equal(t, "models--openai--clip-vit-large-patch14", RepoFolderName("openai/clip-vit-large-patch14"))
	for _, ok := range []string{"openai/clip-vit-large-patch14", "gpt2", "a.b/c_d-e"} {
		assert.NoError(t, ValidateRepoID(ok), ok)
	}
	for _, bad := range []string{"a/b/c", "a--b", "a..b", "x.git", ".a", "a-", "a b", "", strings.Repeat("a", 97)} {
		assert.Error(t, ValidateRepoID(bad), bad)
	}
	specs, err := parseSpecs([]string{"a?", "b|c", "d"})
	require.NoError(t, err)
	assert.Equal(t, []fileSpec{{alts: []string{"a"}, optional: true}, {alts: []string{"b", "c"}}, {alts: []string{"d"}}}, specs)
	for _, bad := range []string{"a||b", "/etc/passwd", "../x", "a/../../x", "a\\b", "./a", "?"} {
		_, err = parseSpecs([]string{bad})
		assert.Error(t, err, bad)
	}
}

func TestTextProgress(t *testing.T) {
	var b strings.Builder
	p := NewTextProgress(&b).(*textProgress)
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	p.Progress("model.safetensors", 0, 2_000_000)
	now = now.Add(time.Second)
	p.Progress("model.safetensors", 1_000_000, 2_000_000)
	now = now.Add(10 * time.Millisecond)
	p.Progress("model.safetensors", 1_500_000, 2_000_000) // throttled
	now = now.Add(time.Second)
	p.Progress("model.safetensors", 2_000_000, 2_000_000)
	lines := strings.Split(b.String(), "\r")
	require.Len(t, lines, 4)
	assert.Contains(t, lines[2], " 50% [==========>         ] 1.0 MB / 2.0 MB  1.0 MB/s")
	assert.Contains(t, lines[3], "100% [====================] 2.0 MB / 2.0 MB")
	assert.True(t, strings.HasSuffix(b.String(), "\n"))
}
