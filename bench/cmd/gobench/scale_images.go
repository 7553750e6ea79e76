package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// runScaleImages: gobench scale-images -dir D -n N writes N small images (JPEG and PNG,
// 96×72 to 320×240, random shapes on noise, deterministic), spread over 100
// subdirectories, and -bad unreadable ones (truncated, empty, not an image) among
// them. Existing files are kept.
func runScaleImages(args []string) error {
	fs := flag.NewFlagSet("scale-images", flag.ExitOnError)
	dir := fs.String("dir", "", "output directory")
	n := fs.Int("n", 10000, "images")
	bad := fs.Int("bad", 20, "unreadable files among them")
	fs.Parse(args)
	for i := 0; i < *n; i++ {
		ext := ".jpg"
		if i%5 == 4 {
			ext = ".png"
		}
		path := filepath.Join(*dir, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("img%05d%s", i, ext))
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		var b bytes.Buffer
		img := scaleImage(int64(i))
		var err error
		if ext == ".png" {
			err = png.Encode(&b, img)
		} else {
			err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
		}
		if err != nil {
			return err
		}
		data := b.Bytes()
		if *bad > 0 && i%(*n / *bad) == *n / *bad / 2 { // unreadable: cut, emptied or garbage
			switch i / (*n / *bad) % 3 {
			case 0:
				data = data[:len(data)/3]
			case 1:
				data = nil
			default:
				data = []byte("this is not an image\n")
			}
		}
		if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			return err
		}
	}
	return nil
}

func scaleImage(seed int64) image.Image {
	r := rand.New(rand.NewSource(seed))
	w, h := 96+r.Intn(225), 72+r.Intn(169)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{uint8(r.Intn(256)), uint8(r.Intn(256)), uint8(r.Intn(256)), 255}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.R+uint8(r.Intn(16)), bg.G+uint8(r.Intn(16)), bg.B+uint8(r.Intn(16)), 255
	}
	for s := 0; s < 3+r.Intn(6); s++ {
		c := color.RGBA{uint8(r.Intn(256)), uint8(r.Intn(256)), uint8(r.Intn(256)), 255}
		x0, y0 := r.Intn(w), r.Intn(h)
		rw, rh := 5+r.Intn(w/2), 5+r.Intn(h/2)
		for y := y0; y < min(h, y0+rh); y++ {
			for x := x0; x < min(w, x0+rw); x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	return img
}

// ProcRun is one CLI process over the generated images: its time, its records' pace
// and its memory as the run goes (sampled every 100 ms: RSS when 10%, 50% and 95% of
// the records are written, and the peak).
type ProcRun struct {
	Name      string   `json:"name"`
	Args      []string `json:"args"`
	Records   int      `json:"records"`    // in the output (file or index)
	WallS     float64  `json:"wall_s"`     // process start to exit
	SteadyIPS float64  `json:"steady_ips"` // images/s from 10% to 95% of the records
	RSS10     int64    `json:"rss_at_10pct"`
	RSS50     int64    `json:"rss_at_50pct"`
	RSS95     int64    `json:"rss_at_95pct"`
	PeakRSS   int64    `json:"peak_rss"` // ru_maxrss
	Exit      int      `json:"exit"`
	KilledAt  int      `json:"killed_at_records,omitempty"` // SIGKILL once this many records were written
	Stderr    string   `json:"stderr_tail,omitempty"`
}

// runSampled runs argv, watching the records written to watch (a JSONL file, or its
// .partial while the run goes). killAt > 0: SIGKILL the process once that many records
// are there.
func runSampled(name string, argv []string, watch string, total, killAt int) (*ProcRun, error) {
	r := &ProcRun{Name: name, Args: argv}
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var t10, t95 time.Time
	var n10, n95 int
	marks := []struct {
		frac float64
		rss  *int64
	}{{0.10, &r.RSS10}, {0.50, &r.RSS50}, {0.95, &r.RSS95}}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var err error
	n0 := -1 // records at the first sample: a resumed run starts with some
loop:
	for {
		select {
		case err = <-done:
			break loop
		case <-tick.C:
		}
		n := countLines(watch + ".partial")
		if n0 < 0 {
			n0 = n
		}
		rss := procStatusOf(cmd.Process.Pid, "VmRSS")
		for _, m := range marks {
			if at := int(m.frac * float64(total)); *m.rss == 0 && n >= at && n > 0 && n0 < at {
				*m.rss = rss
			}
		}
		if at := total / 10; t10.IsZero() && n >= at && n > 0 && n0 < at {
			t10, n10 = time.Now(), n
		}
		if at := total * 95 / 100; t95.IsZero() && n >= at && n > 0 && n0 < at {
			t95, n95 = time.Now(), n
		}
		if killAt > 0 && n >= killAt {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			r.KilledAt = n
			err = <-done
			break
		}
	}
	r.WallS = time.Since(start).Seconds()
	if ps := cmd.ProcessState; ps != nil {
		r.Exit = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.PeakRSS = ru.Maxrss * 1024
		}
	}
	if !t95.IsZero() && t95.After(t10) {
		r.SteadyIPS = float64(n95-n10) / t95.Sub(t10).Seconds()
	}
	r.Records = countLines(watch)
	if r.KilledAt > 0 {
		r.Records = countLines(watch + ".partial")
	}
	r.Stderr = tail(stderr.String(), 600)
	if _, ok := err.(*exec.ExitError); ok {
		err = nil // the exit status is recorded
	}
	return r, err
}

// countLines counts the newlines of a file (0 if it is not there).
func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	r := bufio.NewReaderSize(f, 1<<16)
	buf := make([]byte, 1<<16)
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF || err != nil {
			return n
		}
	}
}

// sameFiles compares the files two directories hold (names and bytes).
func sameFiles(a, b string) (bool, string) {
	read := func(dir string) map[string][]byte {
		out := map[string][]byte{}
		filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() {
				rel, _ := filepath.Rel(dir, path)
				out[rel], _ = os.ReadFile(path)
			}
			return nil
		})
		return out
	}
	fa, fb := read(a), read(b)
	if len(fa) != len(fb) {
		return false, fmt.Sprintf("%d files vs %d", len(fa), len(fb))
	}
	for name, x := range fa {
		y, ok := fb[name]
		if !ok {
			return false, name + " missing"
		}
		if !bytes.Equal(x, y) {
			return false, name + " differs"
		}
	}
	return true, fmt.Sprintf("%d files identical", len(fa))
}
