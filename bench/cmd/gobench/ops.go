package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zeroshot-clip/zeroshot/clip"
)

// childOps writes libtorch's op traces (Kineto, as torch.profiler records them) of one
// image-tower forward (GetImageFeatures on -batch synthetic images) and one text forward
// (GetTextFeatures on -texts synthetic sequences of the model's full length), each after a
// warm-up call, to -out/go-image.json and -out/go-text.json: what bench/optrace.py
// compares op by op with transformers' traces of the same calls.
func childOps(args []string) error {
	fs := flag.NewFlagSet("ops", flag.ExitOnError)
	var mf modelFlags
	mf.register(fs)
	batch := fs.Int("batch", 1, "images in the traced image forward")
	texts := fs.Int("texts", 8, "sequences in the traced text forward")
	out := fs.String("out", "", "directory for the traces")
	fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("-out: a directory for the traces is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	m, err := mf.load()
	if err != nil {
		return err
	}
	defer m.Close()
	px := synthPixels(m.Config().Vision, *batch)
	tok := synthTokens(m.Config(), *texts)
	calls := []struct {
		name string
		f    func() error
	}{
		{"go-image.json", func() error { _, err := m.GetImageFeatures(px); return err }},
		{"go-text.json", func() error { _, err := m.GetTextFeatures(tok); return err }},
	}
	res := map[string]any{"attn_implementation": m.Attention().String(), "device": m.Device().String()}
	for _, c := range calls {
		if err := c.f(); err != nil { // warm-up: allocator caches, oneDNN/cuBLAS plans
			return fmt.Errorf("%s: %w", c.name, err)
		}
		path := filepath.Join(*out, c.name)
		if err := m.Profile(path, c.f); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		res[c.name] = path
	}
	return emit(res)
}

// synthTokens is n sequences of the text tower's full length: ids counting up through
// the vocabulary, the end-of-text id last (its position is where the pooling reads), a
// full attention mask. bench/optrace.py builds the same.
func synthTokens(c clip.Config, n int) clip.Tokens {
	l := c.Text.MaxPositionEmbeddings
	ids := make([]int64, 0, n*l)
	for i := 0; i < n; i++ {
		for j := 0; j < l-1; j++ {
			ids = append(ids, int64((i*l+j)%(c.Text.VocabSize-2)))
		}
		ids = append(ids, c.Text.EOSTokenID)
	}
	mask := make([]int64, n*l)
	for i := range mask {
		mask[i] = 1
	}
	return clip.Tokens{InputIDs: ids, AttentionMask: mask, Batch: n, Len: l}
}
