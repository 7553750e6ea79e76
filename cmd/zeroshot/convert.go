package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
)

func init() {
	register("convert", "rewrite a model's weights as one fast-loading file (fp32, bf16 or fp16)", runConvert)
}

const convertSynopsis = `convert [--dtype fp32|bf16|fp16] SRC DST

Writes the model at SRC (a Hugging Face model directory, its model.safetensors or
pytorch_model.bin, or a file convert wrote) as one self-contained safetensors file with
the config inside, every parameter in --dtype and 64-byte aligned, which loads fastest
(memory-mapped, no copy). DST is written to a temporary file and renamed into place.

If DST is a directory (existing, or given with a trailing /), the file is
DST/model.safetensors and the config, preprocessor and tokenizer files of SRC's
directory are copied beside it, so that DST is a complete model for --model.`

// modelSideFiles are the files besides the weights that make a model directory.
var modelSideFiles = []string{"config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json",
	"special_tokens_map.json", "vocab.json", "merges.txt"}

func runConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", convertSynopsis, stderr)
	dtypeName := fs.String("dtype", "fp32", "fp32, bf16 or fp16: the precision of the written weights")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return exitUsage{fmt.Errorf("want SRC and DST, got %d arguments", len(pos))}
	}
	src, dst := pos[0], pos[1]
	dtype, err := clip.ParseDType(*dtypeName)
	if err != nil {
		return exitUsage{err}
	}
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("SRC: %w (a model directory or weights file; fetch Hub models with `zeroshot download`)", err)
	}
	srcDir := src
	if !st.IsDir() {
		srcDir = filepath.Dir(src)
	}
	file, dir := dst, ""
	if dstSt, err := os.Stat(dst); (err == nil && dstSt.IsDir()) || strings.HasSuffix(dst, "/") {
		dir = dst
		file = filepath.Join(dst, clip.SafetensorsFile)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := clip.Convert(src, file, dtype); err != nil {
		return err
	}
	if dir != "" {
		if err := copySideFiles(srcDir, dir); err != nil {
			return err
		}
	}
	if st, err := os.Stat(file); err == nil {
		fmt.Fprintf(stdout, "%s\t%s\t%.1f MB\n", file, dtype, float64(st.Size())/1e6)
	}
	return nil
}

// copySideFiles copies the model's non-weight files that exist in from to to.
func copySideFiles(from, to string) error {
	if filepath.Clean(from) == filepath.Clean(to) {
		return nil
	}
	for _, name := range modelSideFiles {
		b, err := os.ReadFile(filepath.Join(from, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(to, name), func(f *os.File) error {
			_, err := f.Write(b)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}
