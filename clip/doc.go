// Package clip runs a CLIP model from Go: load a checkpoint, turn images (pixel_values)
// and texts (input_ids) into embeddings and logits. Use it for the towers themselves:
// image and text embeddings for search or clustering, scores of your own; package
// zeroshot builds the classifier on it, and packages preprocess, tvprocess and tokenize
// make its inputs.
//
//	m, err := clip.Load("path/to/clip-vit-large-patch14", clip.Options{})
//	defer m.Close()
//	out, err := m.Forward(pixels, tokens) // out.LogitsPerImage: [images, texts]
//
// It is Hugging Face's CLIPModel (openai/clip-vit-large-patch14 or any HF CLIP) as a
// graph of libtorch ops through gotch, giving the numbers PyTorch gives: on the same
// libtorch and thread count, the fixture models and a full-size ViT-L/14 reproduce
// transformers' outputs bit for bit in float32 and bfloat16: 4.54's (eager) on libtorch
// 2.1.0, 5's with eager or SDPA attention on 2.11.0.
//
// # Use
//
// Load takes a Hugging Face model directory (config.json + model.safetensors or
// pytorch_model.bin), one of those files, or a file written by Convert. The API is
// named after transformers': Forward, GetImageFeatures, GetTextFeatures; ImageEmbeds,
// TextEmbeds and Logits split Forward so label embeddings can be cached and logits
// computed later, bit-identical to Forward's.
//
// # Mirror of transformers
//
// The module tree mirrors the checkpoint (Model.VisionModel.Encoder.Layers[i].SelfAttn.QProj
// holds vision_model.encoder.layers.i.self_attn.q_proj.*) and each forward mirrors
// modeling_clip.py op for op: libtorch's linear, layer_norm, conv2d and embedding;
// attention either eager (matmul · head_dim^-0.5 + mask, softmax in float32, matmul:
// what transformers 4.54 uses on torch 2.1.0) or SDPA (at::scaled_dot_product_attention
// called as transformers 5's sdpa_attention_forward calls it: no mask and is_causal for
// unpadded text, else a boolean causal-and-padding mask; no mask for the vision tower;
// the Python scale as a double), chosen by Options.Attention (default: what transformers
// picks on the linked libtorch, or the config's _attn_implementation); quick_gelu as x·sigmoid(1.702x); the additive
// causal + padding masks built from finfo(dtype).min; end-of-text pooling by the first
// eos_token_id, or argmax(input_ids) for configs with the legacy eos_token_id 2;
// normalization as pow(2) → sum → pow(0.5) → div; logits as matmul · exp(logit_scale).
// Config precedence follows CLIPConfig (text_config_dict / vision_config_dict win).
//
// # Weights
//
// safetensors files are memory-mapped and validated (header, dtypes, offsets tiling
// the buffer); pytorch_model.bin (the torch.save zip) is read with gotch's unpickler
// for data.pkl and its storages mapped from the archive; a legacy (pre-1.6, non-zip)
// torch.save file is refused with what it is and how to re-save it. A tensor already in the
// wanted dtype and aligned for its element type in the file is used in place (zero copy, read-only
// map); others are copied once and their pages released. Convert writes a
// safetensors-compatible file, config embedded, data aligned, in float32, bfloat16 or
// float16: the fastest to load. Every failure is a typed error: *FileError,
// *FormatError (ErrTruncated, ErrCorrupt, ErrUnsupported), *ConfigError,
// *WeightsError of *TensorError (ErrMissingTensor, ErrUnexpectedTensor, ErrShape,
// ErrDType), *DeviceError (ErrNoCUDA, ErrUnsupported), *InputError.
//
// # Devices and precision
//
// CPU and float32 by default. BFloat16 works on CPU and CUDA; Float16 only on CUDA
// (libtorch 2.1 has no CPU Half conv2d: a DeviceError). CUDA needs a CUDA build
// (make CUDA=1) and a device, else Load fails with ErrNoCUDA.
//
// # Concurrency and memory
//
// A Model is safe for concurrent use: calls run one at a time on the model's own
// worker thread (locked OS thread, autograd off), and every intermediate tensor is
// freed deterministically before a call returns (per encoder layer, to bound peak
// memory). Config, Pixels, Tokens, Matrix and Output are plain values. Convert and
// Load may be called concurrently. Library code calls no gotch Must* function.
package clip
