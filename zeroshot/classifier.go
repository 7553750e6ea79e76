package zeroshot

import (
	"context"
	"fmt"
	"os"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/tvprocess"
)

// Options configure Open.
type Options struct {
	// Model: device, dtype, threads; Model.Attention overrides the profile's attention.
	Model clip.Options
	// Parity is the Python to reproduce (ParityAuto: the one for the linked libtorch);
	// it picks the image processor backend, the transparency rule and the attention.
	Parity Parity
	// Backend overrides the parity's image processor backend.
	Backend Backend
	// Batching is how a batch of images goes through the image tower (BatchingAuto:
	// one image at a time on CPU, the pipeline's bits whatever the batch; batched on
	// CUDA).
	Batching Batching
	// LabelCacheSize bounds the label sets kept in memory (default 64).
	LabelCacheSize int
	// LabelCacheBytes bounds the memory of the label sets kept (default 1 GiB: about
	// 350,000 labels of ViT-L/14); the most recent set is kept whatever its size.
	LabelCacheBytes int64
	// LabelCacheDir, if set, also keeps label embeddings on disk, one file per label set,
	// so later processes skip the text pass.
	LabelCacheDir string
	// TextBatch is the number of label texts per text-tower forward; 0 chooses it from
	// the device and the texts' padded length (about 4,096 token rows on CPU, 32,768 on
	// CUDA), so that memory stays flat in the number of labels. Any size gives the
	// one-batch embeddings; sizes under ~12 texts may differ from them in the last bits.
	TextBatch int
	// TextProgress, if set, is called after each text-tower forward with the texts done
	// and the total (labels × templates) of the label set being embedded.
	TextProgress func(done, total int)
}

// Request says what to classify against.
type Request struct {
	Labels []string // candidate_labels
	// Template is the hypothesis_template; empty means DefaultTemplate. Ignored when
	// Templates is set.
	Template string
	// Templates, if set, makes each label's embedding the prompt ensemble over them.
	Templates []string
	// TopK > 0 keeps only the K best labels per image (the pipeline returns all).
	TopK int
	// AllowDuplicates accepts the same label twice, as the pipeline does; by default a
	// duplicate is a *LabelError.
	AllowDuplicates bool
}

func (r Request) templates() []string {
	switch {
	case len(r.Templates) > 0:
		return r.Templates
	case r.Template != "":
		return []string{r.Template}
	default:
		return []string{DefaultTemplate}
	}
}

// Classifier is the zero-shot pipeline over one model. Safe for concurrent use.
type Classifier struct {
	Model     *clip.Model
	Processor ImageProcessor
	Tokenizer *tokenize.Tokenizer

	profile      Profile
	batching     Batching // resolved: per-image or batched
	id           string   // identity of the model for the label cache
	labels       *labelCache
	textBatch    int
	textProgress func(done, total int)
	owns         bool
}

// Open loads a model directory (config.json, weights, preprocessor_config.json and the
// tokenizer files, as a Hugging Face snapshot has them) for opts' parity profile.
// Close frees the model.
func Open(dir string, opts Options) (*Classifier, error) {
	prof, err := ResolveProfile(opts.Parity, opts.Backend, opts.Model.Attention)
	if err != nil {
		return nil, err
	}
	if _, err := ParseBatching(string(opts.Batching)); err != nil {
		return nil, err
	}
	proc, err := loadImageProcessor(dir, prof.Backend)
	if err != nil {
		return nil, err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("tokenizer of %s: %w", dir, err)
	}
	mopts := opts.Model
	mopts.Attention = prof.Attention
	m, err := clip.Load(dir, mopts)
	if err != nil {
		return nil, err
	}
	c := New(m, proc, tok, opts)
	c.owns = true
	return c, nil
}

// New makes a classifier over already loaded parts; Close then leaves the model open.
// Its profile is opts' parity with proc's backend and m's attention.
func New(m *clip.Model, proc ImageProcessor, tok *tokenize.Tokenizer, opts Options) *Classifier {
	info := m.Info()
	id := fmt.Sprintf("%s|%s|%s|%s|%v", info.Path, m.DType(), m.Device(), m.Attention(), fileStamp(info.Path))
	prof, err := ResolveProfile(opts.Parity, BackendAuto, m.Attention())
	if err != nil { // an unknown Parity: the libtorch's default
		prof, _ = ResolveProfile(ParityAuto, BackendAuto, m.Attention())
	}
	prof.Backend = BackendPIL
	if _, ok := proc.(*tvprocess.Processor); ok {
		prof.Backend = BackendTorchvision
	}
	batching, err := ParseBatching(string(opts.Batching))
	if err != nil { // an unknown Batching: the device's default
		batching = BatchingAuto
	}
	return &Classifier{Model: m, Processor: proc, Tokenizer: tok, id: id, profile: prof, batching: batching.Resolve(m.Device()),
		labels:    newLabelCache(opts.LabelCacheSize, opts.LabelCacheBytes, opts.LabelCacheDir),
		textBatch: opts.TextBatch, textProgress: opts.TextProgress}
}

// Profile is what the classifier computes with (Attention: the model's).
func (c *Classifier) Profile() Profile { return c.profile }

func fileStamp(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%d@%d", st.Size(), st.ModTime().UnixNano())
}

// Close frees the model if Open loaded it.
func (c *Classifier) Close() error {
	if c.owns {
		return c.Model.Close()
	}
	return nil
}

// LabelEmbeddings returns the embeddings of req's labels under its template(s),
// computed once per (model, templates, labels) and then taken from the cache.
func (c *Classifier) LabelEmbeddings(req Request) (*Labels, error) {
	return c.LabelEmbeddingsContext(context.Background(), req)
}

// LabelEmbeddingsContext is LabelEmbeddings, stopped between text-tower forwards when
// ctx ends (a large label set takes minutes on a CPU).
func (c *Classifier) LabelEmbeddingsContext(ctx context.Context, req Request) (*Labels, error) {
	if err := checkLabels(req.Labels, req.AllowDuplicates); err != nil {
		return nil, err
	}
	templates := req.templates()
	for _, t := range templates {
		if _, err := Format(t, "x"); err != nil {
			return nil, err
		}
	}
	key := cacheKey(c.id, templates, req.Labels)
	if l, ok := c.labels.get(key, req.Labels, templates); ok {
		return l, nil
	}
	unlock := c.labels.lockKey(ctx, key) // another process computing the same set: wait, then read its file
	defer unlock()
	if l, ok := c.labels.get(key, req.Labels, templates); ok {
		return l, nil
	}
	pass := textPass{m: c.Model, tok: c.Tokenizer, batch: c.textBatch}
	l, err := embedLabels(ctx, pass, req.Labels, templates, c.textProgress)
	if err != nil {
		return nil, err
	}
	_ = c.labels.put(key, l, true) // a disk-cache failure only costs a recomputation
	return l, nil
}

// Classify scores one image (as decoded by preprocess.Load with the profile's
// PipelineOptions, or FromImage) against req's labels.
func (c *Classifier) Classify(ctx context.Context, img preprocess.RGB, req Request) ([]Result, error) {
	out, err := c.ClassifyBatch(ctx, []preprocess.RGB{img}, req)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ClassifyBatch scores several images against the same labels with the cached label
// embeddings: one image forward per image under BatchingPerImage (the CPU default: each
// image's scores are the pipeline's, bit for bit), one for the batch under
// BatchingBatched (which can differ from one-image forwards in the last float bits).
func (c *Classifier) ClassifyBatch(ctx context.Context, imgs []preprocess.RGB, req Request) ([][]Result, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	labels, err := c.LabelEmbeddingsContext(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	px, err := c.pixels(imgs)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	imgEmb, err := c.ImageEmbeds(px)
	if err != nil {
		return nil, err
	}
	return c.Score(imgEmb, labels, req.TopK)
}

// pixels preprocesses a batch (in parallel) into the model's input.
func (c *Classifier) pixels(imgs []preprocess.RGB) (clip.Pixels, error) {
	return pixelBatch(c.Processor, imgs)
}

// pixelBatch preprocesses imgs (in parallel) into one [N,3,H,W] batch; without center
// crop, images of different output sizes cannot share a batch.
func pixelBatch(p ImageProcessor, imgs []preprocess.RGB) (clip.Pixels, error) {
	w, h := p.OutputSize(imgs[0].W, imgs[0].H)
	if !p.Config().DoCenterCrop {
		for _, im := range imgs[1:] {
			if w2, h2 := p.OutputSize(im.W, im.H); w2 != w || h2 != h {
				return clip.Pixels{}, fmt.Errorf("images of different sizes cannot be batched without center crop")
			}
		}
	}
	data, err := p.PreprocessBatch(imgs)
	if err != nil {
		return clip.Pixels{}, err
	}
	return clip.Pixels{Data: data, Batch: len(imgs), Channels: 3, Height: h, Width: w}, nil
}

// ClassifyFiles loads each path as the pipeline's load_image does (EXIF applied; the
// profile's transparency rule) and classifies them in one batch.
func (c *Classifier) ClassifyFiles(ctx context.Context, paths []string, req Request) ([][]Result, error) {
	imgs := make([]preprocess.RGB, len(paths))
	for i, p := range paths {
		img, err := preprocess.Load(p, c.profile.PipelineOptions())
		if err != nil {
			return nil, err
		}
		imgs[i] = img
	}
	return c.ClassifyBatch(ctx, imgs, req)
}
