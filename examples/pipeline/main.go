// Command pipeline is the Hugging Face zero-shot image classification tutorial's first
// example in Go:
//
//	detector = pipeline(model="openai/clip-vit-large-patch14", task="zero-shot-image-classification")
//	detector(image, candidate_labels=["cat", "dog", "fox", "owl"])
//
// It prints the same list, [{"score": …, "label": …}, …], best first. Run it from the
// repository root:
//
//	go run ./examples/pipeline                                      # the Hub model, fetched once
//	go run ./examples/pipeline --model testdata/models/tiny-l14     # a local model directory
//
// (with GOFLAGS=-modfile=build/go.gen.mod, as the Makefile sets up).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zeroshot-clip/zeroshot/hub"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", hub.DefaultModel, "a Hugging Face Hub id or a local model directory")
	image := fs.String("image", "examples/chelsea.png", "the image to classify")
	labels := fs.String("labels", "cat,dog,fox,owl", "comma-separated candidate labels")
	template := fs.String("template", zeroshot.DefaultTemplate, "the hypothesis template")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()

	// from_pretrained: a local directory, or the Hub cache (downloading once).
	opts := hub.FromEnv()
	opts.Progress = hub.NewTextProgress(stderr)
	dir, err := hub.Resolve(ctx, *model, opts)
	if err != nil {
		return err
	}
	detector, err := zeroshot.Open(dir, zeroshot.Options{})
	if err != nil {
		return err
	}
	defer detector.Close()

	// load_image: decoded as Pillow does, EXIF orientation applied.
	img, err := preprocess.Load(*image, detector.Profile().PipelineOptions())
	if err != nil {
		return err
	}
	results, err := detector.Classify(ctx, img, zeroshot.Request{
		Labels:   strings.Split(*labels, ","),
		Template: *template,
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	return enc.Encode(results)
}
