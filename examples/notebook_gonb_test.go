package examples_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeroshot-clip/zeroshot/internal/modproxy"
)

// executedNotebook is the part of an executed .ipynb read here.
type executedNotebook struct {
	Cells []struct {
		Type    string   `json:"cell_type"`
		Source  []string `json:"source"`
		Count   *int     `json:"execution_count"`
		Outputs []struct {
			Type   string          `json:"output_type"`
			Name   string          `json:"name"`
			Text   json.RawMessage `json:"text"`
			Data   map[string]any  `json:"data"`
			EName  string          `json:"ename"`
			EValue string          `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

// joinText reads nbformat's multiline text: a string or a list of strings.
func joinText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	json.Unmarshal(raw, &parts)
	return strings.Join(parts, "")
}

// TestNotebookGoNB runs examples/notebook.ipynb in a real Jupyter kernel, GoNB, as a user
// would: Jupyter starts the kernel registered in a temporary data directory, and the
// notebook's own first cell sets up GoNB's temporary module with zeroshot-setup from the
// module proxy (this working tree, published as a file GOPROXY: the module is on no public
// host yet). Every cell must run without error and print what the goldens say.
// make notebook builds Jupyter and GoNB into the cache and runs this.
func TestNotebookGoNB(t *testing.T) {
	jupyter, gonb := os.Getenv("ZEROSHOT_JUPYTER"), os.Getenv("ZEROSHOT_GONB")
	if jupyter == "" || gonb == "" {
		t.Skip("needs Jupyter and GoNB: make notebook runs it (ZEROSHOT_JUPYTER, ZEROSHOT_GONB)")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	tmp := t.TempDir()
	m, err := modproxy.Publish(root, filepath.Join(tmp, "proxy"))
	require.NoError(t, err)
	model, err := filepath.Abs(tinyModel)
	require.NoError(t, err)
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)

	env := kernelEnv(map[string]string{
		"PATH":                strings.Join([]string{gonb, jupyter, filepath.Dir(goBin), os.Getenv("PATH")}, ":"),
		"JUPYTER_DATA_DIR":    filepath.Join(tmp, "jupyter", "data"),
		"JUPYTER_CONFIG_DIR":  filepath.Join(tmp, "jupyter", "config"),
		"JUPYTER_RUNTIME_DIR": filepath.Join(tmp, "jupyter", "runtime"),
		"GOPROXY":             m.URL() + "," + goEnv(t, "GOPROXY"),
		"GONOSUMDB":           strings.Trim(goEnv(t, "GONOSUMDB")+","+m.Path, ","),
		"GOWORK":              "off",
		"ZEROSHOT_MODEL":      model,
		"HF_HUB_OFFLINE":      "1",
	})
	gomodcache := goEnv(t, "GOMODCACHE")
	require.NoError(t, modproxy.Prune(gomodcache, m.Path, m.Version))
	t.Cleanup(func() { modproxy.Prune(gomodcache, m.Path, "no version is kept") })

	install := exec.Command(filepath.Join(gonb, "gonb"), "--install", "--force_deps", "--raw_error", "--logtostderr")
	install.Env = env
	out, err := install.CombinedOutput()
	require.NoError(t, err, "gonb --install: %s", out)
	kernel, err := os.ReadFile(filepath.Join(tmp, "jupyter", "data", "kernels", "gonb", "kernel.json"))
	require.NoError(t, err, "gonb --install wrote no kernel spec: %s", out)
	t.Logf("kernel spec: %s", strings.TrimSpace(string(kernel)))

	nb := filepath.Join(tmp, "nb")
	require.NoError(t, os.Mkdir(nb, 0o755))
	for _, f := range []string{"notebook.ipynb", "chelsea.png"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(nb, f), b, 0o644))
	}
	start := time.Now()
	run := exec.Command(filepath.Join(jupyter, "jupyter"), "execute", "--allow-errors", "--timeout=1500",
		"--startup_timeout=120", "--output=executed", filepath.Join(nb, "notebook.ipynb"))
	run.Dir, run.Env = nb, env
	out, err = run.CombinedOutput()
	elapsed := time.Since(start)
	require.NoError(t, err, "jupyter execute: %s", out)
	b, err := os.ReadFile(filepath.Join(nb, "executed.ipynb"))
	require.NoError(t, err, "jupyter execute wrote no notebook: %s", out)

	var done executedNotebook
	require.NoError(t, json.Unmarshal(b, &done))
	var setup, cells strings.Builder
	executed := 0
	for i, c := range done.Cells {
		if c.Type != "code" {
			continue
		}
		if assert.NotNil(t, c.Count, "cell %d was not executed", i) {
			executed++
		}
		var text strings.Builder
		for _, o := range c.Outputs {
			switch o.Type {
			case "stream":
				text.WriteString(joinText(o.Text))
			case "error":
				t.Errorf("cell %d: %s: %s", i, o.EName, o.EValue)
			default:
				if plain, ok := o.Data["text/plain"]; ok {
					text.WriteString(joinText(mustJSON(plain)))
				}
				if html, ok := o.Data["text/html"]; ok {
					t.Errorf("cell %d displayed HTML (GoNB shows build errors so): %s", i, joinText(mustJSON(html)))
				}
			}
		}
		if executed == 1 {
			setup.WriteString(text.String())
		} else {
			cells.WriteString(text.String())
		}
	}
	t.Logf("jupyter execute: %d code cells executed in %.1fs", executed, elapsed.Seconds())
	t.Logf("setup cell:\n%s", setup.String())
	t.Logf("other cells:\n%s", cells.String())
	assert.Equal(t, 5, executed)
	assert.Regexp(t, `go.mod: replace github.com/sugarme/gotch => /\S+/gotch/torch-[0-9.]+-cpu`, setup.String())
	assert.Contains(t, setup.String(), "require github.com/zeroshot-clip/zeroshot "+m.Version)
	checkNotebookOutput(t, cells.String())
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// kernelEnv is this process's environment with settings on top, less the -modfile that
// make test puts in GOFLAGS (it names this module's file, not the notebook's).
func kernelEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok {
			continue
		}
		if k == "GOFLAGS" {
			var keep []string
			for _, f := range strings.Fields(v) {
				if !strings.HasPrefix(strings.TrimLeft(f, "-"), "modfile") {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}
