package zeroshot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// LabelError says why a label set cannot be classified against.
type LabelError struct {
	Label  string // the label concerned, if one
	Index  int    // its position, or -1
	Reason string
	Err    error // the underlying error (e.g. *tokenize.TooLongError), if any
}

func (e *LabelError) Error() string {
	if e.Index < 0 {
		return "labels: " + e.Reason
	}
	return fmt.Sprintf("label %d %q: %s", e.Index+1, e.Label, e.Reason)
}

func (e *LabelError) Unwrap() error { return e.Err }

// checkLabels rejects what cannot give a meaningful answer: no labels, an empty (or
// all-space) label, and, unless allowed, the same label twice.
func checkLabels(labels []string, allowDuplicates bool) error {
	if len(labels) == 0 {
		return &LabelError{Index: -1, Reason: "no candidate labels"}
	}
	seen := make(map[string]int, len(labels))
	for i, l := range labels {
		if strings.TrimSpace(l) == "" {
			return &LabelError{Label: l, Index: i, Reason: "empty label"}
		}
		if j, dup := seen[l]; dup && !allowDuplicates {
			return &LabelError{Label: l, Index: i, Reason: fmt.Sprintf("duplicate of label %d", j+1)}
		}
		seen[l] = i
	}
	return nil
}

// Labels are the embeddings of a label set under one or more templates: one row per
// label, normalized, ready for clip.Model.Logits. Plain data, safe to share read-only.
type Labels struct {
	Labels    []string
	Templates []string
	Embeds    clip.Matrix
}

// embedLabels computes the label embeddings the pipeline's forward computes (one
// template: bit-identical to CLIPModel.forward's text_embeds for the whole set in one
// batch, see textPass), or the prompt ensemble of several templates. progress, if set,
// gets the texts done out of len(labels) × len(templates).
func embedLabels(ctx context.Context, p textPass, labels, templates []string, progress func(done, total int)) (*Labels, error) {
	n, total := len(labels), len(labels)*len(templates)
	var single clip.Matrix
	var sum []float64
	for t, tmpl := range templates {
		texts := make([]string, n)
		for i, l := range labels {
			s, err := Format(tmpl, l)
			if err != nil {
				return nil, err
			}
			texts[i] = s
		}
		if progress != nil {
			p.progress = func(done int) { progress(t*n+done, total) }
		}
		err := p.run(ctx, texts, func(lo int, emb clip.Matrix) error {
			if len(templates) == 1 {
				if single.Data == nil {
					single = clip.Matrix{Rows: n, Cols: emb.Cols, Data: make([]float32, n*emb.Cols)}
				}
				copy(single.Data[lo*emb.Cols:], emb.Data)
				return nil
			}
			if sum == nil {
				sum = make([]float64, n*emb.Cols)
			}
			for i, v := range emb.Data {
				sum[lo*emb.Cols+i] += float64(v)
			}
			return nil
		})
		var tl *tokenize.TooLongError
		if errors.As(err, &tl) {
			return nil, &LabelError{Label: labels[tl.Index], Index: tl.Index, Err: err,
				Reason: fmt.Sprintf("%q is %d tokens; the model takes at most %d", tl.Text, tl.Tokens, tl.Max)}
		}
		if err != nil {
			return nil, err
		}
	}
	if len(templates) == 1 {
		return &Labels{Labels: labels, Templates: templates, Embeds: single}, nil
	}
	return &Labels{Labels: labels, Templates: templates, Embeds: ensemble(sum, n)}, nil
}

// ensemble normalizes each row of the summed normalized embeddings: the mean's
// direction, as open_clip's build_zero_shot_classifier (mean, then normalize).
func ensemble(sum []float64, rows int) clip.Matrix {
	cols := len(sum) / rows
	out := clip.Matrix{Rows: rows, Cols: cols, Data: make([]float32, len(sum))}
	for r := 0; r < rows; r++ {
		row := sum[r*cols : (r+1)*cols]
		var ss float64
		for _, v := range row {
			ss += v * v
		}
		n := math.Sqrt(ss)
		for c, v := range row {
			out.Data[r*cols+c] = float32(v / n)
		}
	}
	return out
}

func tokens(b *tokenize.Batch) clip.Tokens {
	t := clip.Tokens{Batch: len(b.IDs)}
	if t.Batch > 0 {
		t.Len = len(b.IDs[0])
	}
	t.InputIDs = make([]int64, 0, t.Batch*t.Len)
	t.AttentionMask = make([]int64, 0, t.Batch*t.Len)
	for i, row := range b.IDs {
		for j, id := range row {
			t.InputIDs = append(t.InputIDs, int64(id))
			t.AttentionMask = append(t.AttentionMask, int64(b.AttentionMask[i][j]))
		}
	}
	return t
}
