package clip

import "fmt"

// Pixels is a batch of images as CLIPImageProcessor's pixel_values: float32,
// [Batch, Channels, Height, Width], row-major.
type Pixels struct {
	Data                           []float32
	Batch, Channels, Height, Width int
}

// Tokens is a batch of tokenized texts as the CLIP tokenizer returns them with
// padding: input_ids and attention_mask, [Batch, Len], row-major. A nil
// AttentionMask means all ones.
type Tokens struct {
	InputIDs      []int64
	AttentionMask []int64
	Batch, Len    int
}

// Padded reports whether some attention_mask value is 0: a batch with padding, which
// SDPA attends with a boolean mask and CaptureTexts captures with masked set.
func (t Tokens) Padded() bool {
	for _, v := range t.AttentionMask {
		if v == 0 {
			return true
		}
	}
	return false
}

// Matrix is a row-major float32 matrix (embeddings, logits).
type Matrix struct {
	Data       []float32
	Rows, Cols int
}

// Row returns row i (a slice of Data).
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

func (p Pixels) check(c VisionConfig) error {
	switch {
	case p.Batch <= 0:
		return &InputError{"pixel_values", "empty batch"}
	case len(p.Data) != p.Batch*p.Channels*p.Height*p.Width:
		return &InputError{"pixel_values", fmt.Sprintf("%d values for shape [%d %d %d %d]",
			len(p.Data), p.Batch, p.Channels, p.Height, p.Width)}
	case p.Channels != c.NumChannels:
		return &InputError{"pixel_values", fmt.Sprintf("%d channels, the model takes %d", p.Channels, c.NumChannels)}
	case p.Height != c.ImageSize || p.Width != c.ImageSize:
		return &InputError{"pixel_values", fmt.Sprintf("input image size (%d*%d) doesn't match model (%d*%d)",
			p.Height, p.Width, c.ImageSize, c.ImageSize)}
	}
	return nil
}

func (t Tokens) check(c TextConfig) error {
	switch {
	case t.Batch <= 0 || t.Len <= 0:
		return &InputError{"input_ids", "empty batch or sequence"}
	case len(t.InputIDs) != t.Batch*t.Len:
		return &InputError{"input_ids", fmt.Sprintf("%d ids for shape [%d %d]", len(t.InputIDs), t.Batch, t.Len)}
	case t.AttentionMask != nil && len(t.AttentionMask) != len(t.InputIDs):
		return &InputError{"attention_mask", fmt.Sprintf("%d values for %d ids", len(t.AttentionMask), len(t.InputIDs))}
	case t.Len > c.MaxPositionEmbeddings:
		return &InputError{"input_ids", fmt.Sprintf("sequence length %d exceeds max_position_embeddings %d",
			t.Len, c.MaxPositionEmbeddings)}
	}
	for i, id := range t.InputIDs {
		if id < 0 || id >= int64(c.VocabSize) {
			return &InputError{"input_ids", fmt.Sprintf("id %d at [%d %d] is outside the %d-token vocabulary",
				id, i/t.Len, i%t.Len, c.VocabSize)}
		}
	}
	return nil
}

// check validates a matrix argument of cols columns; dim names cols for the message
// ("projection_dim").
func (m Matrix) check(arg string, cols int, dim string) error {
	switch {
	case m.Rows <= 0 || len(m.Data) != m.Rows*m.Cols:
		return &InputError{arg, fmt.Sprintf("%d values for a %d×%d matrix", len(m.Data), m.Rows, m.Cols)}
	case m.Cols != cols:
		return &InputError{arg, fmt.Sprintf("%d columns, the model's %s is %d", m.Cols, dim, cols)}
	}
	return nil
}
