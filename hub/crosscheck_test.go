package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/hub/hubtest"
)

// TestPythonCrosscheck compares this package with Python's huggingface_hub (and
// transformers) on the same fake Hub. It needs the oracle interpreter:
//
//	ZEROSHOT_HUB_CROSSCHECK_PY=/path/to/oracle/bin/python go test ./hub/ -run Crosscheck -v
func TestPythonCrosscheck(t *testing.T) {
	py := os.Getenv("ZEROSHOT_HUB_CROSSCHECK_PY")
	if py == "" {
		t.Skip("set ZEROSHOT_HUB_CROSSCHECK_PY to the oracle python to cross-check with huggingface_hub")
	}
	script, err := filepath.Abs("../scripts/hub_crosscheck.py")
	require.NoError(t, err)
	e := setup(t)
	pt := e.repo.Without("tiny/odd-pt", "model.safetensors", "vocab.json", "merges.txt")
	e.srv.AddRepo(pt)
	repos := []*hubtest.Repo{e.repo, pt}
	files := DefaultFiles()
	spec := filepath.Join(t.TempDir(), "spec.json")
	var sp struct {
		Repos []map[string]any `json:"repos"`
	}
	for _, r := range repos {
		sp.Repos = append(sp.Repos, map[string]any{"id": r.ID, "files": files})
	}
	b, _ := json.Marshal(sp)
	require.NoError(t, os.WriteFile(spec, b, 0o644))

	run := func(t *testing.T, env map[string]string, args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(py, append([]string{script}, args...)...)
		cmd.Env = pyEnv(env)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "python %v: %s", args, stderr.String())
		var res map[string]any
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &res), stdout.String())
		return res
	}

	t.Run("constants", func(t *testing.T) {
		home := t.TempDir()
		tok := filepath.Join(t.TempDir(), "tok")
		require.NoError(t, os.WriteFile(tok, []byte(" hf_from_file\n"), 0o600))
		require.NoError(t, os.MkdirAll(filepath.Join(home, "hfh"), 0o777))
		require.NoError(t, os.WriteFile(filepath.Join(home, "hfh", "token"), []byte("hf_home_file"), 0o600))
		cases := []map[string]string{
			{},
			{"XDG_CACHE_HOME": "/xdg"},
			{"XDG_CACHE_HOME": "/xdg", "HF_HOME": "~/hfh"},
			{"HF_HOME": "$HOME/hfh", "HUGGINGFACE_HUB_CACHE": "/legacy"},
			{"HF_HOME": "/h", "HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "~/new/${HOME}/$NOPE_UNSET"},
			{"HF_HUB_CACHE": "", "HF_HOME": ""},
			{"HF_ENDPOINT": "http://mirror.local:8080///"},
			{"HF_HUB_OFFLINE": "yes"}, {"HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "1"},
			{"HF_HUB_OFFLINE": "", "TRANSFORMERS_OFFLINE": "on"}, {"HF_HUB_OFFLINE": "2"},
			{"HF_TOKEN": " hf_env\r\n", "HUGGING_FACE_HUB_TOKEN": "hf_legacy"},
			{"HUGGING_FACE_HUB_TOKEN": "hf_legacy"},
			{"HF_TOKEN_PATH": tok},
			{"HF_HOME": "~/hfh"},
			{"HF_HOME": "~/hfh", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"},
			{"HF_HUB_ETAG_TIMEOUT": "3", "HF_HUB_DOWNLOAD_TIMEOUT": "0"},
		}
		for _, c := range cases {
			env := map[string]string{"HOME": home}
			for k, v := range c {
				env[k] = v
			}
			want := run(t, env, "constants")
			withEnv(t, env, func() {
				o := FromEnv()
				got := map[string]any{
					"HF_HOME": HFHome(), "HF_HUB_CACHE": DefaultCacheDir(), "ENDPOINT": EndpointFromEnv(),
					"HF_HUB_OFFLINE": OfflineFromEnv(), "HF_TOKEN_PATH": TokenPath(),
					"token": tokenFromEnvOrFile(), "token_to_send": TokenFromEnv(),
					"HF_HUB_ETAG_TIMEOUT": o.EtagTimeout.Seconds(), "HF_HUB_DOWNLOAD_TIMEOUT": o.DownloadTimeout.Seconds(),
				}
				assert.Equal(t, want, got, "env %v", c)
			})
		}
	})

	t.Run("url", func(t *testing.T) {
		for _, c := range [][4]string{
			{"openai/clip-vit-large-patch14", "main", "model.safetensors", "https://huggingface.co"},
			{"gpt2", "refs/pr/1", "sub dir/a+b?#%.json", "http://localhost:1234"},
			{"a/b", "v1.0 ünï", "ünï/x~y;z=1&.txt", "https://hf-mirror.com"},
		} {
			want := run(t, nil, "url", c[0], c[1], c[2], c[3])["url"]
			assert.Equal(t, want, FileURL(c[3], c[0], c[1], c[2]))
		}
	})

	goCache := e.cache
	t.Run("python reads the Go cache", func(t *testing.T) {
		for _, r := range repos {
			_, err := Resolve(context.Background(), r.ID, e.opts)
			require.NoError(t, err)
		}
		got := run(t, map[string]string{"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": goCache, "HF_ENDPOINT": e.srv.URL}, "read-cache", spec)
		for _, r := range repos {
			s, err := ResolveSnapshot(context.Background(), r.ID, Options{CacheDir: goCache, Offline: true})
			require.NoError(t, err)
			pr := got[r.ID].(map[string]any)
			assert.Equal(t, s.Dir, pr["snapshot"], "snapshot_download(local_files_only) finds Go's snapshot")
			pf := pr["files"].(map[string]any)
			assert.ElementsMatch(t, keys(s.Files), keys(pf))
			for name, path := range s.Files {
				f := pf[name].(map[string]any)
				assert.Equal(t, path, f["path"], name)
				assert.Equal(t, path, f["cached"], name)
				assert.Equal(t, sha256Hex(r.Files[name]), f["sha256"], name)
			}
			var noExist []string
			for _, m := range pr["no_exist"].([]any) {
				noExist = append(noExist, m.(string))
			}
			if r == pt {
				assert.ElementsMatch(t, []string{"model.safetensors", "vocab.json", "merges.txt"}, noExist,
					"try_to_load_from_cache sees Go's .no_exist markers")
			} else {
				assert.Empty(t, noExist)
			}
		}
	})

	pyCache := filepath.Join(t.TempDir(), "pyhub")
	t.Run("Go reads the Python cache", func(t *testing.T) {
		e.srv.ResetRequests()
		wrote := run(t, map[string]string{"HF_HUB_CACHE": pyCache, "HF_ENDPOINT": e.srv.URL}, "write-cache", spec)
		require.NotEmpty(t, e.srv.Requests(), "python downloaded from the fake hub")
		e.srv.ResetRequests()
		for _, r := range repos {
			for _, offline := range []bool{true, false} {
				o := Options{CacheDir: pyCache, Endpoint: e.srv.URL, Offline: offline,
					HTTPClient: &http.Client{Transport: failTransport{t}}}
				s, err := ResolveSnapshot(context.Background(), r.ID, o)
				require.NoError(t, err, "offline=%v", offline)
				pw := wrote[r.ID].(map[string]any)["files"].(map[string]any)
				assert.ElementsMatch(t, keys(pw), keys(s.Files))
				for name, path := range s.Files {
					assert.Equal(t, pw[name].(map[string]any)["path"], path, name)
					b, err := os.ReadFile(path)
					require.NoError(t, err)
					assert.Equal(t, r.Files[name], b, name)
				}
			}
		}
		assert.Empty(t, e.srv.Requests(), "a complete Python cache needs no network")
	})

	t.Run("same layout", func(t *testing.T) {
		goTree, pyTree := tree(t, goCache), tree(t, pyCache)
		assert.Equal(t, pyTree, goTree)
		if t.Failed() {
			t.Logf("go:\n%s\npython:\n%s", strings.Join(goTree, "\n"), strings.Join(pyTree, "\n"))
		}
	})

	t.Run("transformers reads the Go cache, Go reads the transformers cache", func(t *testing.T) {
		if os.Getenv("ZEROSHOT_HUB_CROSSCHECK_TRANSFORMERS") == "" {
			t.Skip("set ZEROSHOT_HUB_CROSSCHECK_TRANSFORMERS=1 too (imports torch)")
		}
		fromCache := run(t, map[string]string{"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": goCache}, "transformers", "tiny/odd")
		local, err := filepath.Abs(fixtureDir)
		require.NoError(t, err)
		fromDir := run(t, map[string]string{"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": t.TempDir()}, "transformers", local)
		assert.Equal(t, fromDir["logits"], fromCache["logits"])
		assert.Equal(t, "tiny/odd", fromCache["name_or_path"])

		// transformers online against the fake Hub writes a cache; Go uses it offline.
		tfCache := filepath.Join(t.TempDir(), "tfhub")
		online := run(t, map[string]string{"HF_HUB_CACHE": tfCache, "HF_ENDPOINT": e.srv.URL}, "transformers", "tiny/odd")
		assert.Equal(t, fromDir["logits"], online["logits"])
		for _, offline := range []bool{true, false} {
			s, err := ResolveSnapshot(context.Background(), "tiny/odd", Options{CacheDir: tfCache, Offline: offline,
				HTTPClient: &http.Client{Transport: failTransport{t}}})
			require.NoError(t, err)
			assert.ElementsMatch(t, clipFiles, keys(s.Files))
		}
	})
}

// tree lists a cache: every path with its kind, symlink target or content hash; the
// .locks directory is left out (its files' presence depends on the locking library).
func tree(t *testing.T, root string) []string {
	var out []string
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".locks" {
			return filepath.SkipDir
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case info.IsDir():
			out = append(out, rel+"/")
		default:
			b, _ := os.ReadFile(p)
			out = append(out, rel+" "+sha256Hex(b)[:12]+" "+info.Mode().Perm().String())
		}
		return nil
	})
	require.NoError(t, err)
	sort.Strings(out)
	return out
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func keys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// pyEnv is the current environment without huggingface_hub's variables, plus env.
func pyEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		skip := false
		for _, v := range hfVars {
			skip = skip || k == v
		}
		if _, set := env[k]; !skip && !set {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// withEnv runs f with exactly the huggingface_hub variables in env set (others unset).
func withEnv(t *testing.T, env map[string]string, f func()) {
	saved := map[string]*string{}
	for _, k := range append(append([]string{}, hfVars...), "HOME", "NOPE_UNSET") {
		if v, ok := os.LookupEnv(k); ok {
			saved[k] = &v
		} else {
			saved[k] = nil
		}
		if v, ok := env[k]; ok {
			os.Setenv(k, v)
		} else if k != "HOME" {
			os.Unsetenv(k)
		}
	}
	defer func() {
		for k, v := range saved {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}()
	f()
}
