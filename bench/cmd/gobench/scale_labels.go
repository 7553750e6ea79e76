package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strings"
	"time"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// scaleLabelSet returns n distinct labels: the 1,000 ImageNet class names of the
// tokenizer corpus, then "ADJECTIVE CLASS" and "ADJECTIVE ADJECTIVE CLASS" names in a
// fixed pseudo-random order, kept only when the template's text is no longer (in
// tokens) than the longest ImageNet one, so every set pads to the same length and the
// sets' labels/s compare.
func scaleLabelSet(corpus string, n int, tok *tokenize.Tokenizer) ([]string, error) {
	b, err := os.ReadFile(corpus)
	if err != nil {
		return nil, err
	}
	var classes []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		var rec struct{ Group, Text string }
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Group != "imagenet_class" {
			continue
		}
		if !seen[rec.Text] {
			seen[rec.Text] = true
			classes = append(classes, rec.Text)
		}
	}
	if len(classes) < 900 {
		return nil, fmt.Errorf("%s: %d imagenet_class texts", corpus, len(classes))
	}
	length := func(l string) int {
		s, _ := zeroshot.Format(zeroshot.DefaultTemplate, l)
		return len(tok.Encode(s))
	}
	longest := 0
	for _, c := range classes {
		longest = max(longest, length(c))
	}
	out := append([]string(nil), classes[:min(n, len(classes))]...)
	adjectives := strings.Fields("red blue green yellow black white grey brown orange purple pink golden silver " +
		"small large tiny giant young old wild baby striped spotted wet dry frozen sleeping running flying " +
		"swimming wooden metal plastic glass paper painted toy cartoon sketched blurry bright dark distant " +
		"close-up aerial underwater indoor outdoor antique modern broken shiny dusty fluffy muddy snowy sunny")
	r := rand.New(rand.NewSource(21843))
	for tries := 0; len(out) < n; tries++ {
		if tries > 100*n {
			return nil, errors.New("cannot generate enough distinct labels")
		}
		l := adjectives[r.Intn(len(adjectives))] + " " + classes[r.Intn(len(classes))]
		if r.Intn(3) == 0 {
			l = adjectives[r.Intn(len(adjectives))] + " " + l
		}
		if seen[l] || length(l) > longest {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out, nil
}

// childLabels: gobench labels -model M -n N -batch B [-one-batch] [-save F.npy]:
// the label set's text pass in this process (Classifier.LabelEmbeddings, or with
// -one-batch the pipeline's single forward of every text), its time and the peak RSS.
func childLabels(args []string) error {
	fs := flag.NewFlagSet("labels", flag.ExitOnError)
	model := fs.String("model", "", "model directory")
	corpus := fs.String("corpus", "testdata/tokenizer/corpus.jsonl", "tokenizer corpus (ImageNet class names)")
	n := fs.Int("n", 1000, "labels")
	batch := fs.Int("batch", 0, "texts per text-tower forward (0: automatic)")
	oneBatch := fs.Bool("one-batch", false, "all texts in one forward, as the pipeline (and this module before chunking)")
	threads := fs.Int("threads", 0, "libtorch threads")
	save := fs.String("save", "", "write the embeddings here (.npy)")
	fs.Parse(args)
	rss0 := procStatus("VmRSS")
	c, err := zeroshot.Open(*model, zeroshot.Options{Model: clip.Options{Threads: *threads}, TextBatch: *batch})
	if err != nil {
		return err
	}
	defer c.Close()
	labels, err := scaleLabelSet(*corpus, *n, c.Tokenizer)
	if err != nil {
		return err
	}
	rssLoaded := procStatus("VmRSS")
	start := time.Now()
	var emb clip.Matrix
	length := 0
	if *oneBatch {
		texts := make([]string, len(labels))
		for i, l := range labels {
			texts[i], _ = zeroshot.Format(zeroshot.DefaultTemplate, l)
		}
		b, err := c.Tokenizer.EncodeBatch(texts, tokenize.Options{})
		if err != nil {
			return err
		}
		length = len(b.IDs[0])
		tok := clip.Tokens{Batch: len(b.IDs), Len: length}
		for i := range b.IDs {
			for j := range b.IDs[i] {
				tok.InputIDs = append(tok.InputIDs, int64(b.IDs[i][j]))
				tok.AttentionMask = append(tok.AttentionMask, int64(b.AttentionMask[i][j]))
			}
		}
		emb, err = c.Model.TextEmbeds(tok)
		if err != nil {
			return err
		}
	} else {
		l, err := c.LabelEmbeddings(zeroshot.Request{Labels: labels})
		if err != nil {
			return err
		}
		emb = l.Embeds
	}
	secs := time.Since(start).Seconds()
	peak := procStatus("VmHWM")
	if *save != "" {
		f, err := os.Create(*save)
		if err != nil {
			return err
		}
		if err := preprocess.WriteNPY(f, emb.Data, emb.Rows, emb.Cols); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if length == 0 {
		s, _ := zeroshot.Format(zeroshot.DefaultTemplate, labels[0])
		length = len(c.Tokenizer.Encode(s)) // informative only; the pass pads to the longest
		for _, l := range labels {
			s, _ := zeroshot.Format(zeroshot.DefaultTemplate, l)
			length = max(length, len(c.Tokenizer.Encode(s)))
		}
	}
	return emit(map[string]any{"labels": len(labels), "padded_length": length, "one_batch": *oneBatch,
		"batch": *batch, "seconds": secs, "labels_per_s": float64(len(labels)) / secs,
		"rss_start": rss0, "rss_loaded": rssLoaded, "peak_rss": peak})
}

// runCompare: gobench compare A.npy B.npy → rows bit-identical, max |Δ| (one JSON line).
func runCompare(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: gobench compare A.npy B.npy")
	}
	a, as, err := golden.Float32s(args[0])
	if err != nil {
		return err
	}
	b, bs, err := golden.Float32s(args[1])
	if err != nil {
		return err
	}
	if len(as) != 2 || len(bs) != 2 || as[0] != bs[0] || as[1] != bs[1] {
		return fmt.Errorf("shapes %v and %v", as, bs)
	}
	same, maxd := 0, 0.0
	for r := 0; r < as[0]; r++ {
		ok := true
		for j := 0; j < as[1]; j++ {
			x, y := a[r*as[1]+j], b[r*as[1]+j]
			if math.Float32bits(x) != math.Float32bits(y) {
				ok = false
			}
			maxd = math.Max(maxd, math.Abs(float64(x)-float64(y)))
		}
		if ok {
			same++
		}
	}
	return emit(map[string]any{"rows": as[0], "identical_rows": same, "max_abs_diff": maxd})
}
