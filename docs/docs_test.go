// Package docs_test checks the README and docs/: every shell block is either run by this
// test against the fixtures or marked as needing what a test machine lacks, every
// `zeroshot` command and flag in any block exists, every `make` target exists, and every
// relative link (and its #anchor) resolves.
//
// A block is marked by an HTML comment on a line of its own just above its fence:
//
//	<!-- doc-test: run -->                    run here, each command must succeed
//	<!-- doc-test: needs WHAT (and why) -->   not run: the real model, a GPU, a cluster, minutes…
//
// Run blocks execute with bash, one command (line, with its continuations) at a time, in
// a fresh directory holding examples/ and testdata/ (links to this tree) and bin/zeroshot
// (built here), with bin/ on PATH and the Hugging Face Hub replaced by a local fake
// (hub/hubtest) that serves the tiny fixture model as openai/clip-vit-large-patch14, so
// that commands written for the real model run as written.
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/hub"
	"github.com/zeroshot-clip/zeroshot/hub/hubtest"
)

const root = ".."

// block is one fenced shell block of a markdown file.
type block struct {
	file   string
	line   int    // of the opening fence
	marker string // "run", "needs …", or "" when missing
	cmds   []command
}

type command struct {
	line int
	text string // continuation lines joined, comment removed
}

var (
	fence      = regexp.MustCompile("^```(sh|bash|shell|console)\\s*$")
	markerRe   = regexp.MustCompile(`^<!--\s*doc-test:\s*(.*?)\s*-->\s*$`)
	linkRe     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRe  = regexp.MustCompile("^(#{1,6})\\s+(.*?)\\s*$")
	makeTarget = regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:([^=]|$)`)
)

func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	return append(files, more...)
}

// parse returns the shell blocks of a markdown file.
func parse(t *testing.T, path string) []block {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var (
		blocks []block
		cur    *block
		prev   []string // the non-empty lines before the current one
		cont   string
		start  int
		inCode bool
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil {
			if strings.HasPrefix(line, "```") {
				blocks = append(blocks, *cur)
				cur = nil
				continue
			}
			text := line
			if cont == "" {
				start = n
			}
			if strings.HasSuffix(strings.TrimRight(text, " "), "\\") {
				cont += strings.TrimSuffix(strings.TrimRight(text, " "), "\\") + " "
				continue
			}
			text = cont + text
			cont = ""
			if c := stripComment(text); c != "" {
				cur.cmds = append(cur.cmds, command{line: start, text: c})
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			if fence.MatchString(line) {
				b := &block{file: path, line: n}
				if len(prev) > 0 {
					if m := markerRe.FindStringSubmatch(prev[len(prev)-1]); m != nil {
						b.marker = m[1]
					}
				}
				cur = b
			} else {
				inCode = !inCode
			}
			continue
		}
		if !inCode && strings.TrimSpace(line) != "" {
			prev = append(prev, line)
		}
	}
	require.NoError(t, sc.Err())
	return blocks
}

// stripComment drops a trailing "# comment" outside quotes.
func stripComment(s string) string {
	var q rune
	for i, r := range s {
		switch {
		case q != 0:
			if r == q {
				q = 0
			}
		case r == '\'' || r == '"':
			q = r
		case r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimSpace(s[:i])
		}
	}
	return strings.TrimSpace(s)
}

func TestEveryShellBlockIsRunOrMarked(t *testing.T) {
	n := 0
	for _, f := range docFiles(t) {
		for _, b := range parse(t, f) {
			n++
			switch {
			case b.marker == "run":
			case strings.HasPrefix(b.marker, "needs "):
			default:
				t.Errorf("%s:%d: a shell block with neither <!-- doc-test: run --> nor <!-- doc-test: needs … --> above it", rel(b.file), b.line)
			}
		}
	}
	require.Greater(t, n, 10, "found too few shell blocks: the parser is broken")
}

func rel(p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return r
}

// binDir holds the CLI zeroshot builds; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// zeroshot builds the CLI once for every test here.
var zeroshot = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "doc-test-bin")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "zeroshot")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/zeroshot")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/zeroshot: %v\n%s", err, out)
	}
	return bin, nil
})

// helpOf is `zeroshot CMD -h`, cached.
var helpCache sync.Map

func helpOf(t *testing.T, bin, cmd string) string {
	t.Helper()
	if h, ok := helpCache.Load(cmd); ok {
		return h.(string)
	}
	out, _ := exec.Command(bin, cmd, "-h").CombinedOutput() // -h exits 0 or 2 by command; the text is what counts
	helpCache.Store(cmd, string(out))
	return string(out)
}

var flagRe = regexp.MustCompile(`^--?([A-Za-z][A-Za-z0-9-]*)`)

// Every zeroshot command in any block names a command that exists and flags it takes.
func TestCommandsAndFlagsExist(t *testing.T) {
	bin, err := zeroshot()
	require.NoError(t, err)
	topHelp, _ := exec.Command(bin, "help").CombinedOutput()
	targets := makeTargets(t)
	checked := 0
	for _, f := range docFiles(t) {
		for _, b := range parse(t, f) {
			for _, c := range b.cmds {
				for _, seg := range splitPipeline(c.text) {
					words := strings.Fields(seg)
					if len(words) == 0 {
						continue
					}
					where := fmt.Sprintf("%s:%d", rel(b.file), c.line)
					switch base := filepath.Base(words[0]); {
					case base == "zeroshot" && len(words) > 1:
						sub := words[1]
						if strings.HasPrefix(sub, "-") {
							continue
						}
						if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(sub) + `\b`).Match(topHelp) {
							t.Errorf("%s: zeroshot has no command %q", where, sub)
							continue
						}
						help := helpOf(t, bin, sub)
						for _, w := range words[2:] {
							if w == "--" {
								break
							}
							m := flagRe.FindStringSubmatch(w)
							if m == nil {
								continue
							}
							if !regexp.MustCompile(`(^|\s)--?` + regexp.QuoteMeta(m[1]) + `\b`).MatchString(help) {
								t.Errorf("%s: zeroshot %s has no flag %s (zeroshot %s -h)", where, sub, w, sub)
							}
						}
						checked++
					case base == "make":
						for _, w := range words[1:] {
							if strings.Contains(w, "=") || strings.HasPrefix(w, "-") {
								continue
							}
							if !targets[w] {
								t.Errorf("%s: make has no target %q", where, w)
							}
						}
						checked++
					}
				}
			}
		}
	}
	require.Greater(t, checked, 20, "checked too few commands: the parser is broken")
}

var (
	subshell = regexp.MustCompile(`\$\([^()]*(\([^()]*\))?[^()]*\)`)
	quoted   = regexp.MustCompile(`'[^']*'|"[^"]*"`)
)

// splitPipeline splits a command line at |, &&, ; and drops a leading VAR=value and
// redirections; quoted strings, then $(…), become one word ARG first.
func splitPipeline(s string) []string {
	s = quoted.ReplaceAllString(s, "ARG")
	s = subshell.ReplaceAllString(s, "ARG")
	parts := regexp.MustCompile(`\s*(\|\||&&|\||;)\s*`).Split(s, -1)
	for i, p := range parts {
		w := strings.Fields(p)
		for len(w) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(w[0]) {
			w = w[1:]
		}
		var keep []string
		for j := 0; j < len(w); j++ {
			if strings.HasPrefix(w[j], "<") || strings.HasPrefix(w[j], ">") || strings.HasPrefix(w[j], "2>") {
				if len(w[j]) == 1 || w[j] == "2>" {
					j++
				}
				continue
			}
			keep = append(keep, w[j])
		}
		parts[i] = strings.Join(keep, " ")
	}
	return parts
}

// makeTargets lists the targets of the Makefile and what it includes.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range []string{"Makefile", "libtorch.mk"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		require.NoError(t, err)
		for _, m := range makeTarget.FindAllSubmatch(b, -1) {
			for _, name := range strings.Fields(string(m[1])) {
				out[name] = true
			}
		}
	}
	require.True(t, out["test"] && out["parity"], "the Makefile parser found no test/parity target")
	return out
}

// Every relative link resolves to a file, and a #anchor to one of its headings.
func TestLinks(t *testing.T) {
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		inCode := false
		for n, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "```") {
				inCode = !inCode
			}
			if inCode {
				continue
			}
			for _, m := range linkRe.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				where := fmt.Sprintf("%s:%d", rel(f), n+1)
				path, anchor, _ := strings.Cut(target, "#")
				file := f
				if path != "" {
					file = filepath.Join(filepath.Dir(f), path)
					if _, err := os.Stat(file); err != nil {
						t.Errorf("%s: link %s: no such file", where, target)
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(file, ".md") && !anchors(t, file)[anchor] {
					t.Errorf("%s: link %s: %s has no heading #%s", where, target, rel(file), anchor)
				}
			}
		}
	}
}

var anchorCache sync.Map

// anchors are GitHub's heading ids of a markdown file.
func anchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	if a, ok := anchorCache.Load(file); ok {
		return a.(map[string]bool)
	}
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	out := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		m := headingRe.FindStringSubmatch(line)
		if inCode || m == nil {
			continue
		}
		out[slug(m[2])] = true
	}
	anchorCache.Store(file, out)
	return out
}

// slug is GitHub's anchor of a heading: lower case, punctuation but - and _ dropped,
// spaces to hyphens.
func slug(h string) string {
	h = strings.ToLower(h)
	var b strings.Builder
	for _, r := range h {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 127 && !strings.ContainsRune("÷×–—’“”…·", r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The run blocks, against the fixtures and a fake Hub serving the tiny model under the
// real model's name.
func TestRunBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the README's and docs' runnable commands with the CLI against the fixtures; make test runs it")
	}
	bin, err := zeroshot()
	require.NoError(t, err)
	abs, err := filepath.Abs(root)
	require.NoError(t, err)
	repo, err := hubtest.LoadRepo(hub.DefaultModel, filepath.Join(abs, "testdata", "models", "tiny-l14"), "golden*", "pytorch_model.bin")
	require.NoError(t, err)
	srv := hubtest.NewServer(repo)
	defer srv.Close()

	ran := 0
	for _, f := range docFiles(t) {
		for _, b := range parse(t, f) {
			if b.marker != "run" {
				continue
			}
			dir := t.TempDir()
			require.NoError(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
			require.NoError(t, os.Symlink(bin, filepath.Join(dir, "bin", "zeroshot")))
			for _, d := range []string{"examples", "testdata"} {
				require.NoError(t, os.Symlink(filepath.Join(abs, d), filepath.Join(dir, d)))
			}
			env := append(os.Environ(), "PATH="+filepath.Join(dir, "bin")+":"+os.Getenv("PATH"),
				"HF_ENDPOINT="+srv.URL, "HF_HOME="+filepath.Join(dir, "hf"), "HF_HUB_CACHE=", "HF_TOKEN=")
			for _, c := range b.cmds {
				where := fmt.Sprintf("%s:%d", rel(b.file), c.line)
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", c.text)
				cmd.Dir, cmd.Env = dir, env
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				cancel()
				if err != nil {
					t.Errorf("%s: %s: %v\n%s", where, c.text, err, out.String())
					continue
				}
				t.Logf("%s: %s: ok (%d bytes of output)", where, c.text, out.Len())
				ran++
			}
		}
	}
	require.Greater(t, ran, 3, "ran too few commands")
}

// The README stays a front door.
func TestReadmeLength(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	lines := strings.Count(string(b), "\n")
	require.LessOrEqual(t, lines, 250, "README.md has %d lines: move depth to docs/", lines)
}

// Which blocks are marked how, for the log (and the note).
func TestMarkerSummary(t *testing.T) {
	counts := map[string]int{}
	for _, f := range docFiles(t) {
		for _, b := range parse(t, f) {
			k := b.marker
			if strings.HasPrefix(k, "needs ") {
				k = "needs " + strings.SplitN(strings.TrimPrefix(k, "needs "), " (", 2)[0]
			}
			counts[k] += len(b.cmds)
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%4d commands: %s", counts[k], k)
	}
}
