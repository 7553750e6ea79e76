package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
)

// Benchmark image size (the "2560×1600 JPEG").
const imgW, imgH = 2560, 1600

// runImages writes n distinct 2560×1600 JPEGs (quality 90, 4:2:0) cut from a larger
// source photo at different offsets, with deterministic photo-like grain (so the
// entropy-coded data is the size of a real photo's, ≈1 MB, not a smooth upscale's),
// and labels.txt: the 1,000 ImageNet class names of testdata/tokenizer/corpus.jsonl
// (the two duplicated names get a " (2)"). Existing files are kept.
func runImages(args []string) error {
	fs := flag.NewFlagSet("images", flag.ExitOnError)
	dir := fs.String("dir", "", "output directory")
	n := fs.Int("n", 64, "images")
	src := fs.String("src", "testdata/images/files/big_4032x3024.jpg", "source image (at least 2560×1600)")
	corpus := fs.String("corpus", "testdata/tokenizer/corpus.jsonl", "tokenizer corpus with the imagenet_photo group")
	fs.Parse(args)
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	if err := writeLabels(*corpus, filepath.Join(*dir, "labels.txt")); err != nil {
		return err
	}
	var list []string
	var img preprocess.RGB
	for i := 0; i < *n; i++ {
		path, err := filepath.Abs(filepath.Join(*dir, fmt.Sprintf("img%03d_%dx%d.jpg", i, imgW, imgH)))
		if err != nil {
			return err
		}
		list = append(list, path)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if img.Pix == nil {
			if img, err = preprocess.Load(*src, preprocess.ManualOptions); err != nil {
				return err
			}
			if img.W < imgW || img.H < imgH {
				return fmt.Errorf("%s is %dx%d, smaller than %dx%d", *src, img.W, img.H, imgW, imgH)
			}
		}
		// 8×8 grid of offsets, mirrored every other image.
		ox := (i % 8) * (img.W - imgW) / 7
		oy := (i / 8 % 8) * (img.H - imgH) / 7
		out := image.NewRGBA(image.Rect(0, 0, imgW, imgH))
		seed := uint32(2654435761 * uint32(i+1))
		for y := 0; y < imgH; y++ {
			for x := 0; x < imgW; x++ {
				sx := ox + x
				if i%2 == 1 {
					sx = ox + imgW - 1 - x
				}
				p := img.Pix[((oy+y)*img.W+sx)*3:]
				o := out.Pix[(y*imgW+x)*4:]
				for c := 0; c < 3; c++ {
					seed ^= seed << 13
					seed ^= seed >> 17
					seed ^= seed << 5
					v := int(p[c]) + int(seed%13) - 6
					o[c] = uint8(min(255, max(0, v)))
				}
				o[3] = 255
			}
		}
		tmp := path + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		if err := jpeg.Encode(w, out, &jpeg.Options{Quality: 90}); err != nil {
			f.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(*dir, "images.txt"), []byte(strings.Join(list, "\n")+"\n"), 0o644)
}

func writeLabels(corpus, out string) error {
	b, err := os.ReadFile(corpus)
	if err != nil {
		return err
	}
	var labels []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var rec struct{ Group, Text string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return err
		}
		if rec.Group != "imagenet_photo" {
			continue
		}
		l := strings.TrimSuffix(strings.TrimPrefix(rec.Text, "a photo of a "), ".")
		if seen[l] {
			l += " (2)"
		}
		seen[l] = true
		labels = append(labels, l)
	}
	if len(labels) != 1000 {
		return fmt.Errorf("%s: %d imagenet_photo labels, want 1000", corpus, len(labels))
	}
	return os.WriteFile(out, []byte(strings.Join(labels, "\n")+"\n"), 0o644)
}

// runConvert: gobench convert SRC DST fp32|bf16 (kept if DST exists and is newer).
func runConvert(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: gobench convert SRC DST DTYPE")
	}
	dt, err := clip.ParseDType(args[2])
	if err != nil {
		return err
	}
	return clip.Convert(args[0], args[1], dt)
}
