package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func readIndex(t *testing.T, path string) []indexRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []indexRecord
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var r indexRecord
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		out = append(out, r)
	}
	return out
}

// indexRows reads the rows an index points at, by image (nil for error records).
func indexRows(t *testing.T, index string) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	parts := map[string][]float32{}
	cols := 0
	for _, r := range readIndex(t, index) {
		if r.Error != "" {
			out[r.Image] = nil
			continue
		}
		data, ok := parts[r.Part]
		if !ok {
			var shape []int
			data, shape = readNPY(t, filepath.Join(filepath.Dir(index), r.Part))
			parts[r.Part], cols = data, shape[1]
		}
		require.NotNil(t, r.Row)
		out[r.Image] = data[*r.Row*cols : (*r.Row+1)*cols]
	}
	return out
}

// files returns the files of dir (recursively) and their contents.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			rel, _ := filepath.Rel(dir, path)
			out[rel] = string(b)
		}
		return err
	}))
	return out
}

func names(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func embedArgs(extra ...string) []string {
	return append([]string{"embed", "--model", tinyModel, "--threads", "1", "--progress", "off", "--images"}, extra...)
}

// A collection with unreadable files: every readable image gets its row (the rows a
// JSONL run gives it, bit for bit), every other an error record, in list order; parts
// hold at most --part-rows rows; the run ends with exit status 3 and nothing partial.
func TestEmbedCollection(t *testing.T) {
	dir, bad := imageDir(t)
	out := t.TempDir()
	list, err := zeroshot.FindImages(dir)
	require.NoError(t, err)

	code, stdout, stderr := zsRun(t, embedArgs("--batch-size", "4", "--part-rows", "3", "--output", filepath.Join(out, "emb.npy"), dir)...)
	assert.Equal(t, exitFilesFailed, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "3 of 11 images could not be read")
	for _, b := range bad {
		assert.Contains(t, stderr, "skipped "+filepath.Join(dir, b))
	}
	index := readIndex(t, filepath.Join(out, "emb.index.jsonl"))
	require.Len(t, index, len(list))
	rows := 0
	for i, r := range index {
		assert.Equal(t, list[i], r.Image)
		rel, _ := filepath.Rel(dir, r.Image)
		if contains(bad, rel) {
			assert.NotEmpty(t, r.Error, rel)
			assert.NotContains(t, r.Error, r.Image, "the record names the file once")
			continue
		}
		require.Empty(t, r.Error, rel)
		assert.Equal(t, fmt.Sprintf("emb-%05d.npy", rows/3), r.Part)
		assert.Equal(t, rows%3, *r.Row)
		rows++
	}
	assert.Equal(t, []string{"emb-00000.npy", "emb-00001.npy", "emb-00002.npy", "emb.index.jsonl", "emb.index.jsonl.run.json"}, names(files(t, out)))
	_, shape := readNPY(t, filepath.Join(out, "emb-00002.npy"))
	assert.Equal(t, []int{2, 64}, shape)

	jsonl := filepath.Join(out, "emb.jsonl")
	code, _, _ = zsRun(t, embedArgs("--batch-size", "4", "--output", jsonl, dir)...)
	assert.Equal(t, exitFilesFailed, code)
	byImage := indexRows(t, filepath.Join(out, "emb.index.jsonl"))
	b, err := os.ReadFile(jsonl)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, len(list))
	for i, line := range lines {
		var r embedRecord
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		assert.Equal(t, list[i], r.Image)
		assert.Equal(t, byImage[r.Image], r.Embedding, "%s: the same bits in both formats", r.Image)
		assert.Equal(t, r.Error == "", r.Embedding != nil)
	}

	// Complete: a rerun does nothing; --force redoes it, over fewer images: the parts
	// beyond the new run's are removed.
	_, _, stderr = zsRun(t, embedArgs("--batch-size", "4", "--part-rows", "3", "--output", filepath.Join(out, "emb.npy"), dir)...)
	assert.Contains(t, stderr, "nothing to do")
	code, _, stderr = zsRun(t, embedArgs("--part-rows", "3", "--force", "--output", filepath.Join(out, "emb.npy"), filepath.Join(dir, "cats"))...)
	assert.Equal(t, exitFilesFailed, code, stderr)
	assert.Equal(t, []string{"emb-00000.npy", "emb.index.jsonl", "emb.index.jsonl.run.json", "emb.jsonl", "emb.jsonl.run.json"}, names(files(t, out)))
	assert.Len(t, readIndex(t, filepath.Join(out, "emb.index.jsonl")), 3)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The state a run killed at any point leaves (records of whole batches and a torn
// line, rows written beyond the records, a torn row, a full part not yet sealed or
// sealed after the index was cut, a part created but empty), generated at random from
// an uninterrupted run's files: rerunning the command gives that run's files, byte for
// byte, and nothing else.
func TestEmbedResumeAnyKillPoint(t *testing.T) {
	src := t.TempDir()
	for i := 0; i < 23; i++ {
		from := []string{chelsea, filepath.Join(pipelineDir, "gradient.png"), filepath.Join(imageFiles, "png_rgb.png"),
			filepath.Join(imageFiles, "bad_truncated.png")}[i%4*(i%3)%4]
		b, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(src, fmt.Sprintf("img%02d.png", i)), b, 0o644))
	}
	const batch, partRows = 3, 4
	refDir := t.TempDir()
	args := func(out string) []string {
		return embedArgs("--batch-size", fmt.Sprint(batch), "--part-rows", fmt.Sprint(partRows), "--output", out, src)
	}
	zsRun(t, args(filepath.Join(refDir, "e.npy"))...)
	ref := files(t, refDir)
	index := readIndex(t, filepath.Join(refDir, "e.index.jsonl"))
	require.Len(t, index, 23)
	refLines := strings.SplitAfter(ref["e.index.jsonl"], "\n")
	header := func(rows int) []byte {
		h, err := preprocess.NPYHeader(rows, 64)
		require.NoError(t, err)
		return h
	}
	var allRows [][]byte // the run's rows, in order, as bytes
	for _, r := range index {
		if r.Error != "" {
			continue
		}
		start := len(header(0)) + *r.Row*64*4
		allRows = append(allRows, []byte(ref[r.Part])[start:start+64*4])
	}
	rowsBefore := func(lines int) int { // good images among the first lines records
		n := 0
		for _, r := range index[:lines] {
			if r.Error == "" {
				n++
			}
		}
		return n
	}

	r := rand.New(rand.NewSource(18))
	for trial := 0; trial < 30; trial++ {
		dir := t.TempDir()
		batches := r.Intn(23/batch + 1)
		kept := min(batches*batch, 23)
		idx := strings.Join(refLines[:kept], "")
		if kept < 23 && r.Intn(2) == 0 {
			next := refLines[kept]
			idx += next[:r.Intn(len(next))] // a torn line
		}
		// Rows on disk: at least the recorded ones, at most those of the next batch.
		recorded := rowsBefore(kept)
		written := recorded + r.Intn(rowsBefore(min(kept+batch, 23))-recorded+1)
		state := fmt.Sprintf("index %d lines + %d bytes, rows %d recorded %d written", kept, len(idx)-len(strings.Join(refLines[:kept], "")), recorded, written)
		write := func(name string, b []byte) { require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644)) }
		write("e.index.jsonl.partial", []byte(idx))
		write("e.index.jsonl.run.json", []byte(ref["e.index.jsonl.run.json"])) // the killed run's fingerprint
		for k := 0; k*partRows < written; k++ {
			lo, hi := k*partRows, min((k+1)*partRows, written)
			var body []byte
			for _, row := range allRows[lo:hi] {
				body = append(body, row...)
			}
			name := fmt.Sprintf("e-%05d.npy", k)
			switch {
			case hi-lo == partRows && (hi < written || r.Intn(3) > 0): // full: sealed (usually)
				write(name, append(header(partRows), body...))
			case hi-lo == partRows && r.Intn(2) == 0: // full, header rewritten, not renamed
				write(name+".partial", append(header(partRows), body...))
			default: // open
				if r.Intn(3) == 0 {
					body = append(body, allRows[0][:1+r.Intn(len(allRows[0])-1)]...) // a torn row
				}
				write(name+".partial", append(header(0), body...))
			}
		}
		if written%partRows == 0 && r.Intn(3) == 0 {
			write(fmt.Sprintf("e-%05d.npy.partial", written/partRows), header(0)) // created, no row yet
		}
		code, _, stderr := zsRun(t, args(filepath.Join(dir, "e.npy"))...)
		require.Equal(t, exitFilesFailed, code, "%s: %s", state, stderr)
		got := files(t, dir)
		require.Equal(t, names(ref), names(got), state)
		for name := range ref {
			require.Equal(t, ref[name], got[name], "%s: %s", state, name)
		}
	}

	// The same for JSONL output: FILE.partial cut anywhere.
	jsonRef := filepath.Join(refDir, "e.jsonl")
	zsRun(t, args(jsonRef)...)
	want, err := os.ReadFile(jsonRef)
	require.NoError(t, err)
	for trial := 0; trial < 10; trial++ {
		out := filepath.Join(t.TempDir(), "e.jsonl")
		require.NoError(t, os.WriteFile(out+".partial", want[:r.Intn(len(want))], 0o644))
		copyFile(t, runPath(jsonRef), runPath(out))
		zsRun(t, args(out)...)
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
		assert.NoFileExists(t, out+".partial")
	}

	// An index written with other --part-rows is refused, not mixed.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "e.index.jsonl.partial"), []byte(strings.Join(refLines[:9], "")), 0o644))
	copyFile(t, filepath.Join(refDir, "e.index.jsonl.run.json"), filepath.Join(dir, "e.index.jsonl.run.json"))
	code, _, stderr := zsRun(t, embedArgs("--batch-size", "3", "--part-rows", "2", "--output", filepath.Join(dir, "e.npy"), src)...)
	assert.Equal(t, 2, code, "bad input: a scheduler need not retry")
	assert.Contains(t, stderr, "other --part-rows")
}

// Shards embed whole forwards (one image each on CPU): their rows together are the
// unsharded run's, bit for bit.
func TestEmbedShards(t *testing.T) {
	dir, _ := imageDir(t)
	out := t.TempDir()
	base := func(o string, extra ...string) []string {
		return embedArgs(append([]string{"--batch-size", "2", "--output", filepath.Join(out, o)}, append(extra, dir)...)...)
	}
	zsRun(t, base("all.npy")...)
	want := indexRows(t, filepath.Join(out, "all.index.jsonl"))
	got := map[string][]float32{}
	for k := 0; k < 3; k++ {
		var args []string
		if k == 2 { // the Kubernetes Indexed Job way
			t.Setenv("JOB_COMPLETION_INDEX", "2")
			args = base("s2.npy", "--shard", "auto", "--shards", "3")
		} else {
			args = base(fmt.Sprintf("s%d.npy", k), "--shard", fmt.Sprintf("%d/3", k))
		}
		_, _, stderr := zsRun(t, args...)
		assert.Contains(t, stderr, fmt.Sprintf("shard %d/3", k))
		rows := indexRows(t, filepath.Join(out, fmt.Sprintf("s%d.index.jsonl", k)))
		for img, row := range rows {
			_, dup := got[img]
			assert.False(t, dup, img)
			got[img] = row
		}
	}
	assert.Equal(t, want, got)
	var s shard
	for _, tc := range []struct{ n, batch, k, shards int }{{11, 2, 0, 3}, {11, 2, 2, 3}, {10, 5, 1, 2}, {3, 4, 1, 2}} {
		paths := make([]string, tc.n)
		for i := range paths {
			paths[i] = fmt.Sprint(i)
		}
		s = shard{tc.k, tc.shards}
		var wantShard []string
		for i := range paths {
			if i/tc.batch%tc.shards == tc.k {
				wantShard = append(wantShard, paths[i])
			}
		}
		assert.Equal(t, wantShard, s.applyBatches(paths, tc.batch), "%+v", tc)
	}
}

// A real process killed (SIGKILL) at a random point, then rerun: the files of an
// uninterrupted run, byte for byte, for .npy parts and for JSONL.
func TestEmbedKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the zeroshot binary and runs it in child processes; make test runs it")
	}
	bin := buildZeroshot(t)
	many := t.TempDir()
	for i := 0; i < 160; i++ {
		src, _ := filepath.Abs([]string{chelsea, filepath.Join(pipelineDir, "gradient.png"), filepath.Join(imageFiles, "bad_empty.jpg")}[i%7%3])
		require.NoError(t, os.Symlink(src, filepath.Join(many, fmt.Sprintf("img%03d.png", i))))
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	for _, name := range []string{"e.npy", "e.jsonl"} {
		args := func(out string) []string {
			return embedArgs("--batch-size", "2", "--part-rows", "7", "--output", out, many)
		}
		recordFlags(args(""))
		dir := t.TempDir()
		out := filepath.Join(dir, name)
		partial := strings.TrimSuffix(out, ".npy")
		if strings.HasSuffix(name, ".npy") {
			partial += ".index.jsonl"
		}
		partial += ".partial"
		cmd := exec.Command(bin, args(out)...)
		require.NoError(t, cmd.Start())
		stopAt := 2 + r.Intn(140)
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if b, _ := os.ReadFile(partial); bytes.Count(b, []byte("\n")) >= stopAt {
				break
			}
			time.Sleep(time.Millisecond)
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		done := countLines(t, partial)
		code, stderr := exitStatus(t, bin, args(out)...)
		require.Equal(t, exitFilesFailed, code, stderr)
		t.Logf("%s: killed after %d records (aimed at %d), resumed", name, done, stopAt)
		refDir := t.TempDir()
		code, stderr = exitStatus(t, bin, args(filepath.Join(refDir, name))...)
		require.Equal(t, exitFilesFailed, code, stderr)
		want, got := files(t, refDir), files(t, dir)
		require.Equal(t, names(want), names(got))
		for n := range want {
			assert.Equal(t, want[n], got[n], "%s: %s", name, n)
		}
	}
}

func countLines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}
