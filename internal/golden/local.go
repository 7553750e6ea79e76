package golden

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// EnvGoldens names a golden tree made on this machine by the Python oracle (make parity:
// testdata/gen/gen_goldens.py --out DIR), laid out as testdata/. Where it holds a golden,
// the tests read that one and compare bit for bit (Bound 0): Go equals Python on this
// machine. Without it they read testdata/'s committed goldens, made on another CPU, and
// compare libtorch's outputs within CrossCPU.
const EnvGoldens = "ZEROSHOT_GOLDENS"

// The tree's record of how it was made (written by gen_goldens.py --out).
const localMeta = "local.json"

var local struct {
	once   sync.Once
	root   string
	err    error
	envErr error // the tree was made with other pins than this process runs with
}

// localRoot is $ZEROSHOT_GOLDENS, checked once: it must be a tree gen_goldens.py --out
// completed. localEnv says whether it was made with the pins this process runs with
// (pinned goldens compared with an unpinned run, or the reverse, would fail for the wrong
// reason); only libtorch's outputs care (Check), not the plain-Go packages' tests.
func localRoot() (string, error) {
	local.once.Do(func() {
		root := os.Getenv(EnvGoldens)
		if root == "" {
			return
		}
		abs, err := filepath.Abs(root)
		if err != nil {
			local.err = err
			return
		}
		b, err := os.ReadFile(filepath.Join(abs, localMeta))
		if err != nil {
			local.err = fmt.Errorf("%s=%s: not a golden tree that testdata/gen/gen_goldens.py --out completed: %w", EnvGoldens, root, err)
			return
		}
		var m struct {
			ReproEnv map[string]*string `json:"repro_env"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			local.err = fmt.Errorf("%s: %w", filepath.Join(abs, localMeta), err)
			return
		}
		var diffs []string
		for k := range ReproEnv {
			want, got := "(unset)", "(unset)"
			if v := m.ReproEnv[k]; v != nil {
				want = *v
			}
			if v, ok := os.LookupEnv(k); ok {
				got = v
			}
			if want != got {
				diffs = append(diffs, fmt.Sprintf("%s=%s (this process: %s)", k, want, got))
			}
		}
		if len(diffs) > 0 {
			sort.Strings(diffs)
			local.envErr = fmt.Errorf("%s=%s was made with %s: run the tests with the same (ZEROSHOT_NO_REPRO=1 for unpinned goldens)",
				EnvGoldens, root, strings.Join(diffs, ", "))
		}
		local.root = abs
	})
	return local.root, local.err
}

// Path is where the golden rel (a slash-separated path under testdata/, such as
// "pipeline/odd-torch2.11.0.json") is read from: the local tree of EnvGoldens when it
// holds rel, else testdata (the directory testdata/ as the caller reaches it). It fails
// t when EnvGoldens names a tree that is not usable.
func Path(t testing.TB, testdata, rel string) string {
	t.Helper()
	root, err := localRoot()
	if err != nil {
		t.Fatal(err)
	}
	if root != "" {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join(testdata, filepath.FromSlash(rel))
}

// localEnv is nil when the local tree was made with this process's pins.
func localEnv() error {
	localRoot()
	return local.envErr
}

// Local reports whether path lies in the local golden tree (EnvGoldens).
func Local(path string) bool {
	root, err := localRoot()
	if err != nil || root == "" {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(root, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
