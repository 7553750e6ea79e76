package preprocess

import "sync"

// bufPool recycles the large decode buffers of Processor.PreprocessData, which
// never hands them out. A nil *bufPool allocates fresh buffers.
type bufPool struct{ p sync.Pool }

func (b *bufPool) get(n int) []byte {
	if b != nil {
		if v, ok := b.p.Get().(*[]byte); ok && cap(*v) >= n {
			return (*v)[:n]
		}
	}
	return make([]byte, n)
}

func (b *bufPool) put(buf []byte) {
	if b != nil && cap(buf) > 0 {
		b.p.Put(&buf)
	}
}
