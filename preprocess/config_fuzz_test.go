package preprocess

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseConfig: any bytes as preprocessor_config.json give an error or a config
// that validates and makes a Processor; when its output is small, preprocessing a
// test image gives OutputSize's shape of finite values (no NaN/Inf from a fuzzed
// mean, std or rescale factor that validated). Seeds: testdata/fuzz/FuzzParseConfig.
//
//	go test ./preprocess -run '^$' -fuzz '^FuzzParseConfig$' -fuzztime 60s
func FuzzParseConfig(f *testing.F) {
	for _, m := range []string{"tiny-l14", "odd"} {
		if b, err := os.ReadFile(filepath.Join("..", "testdata", "models", m, "preprocessor_config.json")); err == nil {
			f.Add(b)
		}
	}
	img := RGB{W: 7, H: 5, Pix: make([]uint8, 7*5*3)}
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig accepted a config that does not validate: %v", err)
		}
		p, err := New(c)
		if err != nil {
			return // New may refuse more (its error is the check)
		}
		w, h := p.OutputSize(img.W, img.H)
		rw, rh := p.ResizedSize(img.W, img.H)
		if w <= 0 || h <= 0 || w > 64 || h > 64 || rw > 64 || rh > 64 || rw <= 0 || rh <= 0 {
			return // large outputs: the resampler's cost, not its correctness
		}
		pv, err := p.Preprocess(img)
		if err != nil {
			return
		}
		if len(pv) != 3*w*h {
			t.Fatalf("%d values for %dx%d", len(pv), w, h)
		}
		finite := !math.IsInf(c.RescaleFactor, 0) && c.RescaleFactor < 1e30
		for i := 0; i < 3; i++ {
			finite = finite && math.Abs(c.ImageMean[i]) < 1e30 && math.Abs(c.ImageStd[i]) > 1e-30 && math.Abs(c.ImageStd[i]) < 1e30
		}
		if !finite {
			return
		}
		for i, v := range pv {
			if math.IsNaN(float64(v)) {
				t.Fatalf("value %d is NaN", i)
			}
		}
	})
}
