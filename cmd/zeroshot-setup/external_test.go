package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/modproxy"
)

// The external module's program inherits libtorch's pinned CPU paths, as the goldens'
// generator had them.
func TestMain(m *testing.M) { golden.Main(m) }

// The README's "Use it from your Go module", done as a user will once the module is
// published: a new module in a temporary directory outside the clone, this working tree
// served as a file GOPROXY (the only stand-in: the module is on no public host yet), the
// README's commands run verbatim, its main.go verbatim, and the output checked against
// the Python pipeline's golden for examples/chelsea.png on the tiny fixture model. Then
// the setup is rerun (go.mod unchanged), undone and redone.
//
// ZEROSHOT_EXTMOD_COLD=1 also empties Go's build cache first (GOCACHE in a temporary
// directory) to time a machine that never compiled gotch.
func TestExternalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a fresh module outside the clone against libtorch (minutes with a cold Go cache); make test runs it")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	commands, program := readmeRecipe(t, filepath.Join(root, "README.md"))

	tmp := t.TempDir()
	m, err := modproxy.Publish(root, filepath.Join(tmp, "proxy"))
	require.NoError(t, err)
	t.Logf("published %s@%s (%d files) at %s", m.Path, m.Version, m.Files, m.URL())

	env := userEnv(t, m, tmp)
	gomodcache := strings.TrimSpace(string(runIn(t, tmp, env, "go", "env", "GOMODCACHE")))
	require.NoError(t, modproxy.Prune(gomodcache, m.Path, m.Version, 2*time.Hour))

	app := filepath.Join(tmp, "app")
	require.NoError(t, os.Mkdir(app, 0o755))
	runIn(t, app, env, "go", "mod", "init", "example.com/zeroshot-user")
	require.NoError(t, os.WriteFile(filepath.Join(app, "main.go"), []byte(program), 0o644))
	chelsea, err := os.ReadFile(filepath.Join(root, "examples", "chelsea.png"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(app, "chelsea.png"), chelsea, 0o644))

	var out, setupOut []byte
	for i, c := range commands {
		start := time.Now()
		out = runIn(t, app, env, "sh", "-c", c)
		t.Logf("%6.1fs  %s", time.Since(start).Seconds(), c)
		if i == 0 {
			setupOut = out
		}
	}
	// The goldens of the libtorch the setup chose (TORCH, as make exports it, or the
	// scripts' default).
	m1 := regexp.MustCompile(`(?m)^zeroshot-setup: libtorch (\S+) \(`).FindSubmatch(setupOut)
	require.NotNil(t, m1, "the setup did not say which libtorch:\n%s", setupOut)
	torchVersion := string(m1[1])
	var got []struct {
		Score float64 `json:"score"`
		Label string  `json:"label"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "the program's output: %s", out)
	// The program runs the default parity profile of that libtorch.
	path := golden.Path(t, filepath.Join(root, "testdata"), "pipeline/"+golden.DefaultPipelineFile("tiny-l14", torchVersion))
	want := goldenPipeline(t, path, "chelsea.png", "cat,dog,fox,owl")
	require.Len(t, got, len(want))
	var ws, gs []float64
	for i := range want {
		assert.Equal(t, want[i].Label, got[i].Label, "rank %d", i)
		ws, gs = append(ws, want[i].Score), append(gs, got[i].Score)
	}
	t.Logf("output %s (libtorch %s)", bytes.TrimSpace(out), torchVersion)
	// The README's program runs libtorch's default thread count; the goldens were made with one.
	golden.CheckWithin(t, path, "the program's scores vs the pipeline's golden", golden.F32(gs), golden.F32(ws), golden.CrossCPU)

	// go.mod: the stable link, the published version.
	gomod := filepath.Join(app, "go.mod")
	b, err := os.ReadFile(gomod)
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^replace github.com/sugarme/gotch => /\S+/gotch/torch-[0-9.]+-cpu$`, string(b))
	assert.Regexp(t, `(?m)^\s*(require )?github.com/zeroshot-clip/zeroshot `+regexp.QuoteMeta(m.Version)+`$`, string(b))
	assert.NotContains(t, string(b), "replace github.com/zeroshot-clip/zeroshot", "a published version needs no replace of the library")

	// Idempotent: the same command again leaves go.mod as it was.
	runIn(t, app, env, "sh", "-c", commands[0])
	again, err := os.ReadFile(gomod)
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again), "a second setup changed go.mod")

	// uninstall takes the replace out (the build then fails on stock gotch), setup puts it back.
	runIn(t, app, env, "sh", "-c", commands[0]+" uninstall")
	undone, err := os.ReadFile(gomod)
	require.NoError(t, err)
	assert.NotContains(t, string(undone), "github.com/sugarme/gotch =>")
	runIn(t, app, env, "sh", "-c", commands[0])
	redone := runIn(t, app, env, "go", "mod", "edit", "-json")
	require.NoError(t, os.WriteFile(gomod, b, 0o644))
	assert.JSONEq(t, string(runIn(t, app, env, "go", "mod", "edit", "-json")), string(redone),
		"setup after uninstall gives other go.mod contents (the order of lines may differ)")
}

// readmeRecipe returns the shell commands (comments dropped) and the Go program of the
// README's "Use it from your Go module" section.
func readmeRecipe(t *testing.T, path string) (commands []string, program string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## Use it from your Go module\n")
	require.True(t, ok, "README has no section \"Use it from your Go module\"")
	section, _, _ = strings.Cut(section, "\n## ")
	sh := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(section)
	gosrc := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(section)
	require.NotNil(t, sh, "no sh block in the section")
	require.NotNil(t, gosrc, "no go block in the section")
	for _, line := range strings.Split(sh[1], "\n") {
		if cmd, _, _ := strings.Cut(line, "#"); strings.TrimSpace(cmd) != "" {
			commands = append(commands, strings.TrimSpace(cmd))
		}
	}
	require.Len(t, commands, 3, "the README promises three commands")
	return commands, gosrc[1]
}

// userEnv is a user's environment plus the stand-in for publication: this tree's proxy
// first, then the user's GOPROXY for everything else; no checksum database entry for
// the unpublished module. GOFLAGS loses the clone's -modfile (make test sets one).
func userEnv(t *testing.T, m modproxy.Module, tmp string) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOPROXY", "GONOSUMDB").Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	proxy, nosumdb := lines[0], ""
	if len(lines) > 1 {
		nosumdb = lines[1]
	}
	if nosumdb != "" {
		nosumdb += ","
	}
	model, err := filepath.Abs(filepath.Join("..", "..", "testdata", "models", "tiny-l14"))
	require.NoError(t, err)
	env := childEnv(
		"GOPROXY="+m.URL()+","+proxy,
		"GONOSUMDB="+nosumdb+m.Path,
		"GOWORK=off",
		"ZEROSHOT_MODEL="+model,
		"HF_HUB_OFFLINE=1",
	)
	if os.Getenv("ZEROSHOT_EXTMOD_COLD") == "1" {
		env = append(env, "GOCACHE="+filepath.Join(tmp, "gocache"))
	}
	return env
}

func runIn(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s in %s:\n%s%s", name, strings.Join(args, " "), dir, out, stderr.String())
	return out
}

type scored struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// goldenPipeline is the Python pipeline's output for image and labels in a golden file
// of testdata/pipeline.
func goldenPipeline(t *testing.T, path, image, labels string) []scored {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var g struct {
		Cases []struct {
			Image    string   `json:"image"`
			Labels   []string `json:"labels"`
			Template string   `json:"template"`
			Pipeline []scored `json:"pipeline"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &g))
	for _, c := range g.Cases {
		if c.Image == image && strings.Join(c.Labels, ",") == labels && c.Template == "This is a photo of {}." {
			return c.Pipeline
		}
	}
	t.Fatalf("no golden case for %s %s", image, labels)
	return nil
}
