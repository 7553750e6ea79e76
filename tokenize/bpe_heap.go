package tokenize

// mergeHeap is the tokenizers crate's Word::merge_all, without dropout: symbols in a linked
// list, candidate merges in a min-heap on (rank, position); an entry whose symbols have
// changed since it was pushed is skipped.
func (w *wordBPE) mergeHeap(syms []int32) []int32 {
	type symbol struct {
		id         int32
		prev, next int32 // -1: none
		gone       bool
	}
	list := make([]symbol, len(syms))
	for i, id := range syms {
		list[i] = symbol{id: id, prev: int32(i - 1), next: int32(i + 1)}
	}
	list[len(list)-1].next = -1
	var q mergeQueue
	for i := 0; i+1 < len(syms); i++ {
		if v, ok := w.merges[pairKey(syms[i], syms[i+1])]; ok {
			q.push(mergeEntry{rank: uint32(v >> 32), pos: int32(i), id: int32(uint32(v))})
		}
	}
	for len(q) > 0 {
		top := q.pop()
		cur := &list[top.pos]
		if cur.gone || cur.next < 0 {
			continue
		}
		right := list[cur.next]
		if v, ok := w.merges[pairKey(cur.id, right.id)]; !ok || int32(uint32(v)) != top.id {
			continue // expired
		}
		cur.id = top.id
		list[cur.next].gone = true
		cur.next = right.next
		if right.next >= 0 {
			list[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			if v, ok := w.merges[pairKey(list[cur.prev].id, cur.id)]; ok {
				q.push(mergeEntry{rank: uint32(v >> 32), pos: cur.prev, id: int32(uint32(v))})
			}
		}
		if cur.next >= 0 {
			if v, ok := w.merges[pairKey(cur.id, list[cur.next].id)]; ok {
				q.push(mergeEntry{rank: uint32(v >> 32), pos: top.pos, id: int32(uint32(v))})
			}
		}
	}
	out := syms[:0]
	for _, s := range list {
		if !s.gone {
			out = append(out, s.id)
		}
	}
	return out
}

type mergeEntry struct {
	rank uint32
	pos  int32
	id   int32
}

func (a mergeEntry) less(b mergeEntry) bool {
	return a.rank < b.rank || a.rank == b.rank && a.pos < b.pos
}

// mergeQueue is a binary min-heap of merge entries.
type mergeQueue []mergeEntry

func (q *mergeQueue) push(e mergeEntry) {
	h := append(*q, e)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].less(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	*q = h
}

func (q *mergeQueue) pop() mergeEntry {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && h[l].less(h[m]) {
			m = l
		}
		if r := l + 1; r < n && h[r].less(h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
