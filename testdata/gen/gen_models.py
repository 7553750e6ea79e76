"""Tiny random CLIP models and their goldens, computed by Hugging Face transformers.

Writes testdata/models/<name>/ with what `save_pretrained` writes (config.json,
model.safetensors, pytorch_model.bin) plus preprocessor and tokenizer files, and
testdata/models/<name>/golden/ with inputs and outputs of `CLIPModel.forward`.

Two models, so that nothing can be hard-coded to ViT-L/14:
- tiny-l14: ViT-L/14's structure scaled down: patch 14, 224 px, quick_gelu, head dim 64
  in both towers, eos pooling by id (eos_token_id = the tokenizer's <|endoftext|>).
- odd: differs wherever it can: patch 16, 64 px (its own preprocessor: shortest edge 72,
  crop 64, other mean/std), odd widths, head dims 20/12, 3 vision vs 1 text layer,
  projection 24 != hidden, gelu in the vision tower, layer_norm_eps 1e-6, 40 text positions,
  legacy eos_token_id = 2 (argmax pooling), another logit scale.

Tokenizers: a 49,408-entry token embedding alone would take 12.6 MB per format at width 64,
over the 20 MB fixture budget. So each tiny model carries a *prefix* of the real CLIP BPE:
the 512 byte symbols, the first K real merges (in order) and the two special tokens, exactly
how the real vocab.json is built. That is the real algorithm on real merges with a smaller
table; the full real tokenizer files are tested in tokenize/ and used by the full-size model.
"""
import copy
import json
import os
import shutil

import numpy as np
import torch
from PIL import Image
from transformers import CLIPConfig, CLIPModel, CLIPImageProcessor, CLIPTokenizerFast

from common import SHARED_MODEL, TESTDATA, log, meta, rel, write_json, write_npy

OUT = os.path.join(TESTDATA, "models")

MODELS = {
    "tiny-l14": dict(
        merges=2000,
        config=dict(
            projection_dim=64, logit_scale_init_value=2.6592,
            vision_config=dict(hidden_size=64, intermediate_size=256, num_attention_heads=1,
                               num_hidden_layers=2, image_size=224, patch_size=14,
                               hidden_act="quick_gelu", layer_norm_eps=1e-5),
            text_config=dict(hidden_size=64, intermediate_size=256, num_attention_heads=1,
                             num_hidden_layers=2, max_position_embeddings=77,
                             hidden_act="quick_gelu", layer_norm_eps=1e-5)),
        eos_by_id=True,
        preprocessor=None),  # the real one
    "odd": dict(
        merges=1000,
        config=dict(
            projection_dim=24, logit_scale_init_value=3.1,
            vision_config=dict(hidden_size=40, intermediate_size=70, num_attention_heads=2,
                               num_hidden_layers=3, image_size=64, patch_size=16,
                               hidden_act="gelu", layer_norm_eps=1e-6),
            text_config=dict(hidden_size=36, intermediate_size=50, num_attention_heads=3,
                             num_hidden_layers=1, max_position_embeddings=40,
                             hidden_act="quick_gelu", layer_norm_eps=1e-6)),
        eos_by_id=False,
        preprocessor=dict(size=72, crop_size=64, image_mean=[0.5, 0.45, 0.4],
                          image_std=[0.25, 0.3, 0.2])),
}

TEXTS = ["a photo of a cat", "a photo of a dog", "This is a photo of a fox.",
         "an owl", "", "a very small brown bear sitting in the tall grass"]


def prefix_tokenizer(dst, k):
    """Write tokenizer.json, vocab.json, merges.txt keeping the first k real merges."""
    with open(os.path.join(SHARED_MODEL, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    vocab = tok["model"]["vocab"]
    keep = {t: i for t, i in vocab.items() if i < 512 + k}
    assert len(keep) == 512 + k
    sot, eot = 512 + k, 512 + k + 1
    keep["<|startoftext|>"] = sot
    keep["<|endoftext|>"] = eot
    tok["model"]["vocab"] = keep
    tok["model"]["merges"] = tok["model"]["merges"][:k]
    for a in tok["added_tokens"]:
        a["id"] = {"<|startoftext|>": sot, "<|endoftext|>": eot}[a["content"]]
    pp = tok["post_processor"]
    pp["cls"] = ["<|startoftext|>", sot]
    pp["sep"] = ["<|endoftext|>", eot]
    with open(os.path.join(dst, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=2)
    with open(os.path.join(dst, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(keep, f, ensure_ascii=False)
    with open(os.path.join(SHARED_MODEL, "merges.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    with open(os.path.join(dst, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines[:1 + k]) + "\n")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(os.path.join(SHARED_MODEL, name), os.path.join(dst, name))
    return sot, eot


def synthetic(w, h):
    """The parity-spec §1.9 pattern: R=(7x+3y)%256, G=(x²+5y)%256, B=(xy+11)%256."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(7 * x + 3 * y) % 256, (x * x + 5 * y) % 256, (x * y + 11) % 256], -1)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def noise(w, h, seed):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def randomize(model, seed):
    """HF's init leaves LayerNorms at 1/0 and biases at 0; perturb every parameter so a
    swapped weight or a skipped bias shows up in the outputs."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.add_(torch.randn(p.shape, generator=g) * 0.05)


def build(name, spec, seed):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    sot, eot = prefix_tokenizer(d, spec["merges"])
    cfg = copy.deepcopy(spec["config"])
    tc = cfg["text_config"]
    tc.update(vocab_size=eot + 1, bos_token_id=sot, pad_token_id=1,
              eos_token_id=eot if spec["eos_by_id"] else 2)
    torch.manual_seed(seed)
    model = CLIPModel(CLIPConfig(**cfg)).eval()
    randomize(model, seed)
    model.save_pretrained(d, safe_serialization=True)
    model.save_pretrained(d, safe_serialization=False)

    pre = os.path.join(d, "preprocessor_config.json")
    if spec["preprocessor"] is None:
        shutil.copyfile(os.path.join(SHARED_MODEL, "preprocessor_config.json"), pre)
    else:
        with open(os.path.join(SHARED_MODEL, "preprocessor_config.json")) as f:
            pc = json.load(f)
        pc.update(spec["preprocessor"])
        write_json(pre, pc)

    golden(d, model)


def features(out):
    """get_*_features: a tensor in transformers 4.x; in 5.x an output whose pooler_output
    is the projected features."""
    return out if isinstance(out, torch.Tensor) else out.pooler_output


def golden(d, model, out="golden", proc=None, extra_meta=None, root=None):
    """Inputs and CLIPModel outputs for model (saved in d) into d/out, or into
    root/models/<name>/out when root is given (a golden tree beside testdata/, as make
    parity writes). proc: the image processor (default: the slow PIL CLIPImageProcessor
    of transformers 4.x)."""
    proc = proc or CLIPImageProcessor.from_pretrained(d)
    tok = CLIPTokenizerFast.from_pretrained(d)
    images = [synthetic(640, 480), noise(300, 333, 1), synthetic(225, 225)]
    pixels = proc(images=images, return_tensors="pt")["pixel_values"]
    texts = [t for t in TEXTS if len(tok(t)["input_ids"]) <= model.config.text_config.max_position_embeddings]
    enc = tok(texts, padding=True, return_tensors="pt")
    enc_max = tok(texts, padding="max_length", max_length=model.config.text_config.max_position_embeddings,
                  return_tensors="pt")
    g = os.path.join(root, "models", os.path.basename(d), out) if root else os.path.join(d, out)
    os.makedirs(g, exist_ok=True)
    with torch.no_grad():
        out = model(pixel_values=pixels, input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        out_max = model(pixel_values=pixels, input_ids=enc_max["input_ids"],
                        attention_mask=enc_max["attention_mask"])
        # the texts without the empty one, as `zeroshot embed --texts-file` takes them
        # (a file cannot carry an empty text): the same batch, so comparable bit for bit
        enc_ne = tok([t for t in texts if t], padding=True, return_tensors="pt")
        out_ne = model(pixel_values=pixels, input_ids=enc_ne["input_ids"], attention_mask=enc_ne["attention_mask"])
        txt_feats_ne = features(model.get_text_features(input_ids=enc_ne["input_ids"],
                                                        attention_mask=enc_ne["attention_mask"]))
        img_feats = features(model.get_image_features(pixel_values=pixels))
        txt_feats = features(model.get_text_features(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]))
    files = {
        "pixel_values": pixels.numpy(),
        "input_ids": enc["input_ids"].numpy().astype(np.int64),
        "attention_mask": enc["attention_mask"].numpy().astype(np.int64),
        "input_ids_max": enc_max["input_ids"].numpy().astype(np.int64),
        "attention_mask_max": enc_max["attention_mask"].numpy().astype(np.int64),
        "image_embeds": out.image_embeds.numpy(),  # normalized, as CLIPOutput returns them
        "text_embeds": out.text_embeds.numpy(),
        "image_features": img_feats.numpy(),       # get_image_features: projected, not normalized
        "text_features": txt_feats.numpy(),
        "logits_per_image": out.logits_per_image.numpy(),
        "logits_per_text": out.logits_per_text.numpy(),
        "logits_per_image_max": out_max.logits_per_image.numpy(),
        "probs": out.logits_per_image.softmax(dim=1).numpy(),
        "text_features_nonempty": txt_feats_ne.numpy(),
        "text_embeds_nonempty": out_ne.text_embeds.numpy(),
    }
    for k, v in files.items():
        write_npy(os.path.join(g, k + ".npy"), v)
    write_json(os.path.join(g, "index.json"), {
        "meta": meta(torch_threads=torch.get_num_threads(), **(extra_meta or {})),
        "texts": texts,
        "images": ["synthetic 640x480", "noise 300x333 seed 1", "synthetic 225x225"],
        "logit_scale": float(model.logit_scale.item()),
        "files": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in files.items()},
    })
    log("wrote", rel(g))


if __name__ == "__main__":
    torch.set_num_threads(1)
    for i, (name, spec) in enumerate(MODELS.items()):
        build(name, spec, seed=1000 + i)
