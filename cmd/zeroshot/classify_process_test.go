package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exitStatus runs the binary and returns its exit status and stderr.
func exitStatus(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stderr.String()
}

// A real process: its exit statuses, and a run interrupted by SIGINT that a rerun
// resumes into the file an uninterrupted run writes.
func TestClassifyProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the zeroshot binary and runs it in child processes; make test runs it")
	}
	bin := buildZeroshot(t)
	base := []string{"classify", "--model", tinyModel, "--threads", "1", "--progress", "off"}
	recordFlags(base)

	code, stderr := exitStatus(t, bin, append(base, "--labels", "cat,dog", chelsea)...)
	assert.Equal(t, 0, code, stderr)
	code, stderr = exitStatus(t, bin, append(base, chelsea)...)
	assert.Equal(t, 2, code, "usage: %s", stderr)
	code, stderr = exitStatus(t, bin, append(base, "--labels", "cat,dog", "--model", filepath.Join(t.TempDir(), "none"), chelsea)...)
	assert.Equal(t, 1, code, "missing model: %s", stderr)
	dir, _ := imageDir(t)
	code, stderr = exitStatus(t, bin, append(base, "--labels", "cat,dog", dir)...)
	assert.Equal(t, exitFilesFailed, code, stderr)
	assert.Contains(t, stderr, "3 of 11 images could not be read")
	t.Logf("exit statuses: ok 0, usage 2, missing model 1, some files failed %d", code)

	// 300 images (links to two), batches of 2: SIGINT after the first batches are written.
	many := t.TempDir()
	for i := 0; i < 300; i++ {
		src, _ := filepath.Abs([]string{chelsea, filepath.Join(pipelineDir, "gradient.png")}[i%2])
		require.NoError(t, os.Symlink(src, filepath.Join(many, fmt.Sprintf("img%03d.png", i))))
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := append(base, "--labels", "cat,dog,fox,owl", "--batch-size", "2", "--output", out, many)
	cmd := exec.Command(bin, args...)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(out + ".partial"); bytes.Count(b, []byte("\n")) >= 5 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Skipf("the run ended before SIGINT (%v): nothing to resume", err)
	}
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, errBuf.String(), "interrupted; "+out+".partial keeps the images done so far")
	assert.NoFileExists(t, out)
	partial, err := os.ReadFile(out + ".partial")
	require.NoError(t, err)
	lines := bytes.Count(partial, []byte("\n"))
	assert.True(t, len(partial) > 0 && partial[len(partial)-1] == '\n', "whole batches only")
	assert.Less(t, lines, 300)
	t.Logf("interrupted after %d of 300 images", lines)

	code, stderr = exitStatus(t, bin, args...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "resuming")
	resumed, err := os.ReadFile(out)
	require.NoError(t, err)
	ref := filepath.Join(t.TempDir(), "ref.jsonl")
	zsOK(t, append(append([]string{}, args[:len(args)-3]...), "--output", ref, many)...)
	want, err := os.ReadFile(ref)
	require.NoError(t, err)
	assert.Equal(t, 300, strings.Count(string(want), "\n"))
	assert.Equal(t, string(want), string(resumed), "resumed = uninterrupted, byte for byte")
}
