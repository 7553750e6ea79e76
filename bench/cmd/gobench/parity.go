package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// childParity runs CLIPModel.forward's inputs from a golden directory (pixel_values,
// input_ids, attention_mask .npy, as testdata/gen writes them) through the model and
// writes image_embeds, text_embeds and logits_per_image as .npy into -out, for the GPU
// kit to compare with transformers on the same device and dtype.
func childParity(args []string) error {
	fs := flag.NewFlagSet("parity", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	gdir := fs.String("golden", "", "directory with pixel_values.npy, input_ids.npy, attention_mask.npy")
	out := fs.String("out", "", "directory for the outputs")
	list := fs.String("dtypes", "", "several dtypes in this process (comma-separated; outputs in out/<dtype>); overrides -dtype")
	fs.Parse(args)
	opts, err := mf.options()
	if err != nil {
		return err
	}
	px, err := golden.Read(filepath.Join(*gdir, "pixel_values.npy"))
	if err != nil {
		return err
	}
	ids, err := golden.Read(filepath.Join(*gdir, "input_ids.npy"))
	if err != nil {
		return err
	}
	mask, err := golden.Read(filepath.Join(*gdir, "attention_mask.npy"))
	if err != nil {
		return err
	}
	if len(px.Shape) != 4 || len(ids.Shape) != 2 {
		return fmt.Errorf("parity: pixel_values %v, input_ids %v: want 4-D and 2-D", px.Shape, ids.Shape)
	}
	pixels := clip.Pixels{Data: px.F32, Batch: px.Shape[0], Channels: px.Shape[1], Height: px.Shape[2], Width: px.Shape[3]}
	tokens := clip.Tokens{InputIDs: ids.I64, AttentionMask: mask.I64, Batch: ids.Shape[0], Len: ids.Shape[1]}
	dtypes := []string{mf.dtype}
	if *list != "" {
		dtypes = strings.Split(*list, ",")
	}
	res := map[string]any{"device": opts.Device.String()}
	for _, dt := range dtypes {
		// -dtypes: one process for several dtypes (a CUDA context costs seconds);
		// each gets its own model and output directory out/<dtype>.
		dir := *out
		if *list != "" {
			if opts.DType, err = clip.ParseDType(dt); err != nil {
				return err
			}
			dir = filepath.Join(*out, dt)
		}
		r, err := parityOne(mf.model, opts, pixels, tokens, dir)
		if err != nil {
			return fmt.Errorf("%s: %w", dt, err)
		}
		res[dt] = r
	}
	res["peak_rss"] = procStatus("VmHWM")
	return emit(res)
}

func parityOne(model string, opts clip.Options, pixels clip.Pixels, tokens clip.Tokens, out string) (map[string]any, error) {
	t0 := time.Now()
	m, err := clip.Load(model, opts)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	loadS := since(t0)
	t1 := time.Now()
	o, err := m.Forward(pixels, tokens)
	if err != nil {
		return nil, err
	}
	fwdS := since(t1)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	for name, mat := range map[string]clip.Matrix{"image_embeds": o.ImageEmbeds, "text_embeds": o.TextEmbeds,
		"logits_per_image": o.LogitsPerImage} {
		if err := preprocess.WriteNPYFile(filepath.Join(out, name+".npy"), mat.Data, mat.Rows, mat.Cols); err != nil {
			return nil, err
		}
	}
	return map[string]any{"load_s": loadS, "forward_s": fwdS, "dtype": opts.DType.String()}, nil
}

// childText times the text tower on K labels with the pipeline's template (tokenize,
// forward, copy out), after one warm-up call, as the kit's transformers side does:
// the figure of encoding a label set that is not cached.
func childText(args []string) error {
	fs := flag.NewFlagSet("text", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	labelsFile := fs.String("labels", "", "file listing the labels, one per line")
	k := fs.Int("k", 0, "use the first k labels (0: all)")
	n := fs.Int("n", 3, "timed calls")
	graphs := fs.Bool("graph", false, "on CUDA: also capture the tower for this batch in a CUDA graph (clip.Model.CaptureTexts), check it against the uncaptured forward bit for bit and time its replays (tokenizing included, as the uncaptured figure)")
	fs.Parse(args)
	opts, err := mf.options()
	if err != nil {
		return err
	}
	labels, err := readLabels(*labelsFile)
	if err != nil {
		return err
	}
	if *k > 0 && *k < len(labels) {
		labels = labels[:*k]
	}
	texts := make([]string, len(labels))
	for i, l := range labels {
		texts[i] = "This is a photo of " + l + "."
	}
	c, err := zeroshot.Open(mf.model, zeroshot.Options{Model: opts})
	if err != nil {
		return err
	}
	defer c.Close()
	var lat []float64
	for i := 0; i <= *n; i++ {
		t := time.Now()
		b, err := c.Tokenizer.EncodeBatch(texts, tokenize.Options{})
		if err != nil {
			return err
		}
		if _, err := c.Model.GetTextFeatures(toTokens(b)); err != nil {
			return err
		}
		lat = append(lat, since(t))
	}
	r := map[string]any{"labels": len(labels), "first_s": lat[0], "text": stats(lat[1:]), "peak_rss": procStatus("VmHWM")}
	if *graphs {
		if err := textGraph(c, texts, *n, r); err != nil {
			r["graph_error"] = err.Error()
		}
	}
	return emit(r)
}

// textGraph captures the text tower for the texts' batch in a CUDA graph, compares a
// replay with GetTextFeatures bit for bit and times n replays.
func textGraph(c *zeroshot.Classifier, texts []string, n int, r map[string]any) error {
	encode := func() (clip.Tokens, error) {
		b, err := c.Tokenizer.EncodeBatch(texts, tokenize.Options{})
		if err != nil {
			return clip.Tokens{}, err
		}
		return toTokens(b), nil
	}
	tok, err := encode()
	if err != nil {
		return err
	}
	t := time.Now()
	tg, err := c.Model.CaptureTexts(tok.Batch, tok.Len, tok.Padded(), false)
	if err != nil {
		return err
	}
	defer tg.Close()
	r["graph_capture_s"] = since(t)
	want, err := c.Model.GetTextFeatures(tok)
	if err != nil {
		return err
	}
	got, err := tg.Run(tok)
	if err != nil {
		return err
	}
	same, maxd := compareBits(want.Data, got.Data)
	r["graph_identical"], r["graph_same_values"], r["graph_values"], r["graph_max_abs_diff"] = same == len(want.Data), same, len(want.Data), maxd
	var lat []float64
	for i := 0; i < max(n, 1); i++ {
		t := time.Now()
		tok, err := encode()
		if err != nil {
			return err
		}
		if _, err := tg.Run(tok); err != nil {
			return err
		}
		lat = append(lat, since(t))
	}
	r["graph"] = stats(lat)
	return nil
}
