// Command directory classifies every image under a directory through the library:
// zeroshot.FindImages lists the files (recursively, sorted), and Classifier.ClassifyEach
// computes the label embeddings once and classifies the images in batches, skipping
// (and reporting) files that cannot be read. It prints one line per image, the best
// label and its score, or the error:
//
//	examples/chelsea.png	cat	0.8812
//
// Run it from the repository root: go run ./examples/directory --dir DIR --labels a,b,c
// (the zeroshot classify command does the same with JSON output, resume and sharding).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zeroshot-clip/zeroshot/hub"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "directory:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("directory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", hub.DefaultModel, "a Hugging Face Hub id or a local model directory")
	dir := fs.String("dir", "examples", "the directory of images (walked recursively)")
	labels := fs.String("labels", "cat,dog,fox,owl", "comma-separated candidate labels")
	batch := fs.Int("batch-size", 8, "images per model forward")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	opts := hub.FromEnv()
	opts.Progress = hub.NewTextProgress(stderr)
	modelDir, err := hub.Resolve(ctx, *model, opts)
	if err != nil {
		return err
	}
	c, err := zeroshot.Open(modelDir, zeroshot.Options{})
	if err != nil {
		return err
	}
	defer c.Close()

	paths, err := zeroshot.FindImages(*dir)
	if err != nil {
		return err
	}
	req := zeroshot.Request{Labels: strings.Split(*labels, ","), TopK: 1}
	failed := 0
	err = c.ClassifyEach(ctx, paths, req, zeroshot.EachOptions{BatchSize: *batch}, func(batch []zeroshot.FileResult) error {
		for _, r := range batch {
			if r.Err != nil {
				failed++
				fmt.Fprintf(stderr, "skipped: %v\n", r.Err)
				continue
			}
			fmt.Fprintf(stdout, "%s\t%s\t%.4f\n", r.Path, r.Results[0].Label, r.Results[0].Score)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be read", failed, len(paths))
	}
	return nil
}
