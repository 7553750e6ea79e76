package examples_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	k := newKernelRun(t, jupyter, gonb)
	install := exec.Command(filepath.Join(gonb, "gonb"), "--install", "--force_deps", "--raw_error", "--logtostderr")
	install.Env = k.env
	out, err := install.CombinedOutput()
	require.NoError(t, err, "gonb --install: %s", out)
	kernel, err := os.ReadFile(filepath.Join(k.dataDir, "kernels", "gonb", "kernel.json"))
	require.NoError(t, err, "gonb --install wrote no kernel spec: %s", out)
	t.Logf("kernel spec: %s", strings.TrimSpace(string(kernel)))

	cells, shown := k.execute("notebook.ipynb")
	require.Len(t, cells, 5, "code cells")
	setup := cells[0]
	assert.Regexp(t, `go.mod: replace github.com/sugarme/gotch => /\S+/gotch/torch-[0-9.]+-cpu`, setup)
	assert.Contains(t, setup, "require github.com/zeroshot-clip/zeroshot "+k.module.Version)
	checkDisplays(t, checkNotebookOutput(t, strings.Join(cells[1:], "")), shown)
}

// TestNotebookGophernotes runs examples/notebook-gophernotes.ipynb in gophernotes as built by
// make gophernotes (tools/gophernotes): the kernel spec carries the replace line of the
// patched gotch (GOMACRO_GOMOD), taken from zeroshot-setup --print as a user would, and
// the notebook's import compiles the library into a Go plugin from the module proxy.
func TestNotebookGophernotes(t *testing.T) {
	jupyter, gn := os.Getenv("ZEROSHOT_JUPYTER"), os.Getenv("ZEROSHOT_GOPHERNOTES")
	if jupyter == "" || gn == "" {
		t.Skip("needs Jupyter and the gophernotes build: make gophernotes runs it (ZEROSHOT_JUPYTER, ZEROSHOT_GOPHERNOTES)")
	}
	k := newKernelRun(t, jupyter, gn)
	setup := exec.Command("go", "run", "github.com/zeroshot-clip/zeroshot/cmd/zeroshot-setup@latest", "--print")
	setup.Dir, setup.Env = t.TempDir(), k.env
	out, err := setup.CombinedOutput()
	require.NoError(t, err, "zeroshot-setup --print: %s", out)
	// The go.mod lines for gomacro's plugin modules: the replace of gotch, the require of
	// the library at the setup's version.
	var lines []string
	for _, m := range regexp.MustCompile(`(?m)^\t((replace|require) \S+ (=> )?\S+)$`).FindAllStringSubmatch(string(out), -1) {
		lines = append(lines, m[1])
	}
	require.Len(t, lines, 2, "zeroshot-setup --print:\n%s", out)
	assert.Contains(t, lines[0], "replace github.com/sugarme/gotch => ")
	assert.Equal(t, "require github.com/zeroshot-clip/zeroshot "+k.module.Version, lines[1])

	spec, err := json.Marshal(map[string]any{
		"argv":         []string{filepath.Join(gn, "gophernotes"), "{connection_file}"},
		"display_name": "Go (gophernotes + zeroshot)",
		"language":     "go",
		"env":          map[string]string{"GOMACRO_GOMOD": strings.Join(lines, "\n")},
	})
	require.NoError(t, err)
	dir := filepath.Join(k.dataDir, "kernels", "gophernotes-zeroshot")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kernel.json"), spec, 0o644))
	t.Logf("kernel spec: %s", spec)

	cells, shown := k.execute("notebook-gophernotes.ipynb")
	require.Len(t, cells, 4, "code cells")
	checkDisplays(t, checkNotebookOutput(t, strings.Join(cells[1:], "")), shown)
}

// kernelRun is a notebook run in a temporary Jupyter setup, with this tree published as
// a file GOPROXY.
type kernelRun struct {
	t            *testing.T
	jupyter, tmp string
	dataDir      string
	env          []string
	module       modproxy.Module
}

func newKernelRun(t *testing.T, jupyter, kernelBin string) *kernelRun {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	k := &kernelRun{t: t, jupyter: jupyter, tmp: t.TempDir()}
	k.dataDir = filepath.Join(k.tmp, "jupyter", "data")
	k.module, err = modproxy.Publish(root, filepath.Join(k.tmp, "proxy"))
	require.NoError(t, err)
	model, err := filepath.Abs(tinyModel)
	require.NoError(t, err)
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	gomodcache := goEnv(t, "GOMODCACHE")
	// GoNB runs `go get` for a cell's new imports: gonbui (github.com/janpfeifer/gonb) at
	// its latest version. The module cache, where make notebook's build of GoNB put its
	// version, answers that as a proxy would (the kernel's own version, offline); what it
	// lacks falls through to the GOPROXY of the environment.
	cacheProxy := "file://" + filepath.ToSlash(filepath.Join(gomodcache, "cache", "download"))
	k.env = kernelEnv(map[string]string{
		"PATH":                strings.Join([]string{kernelBin, jupyter, filepath.Dir(goBin), os.Getenv("PATH")}, ":"),
		"JUPYTER_DATA_DIR":    k.dataDir,
		"JUPYTER_CONFIG_DIR":  filepath.Join(k.tmp, "jupyter", "config"),
		"JUPYTER_RUNTIME_DIR": filepath.Join(k.tmp, "jupyter", "runtime"),
		"GOPROXY":             k.module.URL() + "," + cacheProxy + "," + goEnv(t, "GOPROXY"),
		"GONOSUMDB":           strings.Trim(goEnv(t, "GONOSUMDB")+","+k.module.Path, ","),
		"GOWORK":              "off",
		"ZEROSHOT_MODEL":      model,
		"HF_HUB_OFFLINE":      "1",
	})
	require.NoError(t, modproxy.Prune(gomodcache, k.module.Path, k.module.Version, 2*time.Hour))
	return k
}

// execute runs a notebook of examples/ (copied with chelsea.png into a temporary
// directory) with jupyter execute and returns each code cell's text output, and what the
// cells displayed besides. A cell that was not executed, or that shows an error, fails
// the test.
func (k *kernelRun) execute(name string) ([]string, displays) {
	t := k.t
	t.Helper()
	nb := filepath.Join(k.tmp, "nb")
	require.NoError(t, os.MkdirAll(nb, 0o755))
	for _, f := range []string{name, "chelsea.png"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(nb, f), b, 0o644))
	}
	start := time.Now()
	run := exec.Command(filepath.Join(k.jupyter, "jupyter"), "execute", "--allow-errors", "--timeout=1500",
		"--startup_timeout=120", "--output=executed", filepath.Join(nb, name))
	run.Dir, run.Env = nb, k.env
	out, err := run.CombinedOutput()
	elapsed := time.Since(start)
	require.NoError(t, err, "jupyter execute: %s", out)
	b, err := os.ReadFile(filepath.Join(nb, "executed.ipynb"))
	require.NoError(t, err, "jupyter execute wrote no notebook: %s", out)

	var done executedNotebook
	require.NoError(t, json.Unmarshal(b, &done))
	var cells []string
	var shown displays
	for i, c := range done.Cells {
		if c.Type != "code" {
			continue
		}
		assert.NotNil(t, c.Count, "cell %d was not executed", i)
		var text strings.Builder
		for _, o := range c.Outputs {
			switch o.Type {
			case "stream":
				text.WriteString(joinText(o.Text))
			case "error":
				t.Errorf("cell %d: %s: %s", i, o.EName, o.EValue)
			default:
				if !shown.add(t, i, o.Data) {
					if plain, ok := o.Data["text/plain"]; ok {
						text.WriteString(joinText(mustJSON(plain)))
					}
				}
			}
		}
		cells = append(cells, text.String())
		t.Logf("cell %d:\n%s", i, text.String())
	}
	t.Logf("jupyter execute %s: %d code cells executed in %.1fs", name, len(cells), elapsed.Seconds())
	return cells, shown
}

// add records a display_data output that is an image (image/png: its size) or an SVG
// document (image/svg+xml, as gophernotes' display.SVG sends it, or HTML of one SVG in a
// div, as GoNB's DisplaySvg does), and reports whether it was one. Any other HTML fails
// the test: GoNB shows build errors so.
func (d *displays) add(t *testing.T, cell int, data map[string]any) bool {
	t.Helper()
	if p, ok := data["image/png"]; ok {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(joinText(mustJSON(p))), ""))
		require.NoError(t, err, "cell %d: image/png", cell)
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		require.NoError(t, err, "cell %d: image/png", cell)
		d.images = append(d.images, image.Pt(cfg.Width, cfg.Height))
		return true
	}
	if svg, ok := data["image/svg+xml"]; ok {
		d.svgs = append(d.svgs, strings.TrimSpace(joinText(mustJSON(svg))))
		return true
	}
	if h, ok := data["text/html"]; ok {
		doc := strings.TrimSpace(joinText(mustJSON(h)))
		if svg, ok := strings.CutPrefix(doc, "<div><svg "); ok && strings.HasSuffix(svg, "</svg></div>") && !strings.Contains(svg, "<div") {
			d.svgs = append(d.svgs, "<svg "+strings.TrimSuffix(svg, "</div>"))
			return true
		}
		t.Errorf("cell %d displayed HTML (GoNB shows build errors so): %s", cell, doc)
		return true
	}
	return false
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
