package tokenize

import (
	"fmt"
	"math"

	"github.com/sugarme/tokenizer/model/bpe"
	"github.com/sugarme/tokenizer/pretokenizer"
)

// wordBPE runs the library's BPE model (vocabulary, merges, ranks, end-of-word suffix) on
// one pre-tokenized word. The library's own MergeWord never appends the suffix and its
// MergeAll breaks rank ties by an unset timestamp instead of by position
// (library_test.go), so the merge loop is here; the tables it reads are the library's.
type wordBPE struct {
	model  *bpe.BPE
	merges map[uint64]uint64 // pair (left<<32 | right) → rank<<32 | merged id
	first  [256]int32        // id of a byte's symbol, or -1
	last   [256]int32        // id of a byte's symbol + end-of-word suffix, or -1
	unk    int32             // id of the unknown token, or -1
	cache  *wordCache
}

func newWordBPE(model *bpe.BPE) (*wordBPE, error) {
	w := &wordBPE{model: model, unk: -1, cache: newWordCache(wordCacheSize)}
	vocab := *model.Vocab
	if model.UnkToken != nil {
		id, ok := vocab[*model.UnkToken]
		if !ok {
			return nil, fmt.Errorf("unknown token %q is not in the vocabulary", *model.UnkToken)
		}
		w.unk = int32(id)
	}
	suffix := ""
	if model.EndOfWordSuffix != nil {
		suffix = *model.EndOfWordSuffix
	}
	for b := range 256 {
		sym := pretokenizer.BytesChar[uint8(b)]
		w.first[b], w.last[b] = -1, -1
		if id, ok := vocab[sym]; ok {
			w.first[b] = int32(id)
		}
		if id, ok := vocab[sym+suffix]; ok {
			w.last[b] = int32(id)
		}
	}
	w.merges = make(map[uint64]uint64, len(*model.Merges))
	for p, v := range *model.Merges {
		if p.C1 < 0 || p.C2 < 0 || v.NewId < 0 || p.C1 > math.MaxInt32 || p.C2 > math.MaxInt32 ||
			v.NewId > math.MaxInt32 || v.Rank < 0 || v.Rank > math.MaxInt32 {
			return nil, fmt.Errorf("merge %v → %v out of range", p, v)
		}
		w.merges[pairKey(int32(p.C1), int32(p.C2))] = uint64(v.Rank)<<32 | uint64(v.NewId)
	}
	return w, nil
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// appendWord appends the ids of word (its UTF-8 bytes are the byte-level symbols).
func (w *wordBPE) appendWord(dst []int, word string) []int {
	if ids, ok := w.cache.get(word); ok {
		return append(dst, ids...)
	}
	ids := w.merge(word)
	w.cache.put(word, ids)
	return append(dst, ids...)
}

// merge is Hugging Face's BPE::merge_word: one symbol per byte, the end-of-word suffix on
// the last; then, while any adjacent pair has a merge, the pair of lowest rank is merged,
// leftmost first.
func (w *wordBPE) merge(word string) []int {
	syms := make([]int32, 0, len(word))
	for i := 0; i < len(word); i++ {
		id := w.first[word[i]]
		if i == len(word)-1 {
			id = w.last[word[i]]
		}
		if id < 0 {
			id = w.unk
		}
		if id >= 0 { // no unknown token: the symbol is dropped, as Hugging Face does
			syms = append(syms, id)
		}
	}
	if len(syms) > heapMergeMin {
		syms = w.mergeHeap(syms)
	} else {
		syms = w.mergeScan(syms)
	}
	ids := make([]int, len(syms))
	for i, s := range syms {
		ids[i] = int(s)
	}
	return ids
}

// heapMergeMin is the word length from which mergeHeap, O(n log n), beats mergeScan, O(n²).
const heapMergeMin = 48

// mergeScan merges by scanning for the pair of lowest rank and merging its occurrences
// left to right in one pass. That is what the priority queue of mergeHeap does: a merge never
// creates a pair of lower rank (a merge's rank is above those of the merges that made its
// symbols), and same-rank entries are taken leftmost first.
func (w *wordBPE) mergeScan(syms []int32) []int32 {
	for len(syms) > 1 {
		best, bestRank, merged := -1, uint64(math.MaxUint64), int32(0)
		for i := 0; i+1 < len(syms); i++ {
			if v, ok := w.merges[pairKey(syms[i], syms[i+1])]; ok && v>>32 < bestRank {
				best, bestRank, merged = i, v>>32, int32(uint32(v))
			}
		}
		if best < 0 {
			break
		}
		a, b := syms[best], syms[best+1]
		out := syms[:best]
		for i := best; i < len(syms); i++ {
			if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
				out = append(out, merged)
				i++
				continue
			}
			out = append(out, syms[i])
		}
		syms = out
	}
	return syms
}
