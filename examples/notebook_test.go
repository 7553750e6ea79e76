package examples_test

import (
	"encoding/json"
	"fmt"
	"go/format"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type notebook struct {
	Cells []struct {
		Type   string   `json:"cell_type"`
		Source []string `json:"source"`
	} `json:"cells"`
	Metadata struct {
		Kernel struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
	Format int `json:"nbformat"`
}

// program turns the notebook's code cells into the Go program GoNB would build: the
// declarations of every cell, each "%%" cell's body as a function, and a main that runs
// those in order. Shell (!) and magic (%) lines are GoNB's, not Go.
func program(nb notebook) (string, error) {
	var decls, funcs, calls []string
	for i, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		src := strings.Join(c.Source, "")
		if body, ok := strings.CutPrefix(src, "%%\n"); ok {
			name := fmt.Sprintf("cell%d", i)
			funcs = append(funcs, fmt.Sprintf("func %s() {\n%s\n}\n", name, body))
			calls = append(calls, name+"()")
			continue
		}
		var keep []string
		for _, line := range strings.Split(src, "\n") {
			if !strings.HasPrefix(line, "!") && !strings.HasPrefix(line, "%") {
				keep = append(keep, line)
			}
		}
		decls = append(decls, strings.Join(keep, "\n"))
	}
	src := "package main\n\n" + strings.Join(decls, "\n\n") + "\n\n" + strings.Join(funcs, "\n") +
		"\nfunc main() {\n" + strings.Join(calls, "\n") + "\n}\n"
	src = strings.Replace(src, `"`+gonbuiPath+`"`, `"`+gonbuiStubPath+`"`, 1)
	out, err := format.Source([]byte(src))
	return string(out), err
}

// The cells display with GoNB's gonbui, which this module does not require: built here,
// they import a stand-in (an overlay file) that prints what GoNB would display.
const (
	gonbuiPath     = "github.com/janpfeifer/gonb/gonbui"
	gonbuiStubPath = "github.com/zeroshot-clip/zeroshot/examples/internal/nbcheck/gonbui"
	gonbuiStub     = `// Package gonbui stands in for GoNB's in TestNotebook.
package gonbui

import (
	"fmt"
	"image"
)

func DisplayImage(img image.Image) error {
	fmt.Printf("gonbui.DisplayImage: %dx%d\n", img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

func DisplaySvg(svg string) { fmt.Printf("gonbui.DisplaySvg: %s\n", svg) }
`
)

// The notebook is valid nbformat 4 for the GoNB kernel, and its cells, built as GoNB
// builds them (in this module, without its setup cell), run against the tiny fixture
// model. TestNotebookGoNB (make notebook) runs it in a real GoNB kernel.
func TestNotebook(t *testing.T) {
	b, err := os.ReadFile("notebook.ipynb")
	require.NoError(t, err)
	var nb notebook
	require.NoError(t, json.Unmarshal(b, &nb))
	assert.Equal(t, 4, nb.Format)
	assert.Equal(t, "gonb", nb.Metadata.Kernel.Name)

	src, err := program(nb)
	require.NoError(t, err, "the cells do not parse as Go:\n%s", src)
	if testing.Short() {
		t.Skip("builds the notebook's program")
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(prog, []byte(src), 0o644))
	target, err := filepath.Abs(filepath.Join("internal", "nbcheck", "main.go")) // not on disk: an overlay
	require.NoError(t, err)
	stub := filepath.Join(dir, "gonbui.go")
	require.NoError(t, os.WriteFile(stub, []byte(gonbuiStub), 0o644))
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {
		target: prog, filepath.Join(filepath.Dir(target), "gonbui", "gonbui.go"): stub}})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644))
	model, err := filepath.Abs(filepath.Join("..", "testdata", "models", "tiny-l14"))
	require.NoError(t, err)

	cmd := exec.Command("go", "run", "-overlay", filepath.Join(dir, "overlay.json"), "./internal/nbcheck")
	cmd.Env = append(os.Environ(), "ZEROSHOT_MODEL="+model, "HF_HUB_OFFLINE=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, src)
	text := string(out)
	rows := checkNotebookOutput(t, text)
	var shown displays
	for _, line := range strings.Split(text, "\n") {
		if svg, ok := strings.CutPrefix(line, "gonbui.DisplaySvg: "); ok {
			shown.svgs = append(shown.svgs, svg)
		}
		var w, h int
		if _, err := fmt.Sscanf(line, "gonbui.DisplayImage: %dx%d", &w, &h); err == nil {
			shown.images = append(shown.images, image.Pt(w, h))
		}
	}
	checkDisplays(t, rows, shown)
	t.Logf("notebook output:\n%s", text)
}
