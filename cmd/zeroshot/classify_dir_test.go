package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// imageDir is a directory of 11 images in nested folders, 3 of them unreadable, plus a
// file that is not an image.
func imageDir(t *testing.T) (dir string, bad []string) {
	t.Helper()
	f := func(name string) string { return filepath.Join(imageFiles, name) }
	dir = copyTree(t, map[string]string{
		"cats/chelsea.jpg":    f("photo_chelsea.jpg"),
		"cats/exif6.jpg":      f("jpeg_exif_6.jpg"),
		"cats/broken.png":     f("bad_truncated.png"),
		"misc/rgb.png":        f("png_rgb.png"),
		"misc/palette.GIF":    f("gif_p.gif"),
		"misc/deep/rgb.bmp":   f("bmp_rgb.bmp"),
		"misc/deep/exif.webp": f("webp_exif3.webp"),
		"misc/empty.jpg":      f("bad_empty.jpg"),
		"lzw.tif":             f("tiff_lzw.tif"),
		"la.png":              f("png_la.png"),
		"trunc.gif":           f("bad_truncated.gif"),
		"notes.txt":           filepath.Join(repoRoot, "README.md"),
	})
	return dir, []string{"cats/broken.png", "misc/empty.jpg", "trunc.gif"}
}

func classifyArgs(extra ...string) []string {
	return append([]string{"classify", "--model", tinyModel, "--threads", "1", "--labels", "cat,dog,fox,owl",
		"--progress", "off"}, extra...)
}

func readRecords(t *testing.T, jsonl string) []record {
	t.Helper()
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var r record
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		out = append(out, r)
	}
	return out
}

// A directory run classifies every readable image (the same results as one at a time,
// bit for bit), reports each bad one on stderr and as an error record, and fails at the
// end with the "some files failed" error (exit status 3).
func TestClassifyDirectorySkipsBadFiles(t *testing.T) {
	dir, bad := imageDir(t)
	var out, errOut bytes.Buffer
	recordFlags(classifyArgs("--batch-size", "4"))
	err := runClassify(classifyArgs("--batch-size", "4", dir)[1:], &out, &errOut)
	var ff filesFailedError
	require.True(t, errors.As(err, &ff), "%v", err)
	assert.Equal(t, filesFailedError{failed: 3, total: 11}, ff)
	assert.Equal(t, exitFilesFailed, ff.ExitCode())

	recs := readRecords(t, out.String())
	require.Len(t, recs, 11)
	var names []string
	for _, r := range recs {
		rel, _ := filepath.Rel(dir, r.Image)
		names = append(names, rel)
		isBad := false
		for _, b := range bad {
			isBad = isBad || rel == b
		}
		if isBad {
			assert.NotEmpty(t, r.Error, rel)
			assert.Contains(t, errOut.String(), "skipped "+r.Image)
			continue
		}
		require.Empty(t, r.Error, rel)
		var one []struct {
			Score float64
			Label string
		}
		require.NoError(t, json.Unmarshal([]byte(zsOK(t, classifyArgs("--format", "json", r.Image)...)), &one))
		require.Len(t, r.Results, 4)
		for i := range one {
			assert.Equal(t, one[i].Label, r.Results[i].Label, rel)
			assert.Equal(t, one[i].Score, r.Results[i].Score, "%s: the one-image score, bit for bit, at batch 4", rel)
		}
	}
	assert.Equal(t, []string{"cats/broken.png", "cats/chelsea.jpg", "cats/exif6.jpg", "la.png", "lzw.tif",
		"misc/deep/exif.webp", "misc/deep/rgb.bmp", "misc/empty.jpg", "misc/palette.GIF", "misc/rgb.png", "trunc.gif"}, names,
		"sorted by path, recursively, notes.txt left out")

	// Through run: a non-zero status and the summary on stderr.
	code, _, stderr := zsRun(t, classifyArgs(dir)...)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "3 of 11 images could not be read")
}

// An interrupted run leaves FILE.partial; rerunning resumes it and gives the file an
// uninterrupted run gives, byte for byte, whatever the cut (none, some lines, a torn
// line, all but a torn last line), in each format, with batches of 1 and of 3 (the
// partial batch is redone so that every image is in the batch it would have been in).
func TestClassifyResume(t *testing.T) {
	dir, _ := imageDir(t)
	out := t.TempDir()
	for _, format := range []string{"jsonl", "json", "table"} {
		for _, batch := range []string{"1", "3"} {
			args := classifyArgs("--batch-size", batch, "--format", format, dir)
			ref := filepath.Join(out, "ref"+batch+"."+format)
			code, _, stderr := zsRun(t, append(args, "--output", ref)...)
			require.NotEqual(t, 0, code, stderr) // 3 bad files
			want, err := os.ReadFile(ref)
			require.NoError(t, err)
			assert.NoFileExists(t, ref+".partial")

			// The records an interrupted run would have left, as jsonl.
			code, jsonl, _ := zsRun(t, classifyArgs("--batch-size", batch, "--format", "jsonl", dir)...)
			require.NotEqual(t, 0, code)
			lines := strings.SplitAfter(jsonl, "\n")
			lines = lines[:len(lines)-1]
			cuts := map[string]struct {
				partial string
				whole   int // complete records in it
			}{
				"empty":            {"", 0},
				"one line":         {lines[0], 1},
				"four lines":       {strings.Join(lines[:4], ""), 4},
				"torn fifth line":  {strings.Join(lines[:4], "") + lines[4][:len(lines[4])/2], 4},
				"torn last line":   {strings.Join(lines[:10], "") + lines[10][:len(lines[10])-1], 10},
				"a damaged last":   {strings.Join(lines[:2], "") + "{\"ima\n", 2},
				"every line there": {jsonl, 11},
			}
			n, _ := strconv.Atoi(batch)
			for name, cut := range cuts {
				got := filepath.Join(out, "got."+format)
				os.Remove(got)
				require.NoError(t, os.WriteFile(got+".partial", []byte(cut.partial), 0o644))
				copyFile(t, runPath(ref), runPath(got)) // the interrupted run's fingerprint
				code, _, stderr := zsRun(t, append(args, "--output", got)...)
				assert.NotEqual(t, 0, code, "%s %s: the bad files are counted again", format, name)
				if kept := cut.whole / n * n; kept > 0 { // whole batches are kept
					assert.Contains(t, stderr, fmt.Sprintf("resuming %s.partial: %d of 11 images already done", got, kept), name)
				} else {
					assert.NotContains(t, stderr, "resuming", name)
				}
				b, err := os.ReadFile(got)
				require.NoError(t, err, "%s %s: %s", format, name, stderr)
				assert.Equal(t, string(want), string(b), "%s batch %s, partial %s", format, batch, name)
				assert.NoFileExists(t, got+".partial")
			}
		}
	}
}

// FILE complete: nothing to do unless --force. A FILE.partial from another run (other
// images, labels, --top-k) or damaged in the middle is refused, not mixed in.
func TestClassifyOutputFile(t *testing.T) {
	dir, _ := imageDir(t)
	file := filepath.Join(t.TempDir(), "out.jsonl")
	args := append(classifyArgs("--batch-size", "2", dir), "--output", file)
	code, stdout, _ := zsRun(t, args...)
	require.NotEqual(t, 0, code)
	assert.Empty(t, stdout, "--output: nothing on stdout")
	want, err := os.ReadFile(file)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(file, []byte("kept"), 0o644))
	code, _, stderr := zsRun(t, args...)
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "exists and is complete; nothing to do")
	b, _ := os.ReadFile(file)
	assert.Equal(t, "kept", string(b))

	code, _, _ = zsRun(t, append(args, "--force")...)
	assert.NotEqual(t, 0, code)
	b, _ = os.ReadFile(file)
	assert.Equal(t, string(want), string(b), "--force redoes the run")

	recs := strings.SplitAfter(string(want), "\n")
	chelseaRec := ""
	for _, r := range recs {
		if strings.Contains(r, "chelsea.jpg") {
			chelseaRec = r
		}
	}
	require.NotEmpty(t, chelseaRec)
	other := strings.Replace(chelseaRec, `"label":"owl"`, `"label":"bear"`, 1)
	cases := map[string]struct{ partial, msg string }{
		"other labels":      {other, "other labels or --top-k"},
		"other image":       {`{"image":"elsewhere.png","error":"x"}` + "\n", "not among this run's images"},
		"twice":             {chelseaRec + chelseaRec, "is there twice"},
		"damaged in middle": {"garbage\n" + chelseaRec, "line 1 is not a record"},
	}
	for name, tc := range cases {
		os.Remove(file)
		require.NoError(t, os.WriteFile(file+".partial", []byte(tc.partial), 0o644))
		code, _, stderr := zsRun(t, args...)
		assert.Equal(t, 2, code, name)
		assert.Contains(t, stderr, tc.msg, name)
		assert.Contains(t, stderr, "--force", name)
		assert.NoFileExists(t, file, name)
	}
	code, _, _ = zsRun(t, append(args, "--top-k", "2")...) // the partial holds 4 labels per image
	assert.Equal(t, 2, code)
}

// --shard K/N takes the files whose index ≡ K mod N: the shards partition the list, and
// each image's record is the one of the whole run. --shard auto reads the index and the
// count from Kubernetes' or Slurm's environment.
func TestClassifyShards(t *testing.T) {
	dir, _ := imageDir(t)
	_, all, _ := zsRun(t, classifyArgs("--batch-size", "1", dir)...)
	full := strings.SplitAfter(strings.TrimSpace(all)+"\n", "\n")
	full = full[:len(full)-1]
	require.Len(t, full, 11)
	shardOf := func(extra ...string) []string {
		_, out, stderr := zsRun(t, append(classifyArgs("--batch-size", "1", dir), extra...)...)
		if strings.TrimSpace(out) == "" {
			return nil
		}
		assert.Contains(t, stderr, "shard ")
		lines := strings.SplitAfter(out, "\n")
		return lines[:len(lines)-1]
	}
	for n := 1; n <= 4; n++ {
		seen := map[string]int{}
		for k := 0; k < n; k++ {
			got := shardOf("--shard", strings.Join([]string{itoa(k), itoa(n)}, "/"))
			var want []string
			for i := k; i < len(full); i += n {
				want = append(want, full[i])
			}
			assert.Equal(t, want, got, "shard %d/%d", k, n)
			for _, l := range got {
				seen[l]++
			}
		}
		assert.Len(t, seen, len(full), "N=%d: the union is every image", n)
		for l, c := range seen {
			assert.Equal(t, 1, c, "N=%d: %s in one shard only", n, l)
		}
	}
	// auto: Kubernetes Indexed Job, then a Slurm array 1-3.
	t.Setenv("JOB_COMPLETION_INDEX", "2")
	t.Setenv("ZEROSHOT_SHARDS", "3")
	assert.Equal(t, shardOf("--shard", "2/3"), shardOf("--shard", "auto"))
	assert.Equal(t, shardOf("--shard", "2/4"), shardOf("--shard", "auto", "--shards", "4"))
	os.Unsetenv("JOB_COMPLETION_INDEX")
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
	t.Setenv("SLURM_ARRAY_TASK_MAX", "3")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
	assert.Equal(t, shardOf("--shard", "1/3"), shardOf("--shard", "auto"))
}

func itoa(i int) string { return string(rune('0' + i)) }
