package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// The profile overrides: transformers with the PIL backend and eager attention (the
// goldens of golden.PipelineFile: 4.54 on 2.1.0, 5 forced so on 2.11.0) is --parity
// 4.54, and also --parity 5 --image-backend pil --attention eager on libtorch 2.11.0.
func TestClassifyProfileOverrides(t *testing.T) {
	v := torch.Version()
	runs := [][]string{{"--parity", "4.54", "--image-backend", "pil", "--attention", "eager"}}
	if v != "2.1.0" {
		runs = append(runs, []string{"--parity", "5", "--image-backend", "pil", "--attention", "eager"})
	}
	for _, flags := range runs {
		g := pipelineCasesFile(t, golden.PipelineFile("odd", v))
		for _, c := range g.Cases {
			var got []zeroshot.Result
			args := append(append(c.args(oddModel), flags...), filepath.Join(pipelineDir, c.Image))
			require.NoError(t, json.Unmarshal([]byte(zsOK(t, args...)), &got))
			checkResults(t, g.Path, fmt.Sprintf("%v %s %v", flags, c.Image, c.Labels), c.Pipeline, got)
		}
	}
}

// embed follows the same flags: eager attention gives the eager goldens' text features.
func TestEmbedProfileFlags(t *testing.T) {
	dir := t.TempDir()
	textsFile := filepath.Join(dir, "texts.txt")
	require.NoError(t, os.WriteFile(textsFile, []byte(strings.Join(goldenTexts, "\n")), 0o644))
	out := filepath.Join(dir, "t.npy")
	zsOK(t, "embed", "--model", oddModel, "--threads", "1", "--texts-file", textsFile, "--out", out,
		"--parity", "4.54", "--image-backend", "pil", "--attention", "eager")
	got, _ := readNPY(t, out)
	path := golden.Path(t, filepath.Join(repoRoot, "testdata"), "models/odd/golden"+golden.Suffix(torch.Version())+"/text_features_nonempty.npy")
	want, _ := readNPY(t, path)
	golden.Check(t, path, "odd text_features (eager)", got, want)
}

func TestProfileFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"classify", "--model", tinyModel, "--labels", "a,b", "--parity", "6", chelsea},
		{"classify", "--model", tinyModel, "--labels", "a,b", "--attention", "flash", chelsea},
		{"classify", "--model", tinyModel, "--labels", "a,b", "--image-backend", "cv2", chelsea},
		{"embed", "--model", tinyModel, "--texts", "a", "--out", filepath.Join(t.TempDir(), "x.npy"), "--attention", "flash"},
		{"preprocess", "--out", t.TempDir(), "--parity", "3", chelsea},
	} {
		code, _, stderr := zsRun(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "--", "%v: the message names the flag", args)
	}
}

// version says which parity profile is in force for the linked libtorch.
func TestVersionProfile(t *testing.T) {
	out := zsOK(t, "version")
	want := "parity   4.54"
	if torch.Version() != "2.1.0" {
		want = "parity   5"
	}
	assert.Contains(t, out, want)
	assert.Contains(t, out, "image processor")
	assert.Contains(t, out, "attention")
}

// preprocess --parity 5 writes transformers 5's pixel_values for both backends: the
// digests of testdata/images/index-v5.json, on images with transparency (composited
// onto white) and EXIF, in the pipeline flow (--exif) and the manual one.
func TestPreprocessParity5(t *testing.T) {
	if torch.Version() == "2.1.0" {
		t.Skip("libtorch 2.1.0: transformers 5 needs torch >= 2.2, its goldens were made on torch 2.11.0; make test (2.11.0) runs this")
	}
	ix, err := golden.ReadV5Index(golden.Path(t, filepath.Join(repoRoot, "testdata"), "images/index-v5.json"))
	require.NoError(t, err)
	names := map[string]bool{"png_rgb_trns.png": true, "png_la.png": true, "gif_p.gif": true, "jpeg_exif_6.jpg": true, "webp_lossy_alpha.webp": true}
	n := 0
	for _, e := range ix.Images {
		name := filepath.Base(e.File)
		if !names[name] {
			continue
		}
		for _, flow := range []string{"manual", "pipeline"} {
			for backend, want := range map[string]string{"torchvision": e.TV[flow].PixelValuesSHA, "pil": e.PIL[flow].PixelValuesSHA} {
				dir := t.TempDir()
				args := []string{"preprocess", "--parity", "5", "--image-backend", backend, "--out", dir}
				if flow == "pipeline" {
					args = append(args, "--exif")
				}
				zsOK(t, append(args, filepath.Join(imageFiles, name))...)
				pv, _ := readNPY(t, filepath.Join(dir, strings.TrimSuffix(name, filepath.Ext(name))+".npy"))
				assert.Equal(t, want, f32sha(pv), "%s %s %s", name, flow, backend)
				n++
			}
		}
	}
	assert.Equal(t, 20, n)
}

func f32sha(v []float32) string {
	s := sha256.Sum256(golden.F32Bytes(v))
	return hex.EncodeToString(s[:])
}
