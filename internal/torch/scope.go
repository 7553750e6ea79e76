package torch

import "github.com/sugarme/gotch/ts"

// Scope collects the tensors a computation makes so they are freed at one point,
// deterministically, instead of by gotch's GC finalizers. Not safe for concurrent use.
type Scope struct {
	tensors []*ts.Tensor
}

// Add records t for freeing by Free and returns it.
func (s *Scope) Add(t *ts.Tensor) *ts.Tensor {
	if t != nil {
		s.tensors = append(s.tensors, t)
	}
	return t
}

// Keep removes t from the scope: the caller now owns it and must Drop it.
func (s *Scope) Keep(t *ts.Tensor) *ts.Tensor {
	for i := len(s.tensors) - 1; i >= 0; i-- {
		if s.tensors[i] == t {
			s.tensors = append(s.tensors[:i], s.tensors[i+1:]...)
			break
		}
	}
	return t
}

// Free drops every recorded tensor. Dropping twice is harmless in gotch.
func (s *Scope) Free() {
	for _, t := range s.tensors {
		_ = t.Drop()
	}
	s.tensors = s.tensors[:0]
}

// Len is the number of tensors the scope holds.
func (s *Scope) Len() int { return len(s.tensors) }
