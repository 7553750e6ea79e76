package zeroshot

import (
	"container/heap"
	"sort"
)

// Result is one label's score, in the pipeline's JSON shape: {"score": …, "label": …}.
type Result struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// rank turns one image's probabilities into results sorted by score, highest first,
// ties in label order (Python's stable sort on -score), cut to topK when 0 < topK.
// With a small topK the best are selected with a heap (O(n log k), no n-sized list),
// in the same order the sort gives.
func rank(labels []string, probs []float32, topK int) []Result {
	if topK > 0 && topK < len(labels) {
		return best(labels, probs, topK)
	}
	out := make([]Result, len(labels))
	for i, l := range labels {
		out[i] = Result{Score: float64(probs[i]), Label: l}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// best is rank's first k results, selected with a heap holding the k best seen so far,
// the worst at its root.
func best(labels []string, probs []float32, k int) []Result {
	h := &worst{idx: make([]int, 0, k), probs: probs}
	for i := range probs {
		switch {
		case len(h.idx) < k:
			heap.Push(h, i)
		case h.before(i, h.idx[0]):
			h.idx[0] = i
			heap.Fix(h, 0)
		}
	}
	sort.Slice(h.idx, func(a, b int) bool { return h.before(h.idx[a], h.idx[b]) })
	out := make([]Result, len(h.idx))
	for j, i := range h.idx {
		out[j] = Result{Score: float64(probs[i]), Label: labels[i]}
	}
	return out
}

// worst is a heap of label indices whose root ranks last.
type worst struct {
	idx   []int
	probs []float32
}

// before reports whether label a ranks before label b: a higher score, or the same
// score and an earlier label (the stable sort's order).
func (h *worst) before(a, b int) bool {
	if h.probs[a] != h.probs[b] {
		return h.probs[a] > h.probs[b]
	}
	return a < b
}

func (h *worst) Len() int           { return len(h.idx) }
func (h *worst) Less(i, j int) bool { return h.before(h.idx[j], h.idx[i]) }
func (h *worst) Swap(i, j int)      { h.idx[i], h.idx[j] = h.idx[j], h.idx[i] }
func (h *worst) Push(x any)         { h.idx = append(h.idx, x.(int)) }
func (h *worst) Pop() any {
	x := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return x
}
