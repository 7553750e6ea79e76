package clip

import (
	"errors"
	"fmt"
	"sync"

	"github.com/sugarme/gotch/ts"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// Model is CLIPModel. Its exported fields mirror the checkpoint's module tree (the
// field for "vision_model.encoder.layers.3.mlp.fc1.weight" is
// VisionModel.Encoder.Layers[3].MLP.FC1.Weight); they are for inspection: the
// tensors belong to the model's worker thread and must not be changed or freed.
//
// A Model is safe for concurrent use: its methods run one at a time, in arrival
// order, on the model's own locked OS thread with autograd off, and free every
// intermediate tensor before they return. Close frees the weights.
type Model struct {
	TextModel        TextTransformer   // text_model
	VisionModel      VisionTransformer // vision_model
	VisualProjection Linear            // visual_projection (no bias)
	TextProjection   Linear            // text_projection (no bias)
	LogitScale       *ts.Tensor        // logit_scale (a 0-d tensor; the scale is its exp)

	cfg       Config
	dtype     DType
	dev       Device
	attn      AttnImplementation // resolved: AttnEager or AttnSDPA
	info      LoadInfo
	worker    *torch.Worker
	owned     []*ts.Tensor
	mapped    *mapping                 // the weights file, while tensors view it
	two, half *ts.Scalar               // the exponents of _get_vector_norm
	closed    bool                     // set on the worker thread by Close
	graphMax  int                      // Options.CUDAGraphs
	graphs    map[graphKey]*ImageGraph // captured on first use (worker thread only)
	closeOnce sync.Once
}

// Output is what CLIPModel.forward returns (without the tower outputs).
type Output struct {
	LogitsPerImage Matrix // [images, texts]: logit_scale.exp() · cosine similarity
	LogitsPerText  Matrix // [texts, images]: its transpose
	ImageEmbeds    Matrix // [images, projection_dim], L2-normalized
	TextEmbeds     Matrix // [texts, projection_dim], L2-normalized
}

func (m *Model) bind(c *Config) *binder {
	b := &binder{}
	m.TextModel.bind(b, "text_model", c.Text)
	m.VisionModel.bind(b, "vision_model", c.Vision)
	m.VisualProjection.bind(b, "visual_projection", int64(c.ProjectionDim), int64(c.Vision.HiddenSize), false)
	m.TextProjection.bind(b, "text_projection", int64(c.ProjectionDim), int64(c.Text.HiddenSize), false)
	b.add(&m.LogitScale, "logit_scale")
	b.intScalar(&m.two, 2)
	b.scalar(&m.half, 0.5)
	return b
}

// Config returns the resolved configuration.
func (m *Model) Config() Config { return m.cfg }

// DType returns the dtype the model computes in.
func (m *Model) DType() DType { return m.dtype }

// Device returns the device the model runs on.
func (m *Model) Device() Device { return m.dev }

// Attention returns the attention implementation the model runs (AttnEager or
// AttnSDPA; Info().Attention says why).
func (m *Model) Attention() AttnImplementation { return m.attn }

// Info describes what Load read.
func (m *Model) Info() LoadInfo { return m.info }

// Forward is CLIPModel.forward(pixel_values, input_ids, attention_mask).
func (m *Model) Forward(px Pixels, tok Tokens) (*Output, error) {
	if err := px.check(m.cfg.Vision); err != nil {
		return nil, err
	}
	if err := tok.check(m.cfg.Text); err != nil {
		return nil, err
	}
	var out Output
	err := m.run(func(g *graph) error {
		img := g.linear(m.VisionModel.forward(g, g.floats(px.Data, px.shape(), m.dtype.gotch()), int64(px.Batch)), &m.VisualProjection)
		txt := g.linear(m.TextModel.forward(g, tok), &m.TextProjection)
		img, txt = m.normalize(g, img), m.normalize(g, txt)
		perText, perImage := m.logits(g, img, txt)
		return g.copyOut(map[*Matrix]*ts.Tensor{&out.ImageEmbeds: img, &out.TextEmbeds: txt,
			&out.LogitsPerText: perText, &out.LogitsPerImage: perImage})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetImageFeatures is CLIPModel.get_image_features: the projected pooled output of
// the vision tower, not normalized.
func (m *Model) GetImageFeatures(px Pixels) (Matrix, error) { return m.imageSide(px, false) }

// GetTextFeatures is CLIPModel.get_text_features: the projected pooled output of the
// text tower, not normalized.
func (m *Model) GetTextFeatures(tok Tokens) (Matrix, error) { return m.textSide(tok, false) }

// ImageEmbeds is Output.ImageEmbeds alone: normalized image features, bit-identical
// to Forward's for the same batch of images; cache them and call Logits.
func (m *Model) ImageEmbeds(px Pixels) (Matrix, error) { return m.imageSide(px, true) }

// TextEmbeds is Output.TextEmbeds alone (e.g. to cache a label set's embeddings),
// bit-identical to Forward's for the same batch of texts.
func (m *Model) TextEmbeds(tok Tokens) (Matrix, error) { return m.textSide(tok, true) }

// Logits computes logits_per_image and logits_per_text from normalized embeddings
// (ImageEmbeds / TextEmbeds, or an Output's), with the ops and order of
// CLIPModel.forward: for the same batches the numbers are bit-identical to Forward's.
// Embeddings of a bfloat16/float16 model are exact in float32 and go back unchanged.
func (m *Model) Logits(imageEmbeds, textEmbeds Matrix) (logitsPerImage, logitsPerText Matrix, err error) {
	if err := imageEmbeds.check("image_embeds", m.cfg.ProjectionDim, "projection_dim"); err != nil {
		return Matrix{}, Matrix{}, err
	}
	if err := textEmbeds.check("text_embeds", m.cfg.ProjectionDim, "projection_dim"); err != nil {
		return Matrix{}, Matrix{}, err
	}
	err = m.run(func(g *graph) error {
		img := g.floats(imageEmbeds.Data, imageEmbeds.shape(), m.dtype.gotch())
		txt := g.floats(textEmbeds.Data, textEmbeds.shape(), m.dtype.gotch())
		perText, perImage := m.logits(g, img, txt)
		return g.copyOut(map[*Matrix]*ts.Tensor{&logitsPerText: perText, &logitsPerImage: perImage})
	})
	return logitsPerImage, logitsPerText, err
}

func (m *Model) imageSide(px Pixels, normalize bool) (Matrix, error) {
	if err := px.check(m.cfg.Vision); err != nil {
		return Matrix{}, err
	}
	if px.Batch <= m.graphMax {
		return m.imageGraphed(px, normalize)
	}
	var out Matrix
	err := m.run(func(g *graph) error {
		f := g.linear(m.VisionModel.forward(g, g.floats(px.Data, px.shape(), m.dtype.gotch()), int64(px.Batch)), &m.VisualProjection)
		return g.copyOut(map[*Matrix]*ts.Tensor{&out: m.features(g, f, normalize)})
	})
	return out, err
}

func (m *Model) textSide(tok Tokens, normalize bool) (Matrix, error) {
	if err := tok.check(m.cfg.Text); err != nil {
		return Matrix{}, err
	}
	var out Matrix
	err := m.run(func(g *graph) error {
		f := g.linear(m.TextModel.forward(g, tok), &m.TextProjection)
		return g.copyOut(map[*Matrix]*ts.Tensor{&out: m.features(g, f, normalize)})
	})
	return out, err
}

// normalize is x / _get_vector_norm(x): pow(x, 2) → sum(-1, keepdim) → pow(0.5).
func (m *Model) normalize(g *graph, x *ts.Tensor) *ts.Tensor {
	return g.div(x, g.pow(g.sumLast(g.pow(x, m.two)), m.half))
}

// logits: logits_per_text = matmul(text, image.t()) * logit_scale.exp(); per image = .t().
func (m *Model) logits(g *graph, img, txt *ts.Tensor) (perText, perImage *ts.Tensor) {
	perText = g.mul(g.matmul(txt, g.t(img)), g.exp(m.LogitScale))
	return perText, g.t(perText)
}

// SetThreads sets libtorch's intra-op thread count on the model's worker thread.
func (m *Model) SetThreads(n int) error {
	return m.run(func(*graph) error { return torch.SetThreads(n) })
}

// run runs fn on the worker thread with a fresh graph whose scope is freed after.
func (m *Model) run(fn func(g *graph) error) error {
	return m.do(func() error {
		var s torch.Scope
		defer s.Free()
		g := &graph{s: &s, dtype: m.dtype, dev: m.dev, attn: m.attn}
		if err := fn(g); err != nil {
			return err
		}
		return g.err
	})
}

// do runs fn on the worker thread, or returns ErrClosed once the model is closed.
func (m *Model) do(fn func() error) error {
	err := m.worker.Do(func() error {
		if m.closed {
			return ErrClosed
		}
		return fn()
	})
	if errors.Is(err, torch.ErrClosed) {
		return ErrClosed
	}
	return err
}

// closeGraph frees a graph the caller captured (its free) on the worker thread; after
// the model's Close there is nothing left to free.
func (m *Model) closeGraph(free func()) error {
	if err := m.do(func() error { free(); return nil }); err != nil && !errors.Is(err, ErrClosed) {
		return err
	}
	return nil
}

// Close frees the model's tensors and stops its thread, after the calls in progress.
// Later calls return ErrClosed. Close is idempotent and safe for concurrent use.
func (m *Model) Close() error {
	var err error
	m.closeOnce.Do(func() {
		_ = m.worker.Do(func() error { m.free(); return nil })
		m.worker.Close()
		err = m.mapped.close()
	})
	return err
}

// free drops every tensor the model owns (on the worker thread).
func (m *Model) free() {
	m.closed = true
	for _, ig := range m.graphs {
		ig.free()
	}
	m.graphs = nil
	for _, t := range m.owned {
		_ = t.Drop()
	}
	m.owned = nil
}

// copyOut copies each tensor to its Matrix (as float32, on the CPU).
func (g *graph) copyOut(dst map[*Matrix]*ts.Tensor) error {
	if g.err != nil {
		return g.err
	}
	for mat, t := range dst {
		if t == nil {
			return errNilTensor
		}
		data, shape, err := torch.Float32s(t)
		if err != nil {
			return torchError("copy", err)
		}
		if len(shape) != 2 {
			return fmt.Errorf("clip: internal error: output of shape %v", shape)
		}
		*mat = Matrix{Data: data, Rows: int(shape[0]), Cols: int(shape[1])}
	}
	return nil
}

func (p Pixels) shape() []int64 {
	return []int64{int64(p.Batch), int64(p.Channels), int64(p.Height), int64(p.Width)}
}

func (m Matrix) shape() []int64 { return []int64{int64(m.Rows), int64(m.Cols)} }
