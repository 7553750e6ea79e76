package preprocess

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentAndBatch: one Processor shared by many goroutines, and the
// batch entry points, give exactly the sequential results.
func TestConcurrentAndBatch(t *testing.T) {
	p, _ := New(Default())
	sizes := [][2]int{{640, 480}, {480, 640}, {333, 500}, {225, 225}, {224, 224}, {100, 50}, {1, 1}, {40, 800}}
	imgs := make([]RGB, len(sizes))
	want := make([][]float32, len(sizes))
	for i, s := range sizes {
		imgs[i] = synthetic(s[0], s[1])
		pv, err := p.Preprocess(imgs[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = pv
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 3; r++ {
				for i := range imgs {
					j := (i + g) % len(imgs)
					pv, err := p.Preprocess(imgs[j])
					if err != nil || sha(f32bytes(pv)) != sha(f32bytes(want[j])) {
						t.Errorf("goroutine %d: image %d differs (%v)", g, j, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	flat, err := p.PreprocessBatch(imgs)
	if err != nil {
		t.Fatal(err)
	}
	n := 3 * 224 * 224
	for i := range imgs {
		if sha(f32bytes(flat[i*n:(i+1)*n])) != sha(f32bytes(want[i])) {
			t.Errorf("batch item %d differs", i)
		}
	}
	files := filepath.Join(imagesDir, "files")
	paths := []string{filepath.Join(files, "jpeg_420.jpg"), filepath.Join(files, "png_rgb.png"), filepath.Join(files, "webp_lossy.webp")}
	flat, err = p.PreprocessFiles(paths, PipelineOptions)
	if err != nil || len(flat) != 3*n {
		t.Fatalf("PreprocessFiles: %d values, %v", len(flat), err)
	}
	for i, path := range paths {
		img, _ := Load(path, PipelineOptions)
		pv, _ := p.Preprocess(img)
		if sha(f32bytes(flat[i*n:(i+1)*n])) != sha(f32bytes(pv)) {
			t.Errorf("PreprocessFiles item %d differs", i)
		}
	}
	_, err = p.PreprocessFiles(append(paths, filepath.Join(files, "bad_empty.jpg")), ManualOptions)
	var ie *ImageError
	if !errors.As(err, &ie) || ie.Kind != KindEmpty {
		t.Errorf("bad file in batch: %v", err)
	}
}
