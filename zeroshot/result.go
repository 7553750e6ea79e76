package zeroshot

import "sort"

// Result is one label's score, in the pipeline's JSON shape: {"score": …, "label": …}.
type Result struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// rank turns one image's probabilities into results sorted by score, highest first,
// ties in label order (Python's stable sort on -score), cut to topK when 0 < topK.
func rank(labels []string, probs []float32, topK int) []Result {
	out := make([]Result, len(labels))
	for i, l := range labels {
		out[i] = Result{Score: float64(probs[i]), Label: l}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if topK > 0 && topK < len(out) {
		out = out[:topK]
	}
	return out
}
