package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// childEnv is the environment for the go and make commands this tool runs: the caller's,
// without a -modfile in GOFLAGS (it names another module's file: the library's own
// Makefile sets one, and it would redirect every go.mod edit made here) and with extra
// KEY=VALUE settings on top.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			var keep []string
			for _, f := range strings.Fields(v) {
				if !strings.HasPrefix(f, "-modfile") && !strings.HasPrefix(f, "--modfile") {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// goCmd runs the go command in dir and returns its stdout; its stderr is in the error.
func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return out, fmt.Errorf("go %s (in %s): %s", strings.Join(args, " "), dir, msg)
	}
	return out, nil
}
