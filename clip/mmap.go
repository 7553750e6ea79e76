package clip

import (
	"os"
	"syscall"
)

// mapping is a read-only, private memory map of a whole file. Tensors may view it
// (torch.FromBlob) until it is closed. Not safe for concurrent use.
type mapping struct {
	path string
	data []byte
}

func mapFile(path string) (*mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	if st.IsDir() {
		return nil, &FileError{Path: path, Err: syscall.EISDIR}
	}
	m := &mapping{path: path}
	if st.Size() == 0 {
		return m, nil
	}
	m.data, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return m, nil
}

// release tells the kernel the pages wholly inside b (a slice of the mapping) are not
// needed any more, so they leave this process's RSS; reading them again faults them
// back in from the file, unchanged.
func (m *mapping) release(b []byte) {
	if len(b) == 0 || len(m.data) == 0 {
		return
	}
	page := os.Getpagesize()
	start := int(uintptrOf(b) - uintptrOf(m.data))
	lo := (start + page - 1) / page * page
	hi := (start + len(b)) / page * page
	if hi > lo {
		_ = madvise(m.data[lo:hi], syscall.MADV_DONTNEED)
	}
}

func (m *mapping) close() error {
	if m == nil || m.data == nil {
		return nil
	}
	err := syscall.Munmap(m.data)
	m.data = nil
	return err
}

func madvise(b []byte, advice int) error {
	return syscall.Madvise(b, advice)
}
