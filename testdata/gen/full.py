"""A full-size random CLIP ViT-L/14 and its goldens, outside git (`make fixtures-full`).

Not named gen_*.py, so `make fixtures` (all.py) skips it: it writes ~3.4 GB.

    $ORACLE_PY testdata/gen/full.py OUT_DIR

OUT_DIR gets what `save_pretrained` writes for a CLIPModel built from the real
openai/clip-vit-large-patch14 config.json (text_config_dict/vision_config_dict
precedence included) with random weights (fixed seed; every parameter perturbed so a
swapped weight or a skipped bias shows): model.safetensors (1.71 GB) and
pytorch_model.bin, plus the real tokenizer and preprocessor files. OUT_DIR/golden/
holds inputs (pixel_values of synthetic images through the real CLIPImageProcessor,
labels through the real CLIPTokenizerFast with padding=True) and CLIPModel.forward's
outputs in float32, and in OUT_DIR/golden/bf16/ those of the same model loaded with
torch_dtype=torch.bfloat16. index.json records the thread count (FULL_THREADS,
default 2) and, measured in a fresh process, Python's peak RSS (VmHWM) and time for
from_pretrained + one forward. Those are eager attention's; on transformers 5 the same
inputs through its default SDPA attention go to OUT_DIR/golden<suffix>/sdpa/ (and
sdpa/bf16/): `full.py --sdpa OUT_DIR` writes only those, on an existing model.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
from transformers import CLIPConfig, CLIPModel, CLIPImageProcessor, CLIPTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import SHARED_MODEL, dtype_kw, log, meta, pil_processor_class, torch_suffix, write_json, write_npy  # noqa: E402
from gen_models import noise, randomize, synthetic  # noqa: E402

SEED = 4242
LABELS = ["a photo of a cat", "a photo of a dog", "This is a photo of a fox.", "an owl",
          "a very small brown bear sitting in the tall grass"]
SMALL_FILES = ["preprocessor_config.json", "tokenizer.json", "vocab.json", "merges.txt",
               "tokenizer_config.json", "special_tokens_map.json"]


# FULL_KIT=1 (the GPU kit): model.safetensors only, the float32 goldens only, no timing.
KIT = os.environ.get("FULL_KIT") == "1"

# Eager attention: the graph the Go side mirrors in its default ("4.54") profile.
EAGER = {"attn_implementation": "eager"}


def inputs(d):
    proc = pil_processor_class().from_pretrained(d)
    tok = CLIPTokenizerFast.from_pretrained(d)
    images = [synthetic(640, 480), noise(300, 333, 1), synthetic(225, 225)]
    pixels = proc(images=images, return_tensors="pt")["pixel_values"]
    enc = tok(LABELS, padding=True, return_tensors="pt")
    return pixels, enc["input_ids"], enc["attention_mask"]


def outputs(model, pixels, ids, mask):
    with torch.no_grad():
        out = model(pixel_values=pixels.to(model.dtype), input_ids=ids, attention_mask=mask)
    f = lambda t: t.float().numpy()  # bf16 values are exact in float32
    return {"image_embeds": f(out.image_embeds), "text_embeds": f(out.text_embeds),
            "logits_per_image": f(out.logits_per_image), "logits_per_text": f(out.logits_per_text)}


def vm(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return -1


def measure(d):
    """Child process: from_pretrained + one forward; peak RSS and times as JSON."""
    torch.set_num_threads(int(os.environ.get("FULL_THREADS", "2")))
    pixels, ids, mask = inputs(d)
    rss0 = vm("VmRSS")
    t0 = time.time()
    model = CLIPModel.from_pretrained(d, **EAGER).eval()
    t1 = time.time()
    outputs(model, pixels, ids, mask)
    t2 = time.time()
    print(json.dumps({"rss_before_load": rss0, "peak_rss": vm("VmHWM"),
                      "load_seconds": t1 - t0, "forward_seconds": t2 - t1}))


def main(out):
    """Build the model once (its weights stay whatever torch later computes goldens), then
    write golden<suffix>/ for this oracle's torch (golden/ on 2.1.0)."""
    threads = int(os.environ.get("FULL_THREADS", "2"))
    torch.set_num_threads(threads)
    os.makedirs(out, exist_ok=True)
    if not os.path.exists(os.path.join(out, ".complete")):
        config = CLIPConfig.from_pretrained(SHARED_MODEL)
        torch.manual_seed(SEED)
        model = CLIPModel(config).eval()
        randomize(model, SEED)
        log("full: saving", out)
        model.save_pretrained(out, safe_serialization=True)
        if not KIT:
            model.save_pretrained(out, safe_serialization=False)
        for name in SMALL_FILES:
            shutil.copyfile(os.path.join(SHARED_MODEL, name), os.path.join(out, name))
        with open(os.path.join(out, ".complete"), "w") as f:
            f.write("ok\n")
        del model
    model = CLIPModel.from_pretrained(out, **EAGER).eval()

    pixels, ids, mask = inputs(out)
    g = os.path.join(out, "golden" + torch_suffix())
    files = {"pixel_values": pixels.numpy(), "input_ids": ids.numpy().astype(np.int64),
             "attention_mask": mask.numpy().astype(np.int64)}
    files.update(outputs(model, pixels, ids, mask))
    for k, v in files.items():
        write_npy(os.path.join(g, k + ".npy"), v)
    del model
    python = None
    if not KIT:
        bf16 = CLIPModel.from_pretrained(out, **EAGER, **dtype_kw(torch.bfloat16)).eval()
        for k, v in outputs(bf16, pixels, ids, mask).items():
            write_npy(os.path.join(g, "bf16", k + ".npy"), v)
        del bf16

        log("full: measuring from_pretrained + forward in a fresh process")
        child = subprocess.run([sys.executable, __file__, "--measure", out], check=True,
                               capture_output=True, text=True, env=dict(os.environ, FULL_THREADS=str(threads)))
        python = json.loads(child.stdout.strip().splitlines()[-1])
    write_json(os.path.join(g, "index.json"), {
        "meta": meta(torch_threads=threads, attn_implementation="eager",
                     image_processor=pil_processor_class().__name__ + " (PIL path)"),
        "seed": SEED,
        "labels": LABELS,
        "images": ["synthetic 640x480", "noise 300x333 seed 1", "synthetic 225x225"],
        "python": python,
        "files": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in files.items()},
    })
    log("full: done;", json.dumps(python))
    sdpa_goldens(out, threads)


def sdpa_goldens(out, threads):
    """golden<suffix>/sdpa/: the same inputs through transformers 5's default attention
    (SDPA; attn_implementation unset), float32 and bfloat16. Nothing on transformers 4."""
    import transformers
    if transformers.__version__.startswith("4."):
        return
    torch.set_num_threads(threads)
    pixels, ids, mask = inputs(out)
    g = os.path.join(out, "golden" + torch_suffix(), "sdpa")
    model = CLIPModel.from_pretrained(out).eval()
    assert model.config._attn_implementation == "sdpa", model.config._attn_implementation
    for k, v in outputs(model, pixels, ids, mask).items():
        write_npy(os.path.join(g, k + ".npy"), v)
    del model
    bf16 = CLIPModel.from_pretrained(out, **dtype_kw(torch.bfloat16)).eval()
    for k, v in outputs(bf16, pixels, ids, mask).items():
        write_npy(os.path.join(g, "bf16", k + ".npy"), v)
    del bf16
    write_json(os.path.join(g, "index.json"), {
        "meta": meta(torch_threads=threads, attn_implementation="sdpa",
                     image_processor=pil_processor_class().__name__ + " (PIL path; the inputs of ../)"),
        "seed": SEED, "labels": LABELS,
    })
    log("full: sdpa goldens ->", g)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--sdpa":
        sdpa_goldens(sys.argv[2], int(os.environ.get("FULL_THREADS", "2")))
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit("usage: full.py [--sdpa] OUT_DIR")
