package main

import (
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func init() {
	register("preprocess", "write pixel_values as .npy files, to diff against Python", runPreprocess)
}

func runPreprocess(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("preprocess", "preprocess [flags] --out DIR IMAGE...\n\n"+
		"Writes each image's pixel_values as DIR/<name>.npy (float32, [1,3,H,W]), as Hugging Face's\n"+
		"CLIPImageProcessor computes them; compare with np.load in Python. --parity 4.54 is transformers\n"+
		"4's processor (PIL); --parity 5 is transformers 5's default (torchvision backend; --image-backend pil\n"+
		"for its CLIPImageProcessorPil), which composites transparency onto white.", stderr)
	out := fs.String("out", "", "output directory (required)")
	config := fs.String("config", "", "preprocessor_config.json to use (default: ViT-L/14's, or --model's)")
	model := fs.String("model", "", "take preprocessor_config.json from this local model directory")
	dumpU8 := fs.Bool("dump-uint8", false, "also write the cropped uint8 image as DIR/<name>.png")
	exif := fs.Bool("exif", false, "apply EXIF orientation first, as the pipeline does (the manual flow does not)")
	maxPixels := fs.Int("max-pixels", preprocess.DefaultMaxPixels, "refuse images with more pixels (decompression-bomb guard; <0: no limit)")
	var pf modelFlags
	pf.registerParity(fs, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	parity, backend, _, err := pf.profile()
	if err != nil {
		return err
	}
	prof, err := zeroshot.ResolveProfile(parity, backend, clip.AttnAuto)
	if err != nil {
		return exitUsage{err}
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return exitUsage{fmt.Errorf("need --out DIR and at least one image")}
	}
	cfg := preprocess.Default()
	switch {
	case *config != "" && *model != "":
		return exitUsage{fmt.Errorf("--config and --model are exclusive")}
	case *config != "":
		c, err := preprocess.LoadConfig(*config)
		if err != nil {
			return err
		}
		cfg = c
	case *model != "":
		c, err := preprocess.LoadConfig(filepath.Join(*model, "preprocessor_config.json"))
		if err != nil {
			return err
		}
		cfg = c
	}
	proc, err := zeroshot.NewImageProcessor(cfg, prof.Backend)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	opts := preprocess.Options{ApplyEXIF: *exif, MaxPixels: *maxPixels, AlphaOnWhite: prof.AlphaOnWhite}
	failed := 0
	for _, path := range fs.Args() {
		if err := preprocessOne(proc, path, *out, opts, *dumpU8, stdout); err != nil {
			fmt.Fprintf(stderr, "zeroshot preprocess: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images failed", failed, fs.NArg())
	}
	return nil
}

// cropper is an image processor that also gives its uint8 crop (both backends).
type cropper interface {
	zeroshot.ImageProcessor
	Crop(img preprocess.RGB) (preprocess.RGB, error)
}

func preprocessOne(proc zeroshot.ImageProcessor, path, out string, opts preprocess.Options, dumpU8 bool, stdout io.Writer) error {
	img, err := preprocess.Load(path, opts)
	if err != nil {
		return err
	}
	pixels, err := proc.Preprocess(img)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	w, h := proc.OutputSize(img.W, img.H)
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	npy := filepath.Join(out, base+".npy")
	if err := writeAtomic(npy, func(f *os.File) error {
		return preprocess.WriteNPY(f, pixels, 1, 3, h, w)
	}); err != nil {
		return err
	}
	fmt.Fprintln(stdout, npy)
	if cp, ok := proc.(cropper); dumpU8 && ok {
		crop, err := cp.Crop(img)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		pngPath := filepath.Join(out, base+".png")
		if err := writeAtomic(pngPath, func(f *os.File) error { return png.Encode(f, crop.Image()) }); err != nil {
			return err
		}
		fmt.Fprintln(stdout, pngPath)
	}
	return nil
}
