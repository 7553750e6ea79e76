package examples_test

import (
	"encoding/json"
	"fmt"
	"go/format"
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
	out, err := format.Source([]byte(src))
	return string(out), err
}

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
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {target: prog}})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644))
	model, err := filepath.Abs(filepath.Join("..", "testdata", "models", "tiny-l14"))
	require.NoError(t, err)

	cmd := exec.Command("go", "run", "-overlay", filepath.Join(dir, "overlay.json"), "./internal/nbcheck")
	cmd.Env = append(os.Environ(), "ZEROSHOT_MODEL="+model, "HF_HUB_OFFLINE=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, src)
	text := string(out)
	checkNotebookOutput(t, text)
	t.Logf("notebook output:\n%s", text)
}
