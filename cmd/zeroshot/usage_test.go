package main

import (
	"flag"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helpFlags lists the flags a command's -h shows, each with its explanation.
func helpFlags(t *testing.T, cmd string) map[string]string {
	t.Helper()
	code, _, help := zsRun(t, cmd, "-h")
	require.Equal(t, 0, code)
	lines := strings.Split(help, "\n")
	flags := map[string]string{}
	re := regexp.MustCompile(`^  -([a-z0-9-]+)`)
	for i, line := range lines {
		if m := re.FindStringSubmatch(line); m != nil {
			usage := ""
			if i+1 < len(lines) {
				usage = strings.TrimSpace(lines[i+1])
			}
			flags[m[1]] = usage
		}
	}
	require.NotEmpty(t, flags, cmd)
	return flags
}

// Every flag of every command in this package's ownership (classify, embed, tokenize,
// convert) is explained in -h and used by at least one test of this package: the tests
// record the flags they pass through zsRun. Go runs a package's tests in source order
// and this file sorts last, so the record is complete when the whole package runs; with
// -run or -shuffle the check is skipped.
func TestEveryFlagExercised(t *testing.T) {
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		t.Skip("-run: the other tests may not have run")
	}
	if f := flag.Lookup("test.shuffle"); f != nil && f.Value.String() != "off" {
		t.Skip("-shuffle: the other tests may not have run yet")
	}
	for _, cmd := range []string{"classify", "embed", "tokenize", "convert", "merge"} {
		var missing []string
		for name, usage := range helpFlags(t, cmd) {
			assert.NotEmpty(t, usage, "%s --%s has no explanation", cmd, name)
			usedMu.Lock()
			used := usedFlags[cmd][name]
			usedMu.Unlock()
			if !used {
				missing = append(missing, "--"+name)
			}
		}
		sort.Strings(missing)
		assert.Empty(t, missing, "flags of %s no test uses", cmd)
	}
}
