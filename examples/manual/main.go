// Command manual is the manual flow of Hugging Face's zero-shot image classification
// tutorial in Go: the processor, the model, logits_per_image, softmax.
//
//	model = AutoModelForZeroShotImageClassification.from_pretrained(checkpoint)
//	processor = AutoProcessor.from_pretrained(checkpoint)
//	candidate_labels = [f"This is a photo of {label}." for label in ["cat", "dog", "fox", "owl"]]
//	inputs = processor(images=image, text=candidate_labels, return_tensors="pt", padding=True)
//	with torch.no_grad():
//	    outputs = model(**inputs)
//	probs = outputs.logits_per_image[0].softmax(dim=-1)
//	result = [{"score": s, "label": l} for s, l in sorted(zip(probs.tolist(), labels), key=lambda x: -x[0])]
//
// Run it from the repository root: go run ./examples/manual [--model DIR|HUB_ID].
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/hub"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "manual:", err)
		os.Exit(1)
	}
}

// result is one label's score, as the tutorial's list holds them.
type result struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("manual", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", hub.DefaultModel, "a Hugging Face Hub id or a local model directory")
	image := fs.String("image", "examples/chelsea.png", "the image to classify")
	labels := fs.String("labels", "cat,dog,fox,owl", "comma-separated candidate labels")
	template := fs.String("template", zeroshot.DefaultTemplate, `put each label in this template first, as the tutorial does ("{}": the bare labels)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := hub.FromEnv()
	opts.Progress = hub.NewTextProgress(stderr)
	dir, err := hub.Resolve(context.Background(), *model, opts)
	if err != nil {
		return err
	}

	// from_pretrained: the model and the processor (image processor + tokenizer).
	m, err := clip.Load(dir, clip.Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	processor, err := zeroshot.LoadProcessor(dir)
	if err != nil {
		return err
	}

	// Image.open: no EXIF transpose in the manual flow (processor.Options; transformers 5
	// also composites transparency onto white).
	img, err := preprocess.Load(*image, processor.Options)
	if err != nil {
		return err
	}
	candidates := strings.Split(*labels, ",")
	texts := make([]string, len(candidates))
	for i, l := range candidates {
		if texts[i], err = zeroshot.Format(*template, l); err != nil {
			return err
		}
	}

	// processor(images=image, text=texts, padding=True) → model(**inputs).
	pixels, tokens, err := processor.Process([]preprocess.RGB{img}, texts, tokenize.Options{})
	if err != nil {
		return err
	}
	outputs, err := m.Forward(pixels, tokens)
	if err != nil {
		return err
	}
	// logits_per_image[0].softmax(dim=-1), computed by libtorch as torch does.
	probs, err := zeroshot.Softmax(outputs.LogitsPerImage)
	if err != nil {
		return err
	}
	out := make([]result, len(candidates))
	for i, l := range candidates {
		out[i] = result{Score: float64(probs.Row(0)[i]), Label: l}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}
