package clip_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// The examples run on tiny-l14, a random CLIP with ViT-L/14's structure committed for
// the tests; logits are printed to two decimals (libtorch's last bits differ between
// CPUs).
var (
	model   = filepath.Join("..", "testdata", "models", "tiny-l14")
	chelsea = filepath.Join("..", "examples", "chelsea.png")
)

// inputs prepares pixel_values and input_ids as CLIPProcessor does, with the packages
// under clip (zeroshot.Processor does this in one call).
func inputs(texts []string) (clip.Pixels, clip.Tokens, error) {
	cfg, err := preprocess.LoadConfig(filepath.Join(model, "preprocessor_config.json"))
	if err != nil {
		return clip.Pixels{}, clip.Tokens{}, err
	}
	p, err := preprocess.New(cfg)
	if err != nil {
		return clip.Pixels{}, clip.Tokens{}, err
	}
	img, err := preprocess.Load(chelsea, preprocess.ManualOptions)
	if err != nil {
		return clip.Pixels{}, clip.Tokens{}, err
	}
	data, err := p.Preprocess(img)
	if err != nil {
		return clip.Pixels{}, clip.Tokens{}, err
	}
	w, h := p.OutputSize(img.W, img.H)
	px := clip.Pixels{Data: data, Batch: 1, Channels: 3, Height: h, Width: w}

	tok, err := tokenize.Load(model)
	if err != nil {
		return px, clip.Tokens{}, err
	}
	b, err := tok.EncodeBatch(texts, tokenize.Options{}) // padding=True
	if err != nil {
		return px, clip.Tokens{}, err
	}
	t := clip.Tokens{Batch: len(b.IDs), Len: len(b.IDs[0])}
	for i := range b.IDs {
		for j := range b.IDs[i] {
			t.InputIDs = append(t.InputIDs, int64(b.IDs[i][j]))
			t.AttentionMask = append(t.AttentionMask, int64(b.AttentionMask[i][j]))
		}
	}
	return px, t, nil
}

// CLIPModel.from_pretrained and model(**inputs): load a Hugging Face model directory and
// run both towers.
func Example() {
	m, err := clip.Load(model, clip.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	px, tok, err := inputs([]string{"cat", "dog"})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := m.Forward(px, tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("projection_dim:", m.Config().ProjectionDim, "format:", m.Info().Format)
	fmt.Printf("logits_per_image: [%.2f %.2f]\n", out.LogitsPerImage.Row(0)[0], out.LogitsPerImage.Row(0)[1])
	fmt.Printf("image_embeds: %d×%d, text_embeds: %d×%d\n", out.ImageEmbeds.Rows, out.ImageEmbeds.Cols, out.TextEmbeds.Rows, out.TextEmbeds.Cols)
	// Output:
	// projection_dim: 64 format: safetensors
	// logits_per_image: [1.35 0.41]
	// image_embeds: 1×64, text_embeds: 2×64
}

// Forward in parts: embed the texts once (a label set), embed images as they come, and
// compute the logits from the two. The numbers are Forward's, bit for bit.
func ExampleModel_Logits() {
	m, err := clip.Load(model, clip.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	px, tok, err := inputs([]string{"cat", "dog"})
	if err != nil {
		fmt.Println(err)
		return
	}
	texts, err := m.TextEmbeds(tok) // keep these
	if err != nil {
		fmt.Println(err)
		return
	}
	imgs, err := m.ImageEmbeds(px)
	if err != nil {
		fmt.Println(err)
		return
	}
	perImage, _, err := m.Logits(imgs, texts)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := m.Forward(px, tok)
	same := fmt.Sprint(perImage.Data) == fmt.Sprint(out.LogitsPerImage.Data)
	fmt.Printf("[%.2f %.2f] bit-identical to Forward: %v\n", perImage.Data[0], perImage.Data[1], same)
	// Output: [1.35 0.41] bit-identical to Forward: true
}

// Convert rewrites a model as one file, config inside, in float32, bfloat16 or float16:
// the fastest to load (its tensors are used in place from the memory map).
func ExampleConvert() {
	dir, err := os.MkdirTemp("", "convert")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	dst := filepath.Join(dir, "tiny-bf16.safetensors")
	if err := clip.Convert(model, dst, clip.BFloat16); err != nil {
		fmt.Println(err)
		return
	}
	m, err := clip.Load(dst, clip.Options{DType: clip.BFloat16})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	info := m.Info()
	fmt.Println(info.Format, m.DType(), info.Tensors == info.InPlace)
	// Output: converted bfloat16 true
}

// Load's errors are typed and name the file and the reason; errors.Is tells the kind.
// A legacy (pre-1.6, non-zip) torch.save file is one of them.
func ExampleLoad_errors() {
	_, err := clip.Load(filepath.Join("..", "testdata", "legacy", "pytorch_model.bin"), clip.Options{})
	var fe *clip.FormatError
	fmt.Println(errors.As(err, &fe), errors.Is(err, clip.ErrUnsupported))
	fmt.Println(strings.SplitN(err.Error(), ";", 2)[0])

	_, err = clip.Load(filepath.Join("..", "testdata", "models", "nope"), clip.Options{})
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output:
	// true true
	// clip: ../testdata/legacy/pytorch_model.bin: a legacy torch.save file (PyTorch's format before 1.6: a pickle stream, not a zip archive), which this loader does not read
	// true
}
