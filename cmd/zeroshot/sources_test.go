package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goodFixtures are the fixture images that decode (not bad_*, not the 12-megapixel one,
// which only slows the test), sorted.
func goodFixtures(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(imageFiles)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if n := e.Name(); !strings.HasPrefix(n, "bad_") && !strings.HasPrefix(n, "big_") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// webServer serves the fixture images under /img/ and the web's failures: redirect
// chains (/redirect/N), a server that does not answer in time (/slow), a body over the
// limit (/huge), a page that is not an image (/page), and 404 for anything else.
func webServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/img/", http.StripPrefix("/img/", http.FileServer(http.Dir(imageFiles))))
	mux.HandleFunc("/redirect/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		var name string
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/redirect/"), "%d", &n)
		name = r.URL.Query().Get("to")
		if n <= 0 {
			http.Redirect(w, r, "/img/"+name, http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d?to=%s", n-1, name), http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile(filepath.Join(imageFiles, "photo_chelsea.jpg"))
		w.Write(b)
		w.Write(bytes.Repeat([]byte{0}, 2<<20))
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>an image was here</body></html>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// Every fixture image by URL gives the records its file gives, bit for bit, in both
// parity profiles and with both image backends of "5"; embeddings too. The log says how
// many of how many.
func TestURLsMatchFiles(t *testing.T) {
	srv := webServer(t)
	names := goodFixtures(t)
	var paths, urls []string
	for _, n := range names {
		paths = append(paths, filepath.Join(imageFiles, n))
		urls = append(urls, srv.URL+"/img/"+n)
	}
	list := filepath.Join(t.TempDir(), "urls.txt")
	require.NoError(t, os.WriteFile(list, []byte("# the fixtures by URL\n"+strings.Join(urls, "\n")+"\n"), 0o644))
	for _, prof := range [][]string{{"--parity", "4.54"}, {"--parity", "5"}, {"--parity", "5", "--image-backend", "pil"}} {
		t.Run(strings.Join(prof, " "), func(t *testing.T) {
			byPath := readRecords(t, zsOK(t, classifyArgs(append(prof, append([]string{"--format", "jsonl"}, paths...)...)...)...))
			byURL := readRecords(t, zsOK(t, classifyArgs(append(prof, "--format", "jsonl", "--images-from", list, "--fetch-concurrency", "4")...)...))
			require.Len(t, byURL, len(paths))
			same, scores := 0, 0
			for i := range paths {
				require.Equal(t, urls[i], byURL[i].Image)
				require.Empty(t, byURL[i].Error)
				require.Len(t, byURL[i].Results, len(byPath[i].Results))
				for k := range byPath[i].Results {
					scores++
					if byPath[i].Results[k] == byURL[i].Results[k] {
						same++
					}
				}
			}
			t.Logf("%s: %d images by URL and by path: %d/%d scores bit-identical", strings.Join(prof, " "), len(paths), same, scores)
			require.Equal(t, scores, same)

			out := t.TempDir()
			code, _, stderr := zsRun(t, append(embedArgs(append(prof, "--output", filepath.Join(out, "files.jsonl"))...), paths...)...)
			require.Equal(t, 0, code, stderr)
			code, _, stderr = zsRun(t, embedArgs(append(prof, "--output", filepath.Join(out, "urls.jsonl"), "--images-from", list,
				"--fetch-concurrency", "2", "--fetch-timeout", "10s", "--fetch-max-size", "16MiB", "--fetch-redirects", "1")...)...)
			require.Equal(t, 0, code, stderr)
			ef, eu := readEmbedJSONL(t, filepath.Join(out, "files.jsonl")), readEmbedJSONL(t, filepath.Join(out, "urls.jsonl"))
			values, sameValues := 0, 0
			for i, p := range paths {
				require.Len(t, eu[urls[i]], len(ef[p]))
				for k := range ef[p] {
					values++
					if ef[p][k] == eu[urls[i]][k] {
						sameValues++
					}
				}
			}
			t.Logf("%s: embeddings by URL and by path: %d/%d values bit-identical", strings.Join(prof, " "), sameValues, values)
			require.Equal(t, values, sameValues)
		})
	}
}

func readEmbedJSONL(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string][]float32{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r embedRecord
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		out[r.Image] = r.Embedding
	}
	return out
}

// A run over URLs that fail in every way the web fails: each gets an error record
// naming the reason, is reported on stderr, the others are classified, and the run
// ends with exit status 3; the progress summary counts the downloads.
func TestURLErrors(t *testing.T) {
	srv := webServer(t)
	good := srv.URL + "/img/photo_chelsea.jpg"
	cases := []struct{ url, reason string }{
		{good, ""},
		{srv.URL + "/redirect/1?to=png_rgb.png", ""},
		{srv.URL + "/redirect/2?to=png_rgb.png", "more than 2 redirects (the last to " + srv.URL + "/img/png_rgb.png)"},
		{srv.URL + "/slow", "no complete answer within 1s"},
		{srv.URL + "/huge", "more than 1048576 bytes, the limit"},
		{srv.URL + "/page", `not an image (Content-Type "text/html"; the body starts "<html><body>an image was…")`},
		{srv.URL + "/img/missing.jpg", "HTTP 404 Not Found"},
		{srv.URL + "/img/bad_truncated.png", "png: truncated: image file is truncated: png: invalid format: not enough pixel data"},
		{"data:image/png;base64,@@@", "illegal base64 data at input byte 0"},
	}
	args := []string{"--fetch-timeout", "1s", "--fetch-max-size", "1MiB", "--fetch-redirects", "2", "--progress", "plain", "--batch-size", "3"}
	for _, c := range cases {
		args = append(args, c.url)
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, stderr := zsRun(t, classifyArgs(append(args, "--output", out)...)...)
	require.Equal(t, exitFilesFailed, code, stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	recs := readRecords(t, string(b))
	require.Len(t, recs, len(cases))
	for i, c := range cases {
		assert.Equal(t, c.url, recs[i].Image)
		assert.Equal(t, c.reason, recs[i].Error, c.url)
		if c.reason == "" {
			assert.Len(t, recs[i].Results, 4)
		} else {
			assert.Contains(t, stderr, "skipped ")
		}
	}
	assert.Contains(t, stderr, "zeroshot classify: skipped "+srv.URL+"/img/missing.jpg: HTTP 404 Not Found\n")
	assert.Contains(t, stderr, "skipped data:image/png;base64,@@@: illegal base64 data at input byte 0\n")
	assert.Contains(t, stderr, "9 of 9 images in ")
	assert.Contains(t, stderr, "7 failed; 3 fetched (")
	assert.Contains(t, stderr, "), 5 failed\n") // the data: URL is not a download
	assert.Contains(t, stderr, "7 of 9 images could not be read")

	// The same URLs again, one by one, against the file: a URL alone gets the table.
	code, table, stderr := zsRun(t, classifyArgs(good)...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, zsOK(t, classifyArgs(filepath.Join(imageFiles, "photo_chelsea.jpg"))...), table)
	code, _, stderr = zsRun(t, classifyArgs(srv.URL+"/img/missing.jpg")...)
	assert.Equal(t, exitFilesFailed, code)
	assert.Contains(t, stderr, "HTTP 404 Not Found")
}

// "-" is one image on standard input; --images-from - a list on it, mixing paths and
// URLs; the two cannot share it. Usage errors name what is wrong.
func TestStdinAndLists(t *testing.T) {
	srv := webServer(t)
	img, err := os.ReadFile(chelsea)
	require.NoError(t, err)
	defer func(r io.Reader) { stdin = r }(stdin)

	stdin = bytes.NewReader(img)
	fromStdin := zsOK(t, classifyArgs("-", "--format", "json")...)
	assert.Equal(t, zsOK(t, classifyArgs(chelsea, "--format", "json")...), fromStdin)

	rgb := filepath.Join(imageFiles, "png_rgb.png")
	stdin = strings.NewReader(rgb + "\n\n# a URL\n" + srv.URL + "/img/gif_p.gif\n" + rgb + "\n")
	recs := readRecords(t, zsOK(t, classifyArgs("--images-from", "-", filepath.Join(imageFiles, "tiff_lzw.tif"))...))
	require.Len(t, recs, 3, "the arguments' images first, then the list's; each once")
	assert.Equal(t, []string{filepath.Join(imageFiles, "tiff_lzw.tif"), rgb, srv.URL + "/img/gif_p.gif"},
		[]string{recs[0].Image, recs[1].Image, recs[2].Image})

	// merge takes the same list to order the parts.
	dir := t.TempDir()
	listFile := filepath.Join(dir, "list.txt")
	require.NoError(t, os.WriteFile(listFile, []byte(rgb+"\n"+srv.URL+"/img/gif_p.gif\n"), 0o644))
	for k := 0; k < 2; k++ {
		zsOK(t, classifyArgs("--batch-size", "1", "--images-from", listFile, "--shard", fmt.Sprintf("%d/2", k), "--output", filepath.Join(dir, fmt.Sprintf("part-%d.jsonl", k)))...)
	}
	// A URL is a name like a path in the run's fingerprint: the same run again has nothing to do.
	code, _, stderr := zsRun(t, classifyArgs("--batch-size", "1", "--images-from", listFile, "--shard", "1/2", "--output", filepath.Join(dir, "part-1.jsonl"))...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "is complete; nothing to do")
	whole := zsOK(t, classifyArgs("--batch-size", "1", "--images-from", listFile)...)
	merged := zsOK(t, "merge", "--images-from", listFile, filepath.Join(dir, "part-*.jsonl"))
	assert.Equal(t, whole, merged)

	for _, tc := range []struct {
		args []string
		in   string
		want string
	}{
		{[]string{"-", "--images-from", "-"}, "x", `"-" (an image on standard input) and --images-from - cannot both read standard input`},
		{[]string{"--images-from", "-"}, "a.jpg\n-\n", `--images-from - line 2: "-" is not an image here`},
		{[]string{"--images-from", "-"}, "# nothing\n", "--images-from -: no images in it"},
		{[]string{"ftp://host/a.jpg"}, "", "ftp://host/a.jpg: no such file, and ftp:// is not a source this program reads"},
		{[]string{base64.RawURLEncoding.EncodeToString(img[:90])}, "", "no such file; base64 goes in a data: URL (data:image/png;base64,…) or on standard input (-)"},
		{[]string{"--fetch-max-size", "lots", "a.jpg"}, "", `invalid value "lots" for flag -fetch-max-size`},
		{[]string{"--fetch-concurrency", "0", "a.jpg"}, "", "--fetch-concurrency 0: want 1 or more"},
	} {
		stdin = strings.NewReader(tc.in)
		code, _, stderr := zsRun(t, classifyArgs(tc.args...)...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
	stdin = strings.NewReader("")
	code, _, stderr = zsRun(t, classifyArgs("-")...)
	assert.Equal(t, exitFilesFailed, code)
	assert.Contains(t, stderr, "-: standard input is empty (nothing was piped in?)")
}
