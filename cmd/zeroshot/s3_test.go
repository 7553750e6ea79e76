package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/s3test"
)

// s3Collection is a bucket "photos" whose prefix set/ holds the same objects as the
// returned directory holds files: 12 images, one truncated, one HTML page named .jpg,
// and a text file that the listing, like a directory walk, leaves out.
func s3Collection(t *testing.T) (*s3test.Server, string) {
	t.Helper()
	srv := s3test.Start(t)
	srv.Env(t)
	files := map[string]string{}
	for i, n := range []string{"photo_chelsea.jpg", "jpeg_exif_6.jpg", "png_rgba.png", "gif_p.gif", "webp_lossy.webp",
		"tiff_lzw.tif", "png_la.png", "jpeg_cmyk.jpg", "bmp_rgb.bmp", "png_p.png", "jpeg_gray.jpg", "upscale_100x50.png", "bad_truncated.png"} {
		files[fmt.Sprintf("set/%02d/%s", i%3, n)] = filepath.Join(imageFiles, n)
	}
	dir := copyTree(t, files)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "set", "page.jpg"), []byte("<html>moved</html>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "set", "readme.txt"), []byte("photos"), 0o644))
	objects := map[string][]byte{}
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			objects[filepath.ToSlash(rel)] = b
		}
		return err
	}))
	srv.Bucket(t, "photos")
	srv.Put(t, "photos", objects, 4)
	return srv, dir
}

// classify and embed over s3://bucket/prefix/: sharded runs merged give what one run
// over the same files on disk gives, record for record and bit for bit (the names aside:
// s3://photos/set/… for DIR/set/…); unreadable objects are error records (exit 3).
func TestS3ClassifyEmbedShards(t *testing.T) {
	_, dir := s3Collection(t)
	local := readRecords(t, strings.TrimSpace(func() string {
		code, out, stderr := zsRun(t, classifyArgs("--batch-size", "1", filepath.Join(dir, "set"))...)
		require.Equal(t, exitFilesFailed, code, stderr)
		return out
	}()))
	require.Len(t, local, 14)

	out := t.TempDir()
	for k := 0; k < 3; k++ {
		code, _, stderr := zsRun(t, classifyArgs("--batch-size", "1", "s3://photos/set/", "--shard", fmt.Sprintf("%d/3", k),
			"--output", filepath.Join(out, fmt.Sprintf("part-%d.jsonl", k)))...)
		require.Contains(t, []int{0, exitFilesFailed}, code, stderr)
	}
	merged := readRecords(t, zsOK(t, "merge", "--images", "s3://photos/set", filepath.Join(out, "part-*.jsonl")))
	require.Len(t, merged, len(local))
	failed := 0
	for i := range local {
		rel, err := filepath.Rel(dir, local[i].Image)
		require.NoError(t, err)
		assert.Equal(t, "s3://photos/"+filepath.ToSlash(rel), merged[i].Image)
		assert.Equal(t, local[i].Results, merged[i].Results, merged[i].Image)
		if local[i].Error != "" {
			failed++
			assert.NotEmpty(t, merged[i].Error)
		}
	}
	assert.Equal(t, 2, failed)
	byImage := map[string]string{}
	for _, r := range merged {
		byImage[r.Image] = r.Error
	}
	assert.Contains(t, byImage["s3://photos/set/page.jpg"], `not an image (Content-Type "`)
	assert.Equal(t, "png: truncated: image file is truncated: png: invalid format: not enough pixel data", byImage["s3://photos/set/00/bad_truncated.png"])

	// embed: .npy parts from the bucket hold the rows the files give.
	code, _, stderr := zsRun(t, append(embedArgs("--output", filepath.Join(out, "files.npy")), filepath.Join(dir, "set"))...)
	require.Equal(t, exitFilesFailed, code, stderr)
	code, _, stderr = zsRun(t, append(embedArgs("--output", filepath.Join(out, "s3.npy"), "--shard", "1/2"), "s3://photos/set/")...)
	require.Contains(t, []int{0, exitFilesFailed}, code, stderr)
	code, _, stderr = zsRun(t, append(embedArgs("--output", filepath.Join(out, "s3b.npy"), "--shard", "0/2"), "s3://photos/set/")...)
	require.Contains(t, []int{0, exitFilesFailed}, code, stderr)
	rows := indexRows(t, filepath.Join(out, "files.index.jsonl"))
	s3rows := indexRows(t, filepath.Join(out, "s3.index.jsonl"))
	for k, v := range indexRows(t, filepath.Join(out, "s3b.index.jsonl")) {
		s3rows[k] = v
	}
	require.Len(t, s3rows, len(rows))
	for name, row := range rows {
		rel, _ := filepath.Rel(dir, name)
		assert.Equal(t, row, s3rows["s3://photos/"+filepath.ToSlash(rel)], name)
	}

	// An object named in --images-from, a missing one among them: an error record.
	list := filepath.Join(out, "list.txt")
	require.NoError(t, os.WriteFile(list, []byte("s3://photos/set/00/photo_chelsea.jpg\ns3://photos/set/nothing.jpg\n"), 0o644))
	code, jsonl, stderr := zsRun(t, classifyArgs("--images-from", list)...)
	require.Equal(t, exitFilesFailed, code, stderr)
	recs := readRecords(t, jsonl)
	require.Len(t, recs, 2)
	assert.Len(t, recs[0].Results, 4)
	assert.Contains(t, recs[1].Error, "HTTP 404 Not Found (NoSuchKey")

	// Nothing under a prefix, or no such bucket: usage errors naming it.
	code, _, stderr = zsRun(t, classifyArgs("s3://photos/none/")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "s3://photos/none/: no image objects under s3://photos/none/")
	code, _, stderr = zsRun(t, classifyArgs("s3://no-such-bucket/x/")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "NoSuchBucket")
}
