"""Goldens for the zeroshot package: Hugging Face's pipeline and the manual flow, end to end.

For each tiny model in testdata/models/ and several (image, labels, template) cases, writes
testdata/pipeline/<model>.json with:
- "pipeline": the output of
  pipeline("zero-shot-image-classification", model=dir)(image_path, candidate_labels=..., hypothesis_template=...)
  (load_image: EXIF transpose + RGB; scores sorted, ties in input order);
- "manual": the tutorial's manual flow, processor(text=labels, images=Image.open(path), padding=True)
  -> model -> logits_per_image.softmax(dim=1) (no EXIF transpose), with the logits.
Images are testdata/pipeline/*.{png,jpg}, written here (a CC0 photo and an EXIF-rotated JPEG).
"""
import os
import shutil

import numpy as np
import torch
from PIL import Image
from transformers import AutoModelForZeroShotImageClassification, AutoProcessor, pipeline

from common import REPO, TESTDATA, log, meta, write_json

OUT = os.path.join(TESTDATA, "pipeline")

CASES = [
    dict(image="chelsea.png", labels=["cat", "dog", "fox", "owl"], template=None),
    dict(image="chelsea.png", labels=["a tabby cat", "a car"], template="a photo of {}"),
    dict(image="chelsea.png", labels=["only one"], template=None),
    dict(image="rotated6.jpg", labels=["fox", "bear", "seagull", "owl"], template=None),
    dict(image="rotated6.jpg", labels=["same", "same", "other"], template="{} {{braces}}"),
    dict(image="gradient.png", labels=["red", "green", "blue", "a photo of a gradient"],
         template="This is a photo of {}."),
]


def make_images():
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(os.path.join(REPO, "examples", "chelsea.png"), os.path.join(OUT, "chelsea.png"))
    y, x = np.mgrid[0:180, 0:260]
    rgb = np.stack([x % 256, (y * 2) % 256, ((x + y) * 3) % 256], -1).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(OUT, "gradient.png"))
    # A JPEG whose EXIF says "rotate 90° clockwise to display": the pipeline (load_image)
    # applies it, the manual flow (Image.open) does not.
    src = Image.open(os.path.join(OUT, "chelsea.png")).convert("RGB").resize((200, 133), Image.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = 6
    src.save(os.path.join(OUT, "rotated6.jpg"), quality=90, exif=exif.tobytes())


def run(model_dir, suffix="", model_kw=None, processor_kw=None, extra_meta=None, backend="pil", out_dir=OUT):
    """Write <out_dir>/<model><suffix>.json (out_dir: testdata/pipeline, whose images it
    reads). model_kw / processor_kw go to from_pretrained (attn_implementation, backend),
    for the pipeline and the manual flow alike; backend is the image processor backend
    they must give (checked)."""
    name = os.path.basename(model_dir)
    model_kw, processor_kw = model_kw or {}, processor_kw or {}
    processor = AutoProcessor.from_pretrained(model_dir, **processor_kw)
    got = getattr(processor.image_processor, "backend", "pil")
    assert got == backend, (got, backend)
    model = AutoModelForZeroShotImageClassification.from_pretrained(model_dir, **model_kw).eval()
    pipe = pipeline("zero-shot-image-classification", model=model, tokenizer=processor.tokenizer,
                    image_processor=processor.image_processor, device="cpu")
    cases = []
    for c in CASES:
        path = os.path.join(OUT, c["image"])
        kw = {} if c["template"] is None else {"hypothesis_template": c["template"]}
        out = pipe(path, candidate_labels=c["labels"], **kw)
        with torch.no_grad():
            inputs = processor(text=c["labels"], images=Image.open(path), return_tensors="pt", padding=True)
            logits = model(**inputs).logits_per_image
            probs = logits.softmax(dim=1)
        cases.append({
            "image": c["image"], "labels": c["labels"],
            "template": c["template"] if c["template"] is not None else "This is a photo of {}.",
            "template_given": c["template"] is not None,
            "pipeline": [{"score": r["score"], "label": r["label"]} for r in out],
            "manual": {"logits_per_image": logits[0].tolist(), "probs": probs[0].tolist()},
        })
    os.makedirs(out_dir, exist_ok=True)
    write_json(os.path.join(out_dir, name + suffix + ".json"), {
        "meta": meta(pipeline_image_processor=type(pipe.image_processor).__name__,
                     pipeline_tokenizer=type(pipe.tokenizer).__name__,
                     torch_threads=torch.get_num_threads(),
                     **dict({"attn_implementation": model.config._attn_implementation}, **(extra_meta or {}))),
        "model": "models/" + name,
        "cases": cases,
    })
    log("wrote pipeline/%s%s.json" % (name, suffix))


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_images()
    for name in ("tiny-l14", "odd"):
        run(os.path.join(TESTDATA, "models", name))
