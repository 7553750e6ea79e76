package zeroshot

import (
	"sync"

	"github.com/sugarme/gotch"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

var (
	smOnce   sync.Once
	smWorker *torch.Worker
	smErr    error
)

// Softmax is torch's logits.softmax(dim=1) on a [rows, cols] matrix of logits, computed
// by libtorch so that the probabilities are bit-identical to PyTorch's (a Go exp would
// differ in the last bits). Safe for concurrent use.
func Softmax(logits clip.Matrix) (clip.Matrix, error) {
	smOnce.Do(func() { smWorker, smErr = torch.NewWorker() })
	if smErr != nil {
		return clip.Matrix{}, smErr
	}
	out := clip.Matrix{Rows: logits.Rows, Cols: logits.Cols}
	err := smWorker.Do(func() error {
		var s torch.Scope
		defer s.Free()
		x, err := torch.FromFloat32(logits.Data, []int64{int64(logits.Rows), int64(logits.Cols)})
		if err != nil {
			return err
		}
		s.Add(x)
		p, err := x.Softmax(1, gotch.Float, false)
		if err != nil {
			return err
		}
		s.Add(p)
		out.Data, _, err = torch.Float32s(p)
		return err
	})
	return out, err
}
