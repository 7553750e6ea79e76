package zeroshot_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// The examples run on tiny-l14, a random CLIP with ViT-L/14's structure committed for the
// tests: its scores are those of random weights (a real model is a Hugging Face snapshot
// directory, e.g. hub.Resolve(ctx, "openai/clip-vit-large-patch14", hub.Options{})).
// Scores are printed to three decimals: libtorch's last bits differ between CPUs.
var (
	model   = filepath.Join("..", "testdata", "models", "tiny-l14")
	chelsea = filepath.Join("..", "examples", "chelsea.png")
	images  = []string{chelsea, filepath.Join("..", "testdata", "pipeline", "gradient.png")}
)

// Hugging Face's pipeline("zero-shot-image-classification") in Go: open a model
// directory, score image files against free-text labels.
func Example() {
	c, err := zeroshot.Open(model, zeroshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res, err := c.ClassifyFiles(context.Background(), []string{chelsea},
		zeroshot.Request{Labels: []string{"cat", "dog", "fox", "owl"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res[0] { // best first
		fmt.Printf("%.3f %s\n", r.Score, r.Label)
	}
	// Output:
	// 0.345 cat
	// 0.285 dog
	// 0.208 fox
	// 0.162 owl
}

// An image already in memory (decoded here as the pipeline's load_image does, EXIF
// applied), a template of your own, and only the best label.
func ExampleClassifier_Classify() {
	c, err := zeroshot.Open(model, zeroshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	img, err := preprocess.Load(chelsea, c.Profile().PipelineOptions()) // or preprocess.FromImage(image.Image)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Classify(context.Background(), img, zeroshot.Request{
		Labels:   []string{"a tabby cat", "a car"},
		Template: "a photo of {}",
		TopK:     1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %.3f\n", res[0].Label, res[0].Score)
	// Output: a tabby cat 0.780
}

// The manual flow of Hugging Face's CLIP tutorial, step by step:
//
//	inputs = processor(text=labels, images=image, return_tensors="pt", padding=True)
//	outputs = model(**inputs)
//	probs = outputs.logits_per_image.softmax(dim=1)
func ExampleProcessor() {
	p, err := zeroshot.LoadProcessor(model) // AutoProcessor.from_pretrained
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := clip.Load(model, clip.Options{}) // CLIPModel.from_pretrained
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	img, err := preprocess.Load(chelsea, p.Options) // Image.open: no EXIF transpose
	if err != nil {
		fmt.Println(err)
		return
	}
	labels := []string{"cat", "dog", "fox", "owl"}
	px, tok, err := p.Process([]preprocess.RGB{img}, labels, tokenize.Options{}) // padding=True
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := m.Forward(px, tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	probs, err := zeroshot.Softmax(out.LogitsPerImage)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("pixel_values [%d %d %d %d], input_ids [%d %d]\n", px.Batch, px.Channels, px.Height, px.Width, tok.Batch, tok.Len)
	for j, l := range labels {
		fmt.Printf("%s logit %.2f prob %.3f\n", l, out.LogitsPerImage.Row(0)[j], probs.Row(0)[j])
	}
	// Output:
	// pixel_values [1 3 224 224], input_ids [4 4]
	// cat logit 1.35 prob 0.492
	// dog logit 0.41 prob 0.192
	// fox logit -0.98 prob 0.048
	// owl logit 0.75 prob 0.269
}

// Label embeddings are computed once per label set and reused for every image, in
// memory and, with LabelCacheDir, on disk for later processes: the second classifier
// below runs no text pass. Score then ranks image embeddings against them, which is how
// one image batch is scored against several label sets.
func ExampleClassifier_LabelEmbeddings() {
	dir, err := os.MkdirTemp("", "labels")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	req := zeroshot.Request{Labels: []string{"cat", "dog"}, Templates: zeroshot.Simple7} // a prompt ensemble
	for run := 1; run <= 2; run++ {
		texts := 0
		c, err := zeroshot.Open(model, zeroshot.Options{
			LabelCacheDir: dir,
			TextProgress:  func(done, total int) { texts = done },
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		labels, err := c.LabelEmbeddings(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		again, _ := c.LabelEmbeddings(req)
		fmt.Printf("process %d: %d texts embedded, %d×%d embeddings, reused from memory: %v\n",
			run, texts, labels.Embeds.Rows, labels.Embeds.Cols, again == labels)

		if run == 2 { // score images against them
			img, _ := preprocess.Load(chelsea, c.Profile().PipelineOptions())
			data, _ := c.Processor.Preprocess(img)
			w, h := c.Processor.OutputSize(img.W, img.H)
			px := clip.Pixels{Data: data, Batch: 1, Channels: 3, Height: h, Width: w}
			emb, err := c.Model.ImageEmbeds(px)
			if err != nil {
				fmt.Println(err)
				return
			}
			res, _ := c.Score(emb, labels, 0)
			fmt.Printf("best: %s %.3f\n", res[0][0].Label, res[0][0].Score)
		}
		c.Close()
	}
	// Output:
	// process 1: 14 texts embedded, 2×64 embeddings, reused from memory: true
	// process 2: 0 texts embedded, 2×64 embeddings, reused from memory: true
	// best: cat 0.512
}

// CLIP image embeddings of files, for search or clustering: L2-normalized
// image_embeds (get_image_features when Normalized is false), delivered in order.
func ExampleClassifier_EmbedEach() {
	c, err := zeroshot.Open(model, zeroshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	err = c.EmbedEach(context.Background(), images, zeroshot.EmbedOptions{Normalized: true},
		func(batch []zeroshot.FileEmbedding) error {
			for _, e := range batch {
				if e.Err != nil {
					return e.Err
				}
				var norm float64
				for _, v := range e.Embedding {
					norm += float64(v) * float64(v)
				}
				fmt.Printf("%s: %d floats, norm %.3f\n", filepath.Base(e.Path), len(e.Embedding), math.Sqrt(norm))
			}
			return nil
		})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// chelsea.png: 64 floats, norm 1.000
	// gradient.png: 64 floats, norm 1.000
}

// Collections: FindImages expands files, directories and globs; ClassifyEach streams
// them through the model in batches, a bad file giving its error rather than stopping
// the run.
func ExampleClassifier_ClassifyEach() {
	c, err := zeroshot.Open(model, zeroshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	paths, err := zeroshot.FindImages(append(images, filepath.Join("..", "testdata", "images", "files", "bad_truncated_mid.jpg"))...)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := zeroshot.Request{Labels: []string{"cat", "dog", "fox", "owl"}, TopK: 1}
	err = c.ClassifyEach(context.Background(), paths, req, zeroshot.EachOptions{BatchSize: 2},
		func(batch []zeroshot.FileResult) error {
			for _, r := range batch {
				if r.Err != nil {
					fmt.Printf("%s: error\n", filepath.Base(r.Path))
					continue
				}
				fmt.Printf("%s: %s %.3f\n", filepath.Base(r.Path), r.Results[0].Label, r.Results[0].Score)
			}
			return nil
		})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// chelsea.png: cat 0.345
	// gradient.png: dog 0.308
	// bad_truncated_mid.jpg: error
}
