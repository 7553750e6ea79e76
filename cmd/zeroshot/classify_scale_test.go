package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// Above topKAutoLabels labels, the default is the best topKAuto per image; --top-k 0
// gives all, and at topKAutoLabels labels the output is the pipeline's, all labels.
// --label-batch changes how the text pass runs, not the scores.
func TestClassifyManyLabels(t *testing.T) {
	dir := t.TempDir()
	write := func(n int) string {
		labels := make([]string, n)
		for i := range labels {
			labels[i] = fmt.Sprintf("thing number %d", i)
		}
		path := filepath.Join(dir, fmt.Sprintf("labels%d.txt", n))
		require.NoError(t, os.WriteFile(path, []byte(strings.Join(labels, "\n")), 0o644))
		return path
	}
	base := []string{"classify", "--model", tinyModel, "--threads", "1", "--format", "json", chelsea}
	results := func(args ...string) []zeroshot.Result {
		var res []zeroshot.Result
		out := zsOK(t, append(append([]string{}, base...), args...)...)
		require.NoError(t, json.Unmarshal([]byte(out), &res), out)
		return res
	}
	many, limit := write(topKAutoLabels+1), write(topKAutoLabels)
	top := results("--labels-file", many)
	assert.Len(t, top, topKAuto)
	all := results("--labels-file", many, "--top-k", "0")
	assert.Len(t, all, topKAutoLabels+1)
	assert.Equal(t, all[:topKAuto], top)
	assert.Len(t, results("--labels-file", many, "--top-k", "7"), 7)
	assert.Len(t, results("--labels-file", limit), topKAutoLabels)

	assert.Equal(t, all, results("--labels-file", many, "--top-k", "0", "--label-batch", "128"),
		"chunks of 128 labels: the one batch's scores")
	_, _, stderr := zsRun(t, append(base, "--labels-file", many, "--label-batch", "-1")...)
	assert.Contains(t, stderr, "--label-batch")

	// --help says it.
	_, _, help := zsRun(t, "classify", "-h")
	assert.Contains(t, help, fmt.Sprintf("Above 1,000 labels only the best %d", topKAuto))
	assert.Equal(t, 1000, topKAutoLabels, "the help says 1,000")
}
