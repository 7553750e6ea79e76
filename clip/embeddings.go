package clip

import "github.com/sugarme/gotch/ts"

// TextEmbeddings is CLIPTextEmbeddings: token + position embeddings.
type TextEmbeddings struct {
	TokenEmbedding    Embedding
	PositionEmbedding Embedding
	positionIDs       *ts.Tensor // the non-persistent buffer arange(max_position_embeddings)[None]
}

func (e *TextEmbeddings) bind(b *binder, name string, c TextConfig) {
	e.TokenEmbedding.bind(b, name+".token_embedding", int64(c.VocabSize), int64(c.HiddenSize))
	e.PositionEmbedding.bind(b, name+".position_embedding", int64(c.MaxPositionEmbeddings), int64(c.HiddenSize))
	b.arange(&e.positionIDs, int64(c.MaxPositionEmbeddings))
}

// forward: token_embedding(input_ids) + position_embedding(position_ids[:, :L]).
func (e *TextEmbeddings) forward(g *graph, ids *ts.Tensor, seq int64) *ts.Tensor {
	pos := g.embedding(g.narrow(e.positionIDs, 1, 0, seq), &e.PositionEmbedding)
	return g.add(g.embedding(ids, &e.TokenEmbedding), pos)
}

// VisionEmbeddings is CLIPVisionEmbeddings: class token + patch embeddings + positions.
type VisionEmbeddings struct {
	ClassEmbedding    *ts.Tensor // [hidden]
	PatchEmbedding    Conv2d
	PositionEmbedding Embedding
	positionIDs       *ts.Tensor // arange(num_positions)[None]
}

func (e *VisionEmbeddings) bind(b *binder, name string, c VisionConfig) {
	hidden := int64(c.HiddenSize)
	b.add(&e.ClassEmbedding, name+".class_embedding", hidden)
	e.PatchEmbedding.bind(b, name+".patch_embedding", hidden, int64(c.NumChannels), int64(c.PatchSize))
	e.PositionEmbedding.bind(b, name+".position_embedding", int64(c.NumPositions()), hidden)
	b.arange(&e.positionIDs, int64(c.NumPositions()))
}

// forward mirrors CLIPVisionEmbeddings.forward without interpolate_pos_encoding.
// pixels are already in the model's dtype (pixel_values.to(patch_embedding.weight.dtype)).
func (e *VisionEmbeddings) forward(g *graph, pixels *ts.Tensor, batch int64) *ts.Tensor {
	patches := g.transpose(g.flatten(g.conv2d(pixels, &e.PatchEmbedding), 2), 1, 2)
	class := g.expand(e.ClassEmbedding, batch, 1, -1)
	emb := g.cat([]*ts.Tensor{class, patches}, 1)
	return g.add(emb, g.embedding(e.positionIDs, &e.PositionEmbedding))
}
