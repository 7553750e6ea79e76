//go:build ignore

// fuzzseeds writes the committed seed corpora of the fuzz targets that `make fuzz`
// runs (testdata/fuzz/FuzzX/ in each package), in the `go test fuzz v1` format:
//
//	go run serve/internal/fuzzseeds/main.go   (from the repository root)
//
// Seeds are small on purpose: the fuzzer mutates them, and large inputs slow it down.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	log.SetFlags(0)
	img := tinyPNG()
	b64 := base64.StdEncoding.EncodeToString(img)
	jpeg, err := os.ReadFile("testdata/images/files/jpeg_exif_6.jpg")
	if err != nil {
		log.Fatal(err)
	}
	if len(jpeg) > 8192 {
		jpeg = nil // keep seeds small
	}

	// serve: FuzzDecodeRequest(mode byte, contentType, query string, body []byte)
	type req struct {
		name, ct, query string
		body            []byte
		mode            byte
	}
	mpCT, mpBody := multipartBody(map[string][]string{"candidate_labels": {"cat", "dog"}, "hypothesis_template": {"a photo of {}"}, "top_k": {"1"}}, map[string][]byte{"image": img})
	mpCT2, mpBody2 := multipartBody(map[string][]string{"candidate_labels": {`["cat","dog"]`}, "parameters": {`{"hypothesis_template":"{} photo"}`}}, map[string][]byte{"inputs": img})
	emCT, emBody := multipartBody(map[string][]string{"text": {"a cat", "a dog"}}, map[string][]byte{"image": img})
	reqs := []req{
		{"json_classify", "application/json", "", []byte(`{"inputs":"` + b64 + `","parameters":{"candidate_labels":["cat","dog"],"hypothesis_template":"This is a photo of {}."}}`), 0},
		{"json_classify_no_ct", "", "", []byte(`{"inputs":"` + b64 + `","parameters":{"candidate_labels":"cat, dog","top_k":1}}`), 0},
		{"json_classify_dataurl", "application/json; charset=utf-8", "", []byte(`{"inputs":"data:image/png;base64,` + b64 + `","parameters":{"candidate_labels":["a"]}}`), 0},
		{"json_classify_urlsafe", "application/json", "", []byte(`{"inputs":"` + base64.RawURLEncoding.EncodeToString(img) + `","parameters":{"candidate_labels":["a","b"]}}`), 2},
		{"json_classify_old_shape", "application/json", "", []byte(`{"image":"` + b64 + `","parameters":{"candidate_labels":["x"]}}`), 0},
		{"json_bad", "application/json", "", []byte(`{"inputs": "abc", "parameters": {`), 0},
		{"json_url", "application/json", "", []byte(`{"inputs":"https://example.com/a.png","parameters":{"candidate_labels":["a"]}}`), 0},
		{"multipart_classify", mpCT, "", mpBody, 0},
		{"multipart_classify_params", mpCT2, "", mpBody2, 2},
		{"raw_classify", "image/png", "candidate_labels=cat,dog&hypothesis_template=a+{}&top_k=1", img, 0},
		{"json_embed", "application/json", "", []byte(`{"images":["` + b64 + `"],"texts":["a cat","a dog"]}`), 1},
		{"json_embed_inputs", "application/json", "", []byte(`{"inputs":["a cat","a dog"]}`), 1},
		{"json_embed_openai", "application/json", "", []byte(`{"input":["a cat","a dog"],"model":"m","encoding_format":"base64","dimensions":64}`), 1},
		{"json_embed_openai_tokens", "application/json", "", []byte(`{"input":[[49406,320,49407]],"model":"m"}`), 1},
		{"multipart_embed", emCT, "", emBody, 3},
		{"empty", "", "", nil, 0},
		{"csv", "text/csv", "", []byte("a,b"), 1},
	}
	dir := "serve/testdata/fuzz/FuzzDecodeRequest"
	reset(dir)
	for _, r := range reqs {
		write(dir, r.name, fmt.Sprintf("byte(%q)", r.mode), fmt.Sprintf("string(%q)", r.ct), fmt.Sprintf("string(%q)", r.query), fmt.Sprintf("[]byte(%q)", r.body))
	}
	// serve: FuzzHandler(mode byte, contentType string, body []byte); mode picks the path
	// (0 classify, 1 embeddings, 2 classify?candidate_labels=a,b, 3 healthz).
	dir = "serve/testdata/fuzz/FuzzHandler"
	reset(dir)
	for _, r := range reqs {
		mode := r.mode & 1
		if r.name == "raw_classify" {
			mode = 2
		}
		write(dir, r.name, fmt.Sprintf("byte(%q)", mode), fmt.Sprintf("string(%q)", r.ct), fmt.Sprintf("[]byte(%q)", r.body))
	}
	if jpeg != nil {
		write(dir, "raw_jpeg_exif", "byte('\\x02')", `string("image/jpeg")`, fmt.Sprintf("[]byte(%q)", jpeg))
	}

	// serve: FuzzAuthorization(n byte, h1, h2 string): n%3 headers (none, h1, h1 and h2);
	// the server under the fuzzer accepts the token fuzz-token-0123456789abcdef.
	dir = "serve/testdata/fuzz/FuzzAuthorization"
	reset(dir)
	const valid = "fuzz-token-0123456789abcdef"
	for _, a := range []struct {
		name   string
		n      byte
		h1, h2 string
	}{
		{"none", 0, "", ""},
		{"valid", 1, "Bearer " + valid, ""},
		{"valid_lower_spaces", 1, "bearer   " + valid + "  ", ""},
		{"two_headers", 2, "Bearer " + valid, "Bearer " + valid},
		{"basic", 1, "Basic dXNlcjpwYXNzd29yZA==", ""},
		{"no_scheme", 1, valid, ""},
		{"tab", 1, "Bearer\t" + valid, ""},
		{"wrong", 1, "Bearer 0123456789abcdef0123456789abcdef", ""},
		{"padded", 1, "Bearer abc+/def_~.-===", ""},
		{"non_ascii", 1, "Bearer tökén", ""},
		{"quoted", 1, `Bearer "` + valid + `"`, ""},
		{"comma_param", 1, "Bearer " + valid + ", realm=x", ""},
		{"long", 1, "Bearer " + strings.Repeat("a", 600), ""},
		{"empty", 1, "", ""},
	} {
		write(dir, a.name, fmt.Sprintf("byte(%q)", a.n), fmt.Sprintf("string(%q)", a.h1), fmt.Sprintf("string(%q)", a.h2))
	}

	// clip: FuzzSafetensors(data []byte)
	dir = "clip/testdata/fuzz/FuzzSafetensors"
	reset(dir)
	f32 := func(vs ...float32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	type tensor struct {
		name, dtype string
		shape       []int64
		data        []byte
	}
	st := func(meta map[string]string, ts ...tensor) []byte {
		hdr := map[string]any{}
		if meta != nil {
			hdr["__metadata__"] = meta
		}
		var buf []byte
		for _, t := range ts {
			hdr[t.name] = map[string]any{"dtype": t.dtype, "shape": t.shape, "data_offsets": []int{len(buf), len(buf) + len(t.data)}}
			buf = append(buf, t.data...)
		}
		h, _ := json.Marshal(hdr)
		for len(h)%8 != 0 {
			h = append(h, ' ')
		}
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(out, h...), buf...)
	}
	seeds := map[string][]byte{
		"f32_2x2":     st(nil, tensor{"w", "F32", []int64{2, 2}, f32(1, -2, 3.5, 0)}),
		"mixed":       st(map[string]string{"format": "pt"}, tensor{"a", "F16", []int64{3}, []byte{0, 60, 0, 188, 0, 0}}, tensor{"b", "BF16", []int64{1, 2}, []byte{128, 63, 0, 192}}, tensor{"c", "I64", []int64{2}, make([]byte, 16)}, tensor{"d", "F64", []int64{1}, make([]byte, 8)}),
		"scalar":      st(nil, tensor{"logit_scale", "F32", []int64{}, f32(2.6592)}),
		"empty_shape": st(nil, tensor{"e", "F32", []int64{0, 4}, nil}),
		"no_tensors":  st(map[string]string{"k": "v"}),
		"bool_u8":     st(nil, tensor{"m", "BOOL", []int64{2}, []byte{1, 0}}, tensor{"u", "U8", []int64{3}, []byte{1, 2, 3}}),
	}
	seeds["truncated"] = seeds["mixed"][:len(seeds["mixed"])-5]
	seeds["header_only"] = seeds["f32_2x2"][:8]
	for name, b := range seeds {
		write(dir, name, fmt.Sprintf("[]byte(%q)", b))
	}

	// clip: FuzzParseConfig(data []byte)
	dir = "clip/testdata/fuzz/FuzzParseConfig"
	reset(dir)
	for name, s := range map[string]string{
		"empty_object": `{}`,
		"model_type":   `{"model_type": "clip", "projection_dim": 8}`,
		"dicts":        `{"projection_dim": 16, "text_config_dict": {"hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 32, "num_hidden_layers": 1, "vocab_size": 100, "eos_token_id": 2}, "vision_config_dict": {"hidden_size": 16, "num_attention_heads": 4, "image_size": 28, "patch_size": 14, "num_hidden_layers": 1, "hidden_act": "gelu"}}`,
		"configs":      `{"text_config": {"hidden_act": "relu", "layer_norm_eps": 1e-6, "max_position_embeddings": 16}, "vision_config": {"num_channels": 1, "hidden_act": "gelu_pytorch_tanh"}, "logit_scale_init_value": 1}`,
		"bad_type":     `{"model_type": "siglip"}`,
	} {
		write(dir, name, fmt.Sprintf("[]byte(%q)", s))
	}

	// preprocess: FuzzParseConfig(data []byte)
	dir = "preprocess/testdata/fuzz/FuzzParseConfig"
	reset(dir)
	for name, s := range map[string]string{
		"crop_336":     `{"crop_size": 336, "size": 336}`,
		"dict_sizes":   `{"crop_size": {"height": 300, "width": 260}, "size": {"shortest_edge": 224}}`,
		"no_crop":      `{"do_center_crop": false, "size": {"height": 10, "width": 15}}`,
		"no_resize":    `{"do_resize": false, "crop_size": 8}`,
		"small":        `{"crop_size": 4, "size": 6, "image_mean": [0.5], "image_std": [0.25, 0.5, 2.0], "rescale_factor": 0.5, "do_normalize": true}`,
		"flags_off":    `{"do_normalize": false, "do_rescale": false, "do_convert_rgb": null, "resample": 3}`,
		"longest_edge": `{"size": {"longest_edge": 5}}`,
		"bad_resample": `{"resample": 2, "size": 5}`,
		"empty":        `{}`,
	} {
		write(dir, name, fmt.Sprintf("[]byte(%q)", s))
	}

	// tokenize: FuzzEncode(b []byte)
	dir = "tokenize/testdata/fuzz/FuzzEncode"
	reset(dir)
	for i, s := range []string{"This is a photo of a tabby cat.", "a photo of {}", "<|startoftext|>x<|endoftext|>", "ＡＢＣ café naïve", strings.Repeat("word ", 80), "\xc3\x28 \xf0\x9f\x98", "it's don't we'll I'M", "1234567890 3.14 ½"} {
		write(dir, fmt.Sprintf("seed%02d", i), fmt.Sprintf("[]byte(%q)", s))
	}
}

func tinyPNG() []byte {
	im := image.NewRGBA(image.Rect(0, 0, 6, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 6; x++ {
			im.Set(x, y, color.RGBA{uint8(40 * x), uint8(60 * y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func multipartBody(fields map[string][]string, files map[string][]byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.SetBoundary("zeroshotfuzzboundary")
	for name, data := range files {
		w, _ := mw.CreateFormFile(name, name+".png")
		w.Write(data)
	}
	for _, name := range sortedKeys(fields) {
		for _, v := range fields[name] {
			mw.WriteField(name, v)
		}
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func sortedKeys(m map[string][]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// reset empties a corpus directory of the seeds this program writes (other files,
// e.g. crashers the fuzzer saved, stay).
func reset(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
}

func write(dir, name string, values ...string) {
	content := "go test fuzz v1\n" + strings.Join(values, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "seed_"+name), []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Join(dir, "seed_"+name))
}
