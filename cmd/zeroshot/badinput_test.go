package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/serve/servetest"
)

// The command's column of the bad-input matrix (the library's and the server's are in
// serve/badinput_test.go): every bad input gives a non-zero exit with a message on
// stderr, nothing panics, and no partial output file is left behind.

const badRoot = "../.."

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			code, stderr = -1, fmt.Sprintf("PANIC: %v", r)
		}
	}()
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// dirFiles lists what is in dir (names), to catch partial or temporary files.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}

// `zeroshot serve --model BAD` exits 1 with the reason and never listens.
func TestBadInputServeModels(t *testing.T) {
	src := filepath.Join(badRoot, "testdata", "models", "tiny-l14")
	oldCtx, oldListening := serveContext, serveListening
	defer func() { serveContext, serveListening = oldCtx, oldListening }()
	serveContext = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // were it to start, it would stop at once
		return ctx, cancel
	}
	for i, mc := range servetest.ModelCases() {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("m%d", i))
		path, skip, err := mc.Make(src, dir)
		require.NoError(t, err, mc.Name)
		if skip != "" {
			t.Logf("| serve --model: %s | skipped: %s |", mc.Name, skip)
			continue
		}
		listened := false
		serveListening = func(string) { listened = true }
		code, _, stderr := runCmd("serve", "--model", path, "--offline", "--addr", "127.0.0.1:0", "--threads", "1")
		servetest.Restore(dir)
		assert.Equal(t, 1, code, "%s: %s", mc.Name, stderr)
		assert.False(t, listened, mc.Name)
		assert.Contains(t, stderr, "zeroshot serve:", mc.Name)
		t.Logf("| serve --model: %s | exit %d: %s |", mc.Name, code, firstLine(stderr))
	}
}

// `zeroshot preprocess --out DIR IMAGE`: a bad image fails the command and leaves no
// file (neither the .npy nor a temporary) in DIR.
func TestBadInputPreprocessImages(t *testing.T) {
	images, err := servetest.Images(badRoot)
	require.NoError(t, err)
	for i, im := range images {
		in := filepath.Join(t.TempDir(), fmt.Sprintf("img%d.bin", i))
		require.NoError(t, os.WriteFile(in, im.Data, 0o644))
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCmd("preprocess", "--exif", "--out", out, in)
		if im.Kind == 0 {
			assert.Equal(t, 0, code, "%s: %s", im.Name, stderr)
			assert.Equal(t, []string{fmt.Sprintf("img%d.npy", i)}, dirFiles(t, out), im.Name)
		} else {
			assert.Equal(t, 1, code, "%s: %s", im.Name, stderr)
			assert.Empty(t, dirFiles(t, out), "%s: no partial output", im.Name)
			assert.Contains(t, stderr, im.Kind.String(), im.Name)
		}
		t.Logf("| preprocess: %s | exit %d, files %v: %s |", im.Name, code, dirFiles(t, out), firstLine(stderr))
	}
}

// classifyCLI names the flags of `zeroshot classify` the matrix uses.
type classifyCLI struct {
	labels, template, out string
}

func findClassify(t *testing.T) classifyCLI {
	t.Helper()
	require.Contains(t, commands, "classify")
	return classifyCLI{labels: "labels", template: "template", out: "output"}
}

func (c classifyCLI) args(model string, labels []string, template, out string, images ...string) []string {
	args := []string{"classify", "--model", model, "--offline", "--threads", "1", "--" + c.labels, strings.Join(labels, ",")}
	if template != "" && c.template != "" {
		args = append(args, "--"+c.template, template)
	}
	if out != "" && c.out != "" {
		args = append(args, "--"+c.out, out)
	}
	return append(args, images...)
}

func TestBadInputClassifyCommand(t *testing.T) {
	cli := findClassify(t)
	model := filepath.Join(badRoot, "testdata", "models", "tiny-l14")
	good := filepath.Join(badRoot, "testdata", "pipeline", "chelsea.png")
	// check runs one row. A run that fails before classifying (labels, model) leaves no
	// file; a run whose only image cannot be read exits non-zero and its --output, if
	// written, is complete (an error record for the image: the command's design, with
	// FILE.run.json beside it), never a FILE.partial or temporary file.
	check := func(name string, args []string, outDir string, wantFail, imageRow, mayDrop bool) {
		t.Helper()
		code, stdout, stderr := runCmd(args...)
		require.NotEqual(t, -1, code, "%s: %s", name, stderr)
		files := ""
		switch {
		case wantFail && code == 0 && mayDrop:
			t.Logf("| classify: %s | exit 0: --labels splits on commas and drops the empty item |", name)
			return
		case wantFail:
			assert.NotEqual(t, 0, code, "%s: stdout %s", name, stdout)
			assert.NotEmpty(t, strings.TrimSpace(stderr), name)
			if outDir != "" {
				got := dirFiles(t, outDir)
				if imageRow && slices.Equal(got, []string{"result.json", runPath("result.json")}) { // the record and its run's fingerprint
					b, err := os.ReadFile(filepath.Join(outDir, "result.json"))
					require.NoError(t, err)
					assert.Contains(t, string(b), "error", "%s: the output reports the image's error", name)
					files = ", --output holds the error record"
				} else if assert.Empty(t, got, "%s: no output file", name) {
					files = ", no output file"
				} else {
					files = fmt.Sprintf(", LEFT %v", got)
				}
			}
		default:
			assert.Equal(t, 0, code, "%s: %s", name, stderr)
		}
		t.Logf("| classify: %s | exit %d%s: %s |", name, code, files, firstLine(stderr))
	}

	images, err := servetest.Images(badRoot)
	require.NoError(t, err)
	for i, im := range images {
		in := filepath.Join(t.TempDir(), fmt.Sprintf("img%d.bin", i))
		require.NoError(t, os.WriteFile(in, im.Data, 0o644))
		outDir := filepath.Join(t.TempDir(), "out")
		require.NoError(t, os.MkdirAll(outDir, 0o755))
		out := ""
		if cli.out != "" {
			out = filepath.Join(outDir, "result.json")
		}
		check(im.Name, cli.args(model, []string{"cat", "dog"}, "", out, in), outDirIf(cli.out, outDir), im.Kind != 0, true, false)
	}
	for _, lc := range servetest.LabelCases() {
		if lc.ServerOnly {
			continue
		}
		outDir := filepath.Join(t.TempDir(), "out")
		require.NoError(t, os.MkdirAll(outDir, 0o755))
		out := ""
		if cli.out != "" {
			out = filepath.Join(outDir, "result.json")
		}
		if lc.Template != "" && cli.template == "" {
			t.Logf("| classify: %s | skipped: no template flag |", lc.Name)
			continue
		}
		mayDrop := lc.Name == "empty label" || lc.Name == "blank label"
		check(lc.Name, cli.args(model, lc.Labels, lc.Template, out, good), outDirIf(cli.out, outDir), true, false, mayDrop)
	}
	src := model
	for i, mc := range servetest.ModelCases() {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("m%d", i))
		path, skip, err := mc.Make(src, dir)
		require.NoError(t, err, mc.Name)
		if skip != "" {
			t.Logf("| classify --model: %s | skipped: %s |", mc.Name, skip)
			continue
		}
		outDir := filepath.Join(t.TempDir(), "out")
		require.NoError(t, os.MkdirAll(outDir, 0o755))
		out := ""
		if cli.out != "" {
			out = filepath.Join(outDir, "result.json")
		}
		check("--model "+mc.Name, cli.args(path, []string{"cat", "dog"}, "", out, good), outDirIf(cli.out, outDir), true, false, false)
		servetest.Restore(dir)
	}
	// A missing image file, and a directory given as an image.
	check("missing image file", cli.args(model, []string{"cat", "dog"}, "", "", filepath.Join(t.TempDir(), "nope.png")), "", true, true, false)
	check("an empty directory as the images", cli.args(model, []string{"cat", "dog"}, "", "", t.TempDir()), "", true, true, false)
}

func outDirIf(flag, dir string) string {
	if flag == "" {
		return ""
	}
	return dir
}
