package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zeroshot-clip/zeroshot/source"
	"github.com/zeroshot-clip/zeroshot/source/s3"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// stdin is standard input, for "-" and --images-from -; tests replace it.
var stdin io.Reader = os.Stdin

const sourcesHelp = `Images may also be http:// or https:// URLs (fetched as Hugging Face's load_image
fetches them: redirects followed, up to --fetch-redirects; each within --fetch-timeout and
--fetch-max-size; the body sniffed for its format, never trusted by its Content-Type; EXIF
applied as for files), data: URLs (data:image/png;base64,…), "-" (one image on standard
input), and s3://bucket/key objects or s3://bucket/prefix/ listings (every image object
under the prefix, in key order; s3://bucket/key with no such object is listed as the
prefix key/), with the AWS SDK's standard credentials and configuration
(AWS_ENDPOINT_URL_S3 for another S3-compatible server). --images-from FILE ("-": standard
input) reads more, one per line (blank lines and # comments skipped), each one image
(a path, URL or s3:// object; not expanded), after the arguments' images. URLs and
objects are read --fetch-concurrency at a time, ahead of decoding and the model. One
that cannot be fetched (an HTTP error status, a timeout, too large, not an image) is
reported and gets an error record naming it and why, as an unreadable file does.`

// sourceFlags say where images come from beyond the arguments, and how they are fetched.
type sourceFlags struct {
	from        string
	timeout     time.Duration
	maxSize     byteSize
	redirects   int
	concurrency int
}

func (f *sourceFlags) register(fs *flag.FlagSet) {
	f.maxSize = source.DefaultMaxBytes
	fs.StringVar(&f.from, "images-from", "", `read image sources from FILE ("-": standard input), one per line: paths, URLs, s3:// objects`)
	fs.DurationVar(&f.timeout, "fetch-timeout", source.DefaultTimeout, "the longest a URL or s3:// object may take to arrive, body included")
	fs.Var(&f.maxSize, "fetch-max-size", "the largest image accepted from a URL or s3:// object (e.g. 64MiB, 500kB)")
	fs.IntVar(&f.redirects, "fetch-redirects", source.DefaultMaxRedirects, "redirects followed per URL (0: none)")
	fs.IntVar(&f.concurrency, "fetch-concurrency", zeroshot.DefaultReaders, "images read at once ahead of decoding (downloads in flight)")
}

func (f *sourceFlags) check() error {
	switch {
	case f.timeout <= 0:
		return fmt.Errorf("--fetch-timeout %s: want a positive duration", f.timeout)
	case f.redirects < 0:
		return fmt.Errorf("--fetch-redirects %d: want 0 or more", f.redirects)
	case f.concurrency < 1:
		return fmt.Errorf("--fetch-concurrency %d: want 1 or more", f.concurrency)
	}
	return nil
}

func (f *sourceFlags) fetcher() *source.Fetcher {
	redirects := f.redirects
	if redirects == 0 {
		redirects = -1 // the Fetcher's 0 is its default
	}
	return &source.Fetcher{Timeout: f.timeout, MaxBytes: int64(f.maxSize), MaxRedirects: redirects}
}

// imageList is what a run's arguments name: its sources in order, with their names.
type imageList struct {
	srcs   []source.Source
	names  []string
	byName map[string]source.Source
	single bool // one argument naming one image (not a directory, glob or prefix): the pipeline's one-image output
	remote bool // some images are fetched (URLs, objects): the progress counts downloads
	stats  *fetchStats
}

// find expands args (files, directories, globs, URLs, data: URLs, "-", s3:// objects
// and prefixes) and the lines of --images-from into the run's images, each named once
// (the first time). Arguments that name nothing are errors, as for files.
func (f *sourceFlags) find(ctx context.Context, args []string) (*imageList, error) {
	if len(args) == 0 && f.from == "" {
		return nil, errors.New("no images: give IMAGE, DIR, GLOB or URL arguments, or --images-from FILE")
	}
	l := &imageList{byName: map[string]source.Source{}, stats: &fetchStats{}}
	fetch := f.fetcher()
	var store *s3.Store
	s3Store := func() (*s3.Store, error) {
		if store == nil {
			var err error
			if store, err = s3.New(ctx, s3.Options{MaxBytes: int64(f.maxSize), Timeout: f.timeout}); err != nil {
				return nil, err
			}
		}
		return store, nil
	}
	add := func(srcs ...source.Source) {
		for _, s := range srcs {
			key := s.Name()
			if _, ok := s.(source.File); ok {
				key = filepath.Clean(key)
			}
			if _, dup := l.byName[key]; dup {
				continue
			}
			_, local := s.(source.File)
			_, inline := s.(source.Data)
			if !local && !inline {
				l.remote = true
				s = l.stats.wrap(s)
			}
			l.byName[key] = s
			l.srcs = append(l.srcs, s)
		}
	}
	stdinUsed := f.from == source.Stdin
	for _, arg := range args {
		switch {
		case arg == source.Stdin:
			if stdinUsed {
				return nil, errors.New(`"-" (an image on standard input) and --images-from - cannot both read standard input`)
			}
			stdinUsed = true
			add(source.Reader{N: source.Stdin, R: stdin})
		case source.IsURL(arg):
			add(source.URL{U: arg, F: fetch})
		case source.IsData(arg):
			add(source.Data(arg))
		case s3.IsURI(arg):
			st, err := s3Store()
			if err != nil {
				return nil, err
			}
			srcs, err := st.Expand(ctx, arg, zeroshot.IsImageFile)
			if err != nil {
				return nil, err
			}
			add(srcs...)
		default:
			if scheme, _, ok := strings.Cut(arg, "://"); ok && !strings.ContainsAny(scheme, "/*?[") && !exists(arg) {
				return nil, fmt.Errorf("%s: no such file, and %s:// is not a source this program reads (http, https, data:, s3, or - for standard input)", arg, scheme)
			}
			paths, err := zeroshot.FindImages(arg)
			if err != nil {
				return nil, pathHint(arg, err)
			}
			add(source.Files(paths)...)
		}
	}
	if f.from != "" {
		lines, err := f.readList()
		if err != nil {
			return nil, err
		}
		for i, line := range lines {
			switch {
			case line == source.Stdin:
				return nil, fmt.Errorf("--images-from %s line %d: \"-\" is not an image here (standard input is read only as an argument)", f.from, i+1)
			case s3.IsURI(line):
				st, err := s3Store()
				if err != nil {
					return nil, err
				}
				obj, err := st.Object(line)
				if err != nil {
					return nil, fmt.Errorf("--images-from %s line %d: %w (give prefixes as arguments)", f.from, i+1, err)
				}
				add(obj)
			default:
				add(source.Parse(line, fetch))
			}
		}
	}
	for _, s := range l.srcs {
		l.names = append(l.names, s.Name())
	}
	l.single = len(args) == 1 && f.from == "" && len(l.srcs) == 1 && l.names[0] == args[0]
	return l, nil
}

// readList reads --images-from: its lines, blank ones and # comments skipped.
func (f *sourceFlags) readList() ([]string, error) {
	var b []byte
	var err error
	if f.from == source.Stdin {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(f.from)
	}
	if err != nil {
		return nil, fmt.Errorf("--images-from: %w", err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--images-from %s: no images in it (blank lines and # comments are skipped)", f.from)
	}
	return out, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// pathHint adds to a missing path's error what the user may have meant: base64 goes in
// a data: URL.
func pathHint(arg string, err error) error {
	if errors.Is(err, fs.ErrNotExist) && len(arg) > 64 && !strings.ContainsAny(arg, "/\\.") {
		if _, b64 := source.Base64(arg); b64 == nil {
			return fmt.Errorf("%.40s…: no such file; base64 goes in a data: URL (data:image/png;base64,…) or on standard input (-)", arg)
		}
	}
	return err
}

// byteSize is a flag for sizes: bytes, or with a unit (kB, MB, GB: powers of 1000;
// KiB, MiB, GiB: of 1024).
type byteSize int64

func (b *byteSize) String() string {
	switch v := int64(*b); {
	case v > 0 && v%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", v>>30)
	case v > 0 && v%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", v>>20)
	case v > 0 && v%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", v>>10)
	default:
		return strconv.FormatInt(v, 10)
	}
}

func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"KB", 1e3}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 1 || v > (1<<62)/mult {
		return fmt.Errorf("%q: want a positive size such as 64MiB, 500kB or 1048576", s)
	}
	*b = byteSize(v * mult)
	return nil
}

// sources returns the sources of names (names from this list), in order.
func (l *imageList) sources(names []string) []source.Source {
	out := make([]source.Source, len(names))
	for i, n := range names {
		s, ok := l.byName[n]
		if !ok {
			s = l.byName[filepath.Clean(n)]
		}
		out[i] = s
	}
	return out
}

// fetchStats is the downloads' counter when some images are fetched, else nil.
func (l *imageList) fetchStats() *fetchStats {
	if l == nil || !l.remote {
		return nil
	}
	return l.stats
}
