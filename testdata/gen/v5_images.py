"""Transformers 5's image processors on the image fixtures: testdata/images/index-v5.json.

Run by gen_goldens.py on the "5" oracle (make goldens ORACLE=5), after gen_images.py (the
"4.54" oracle) has written testdata/images/files/. For every file, both flows ("manual":
Image.open -> processor; "pipeline": load_image -> processor, EXIF applied) and both
backends ("torchvision": CLIPImageProcessor, transformers 5's default; "pil":
CLIPImageProcessorPil, backend="pil"), it records the error raised or the sha256 of:
- rgb: what the processor starts from, convert_to_rgb(image) (transformers 5 composites
  transparency onto white; 4.x dropped the alpha), uint8 HWC;
- crop: the processor's output without rescale and normalize (uint8 values), HWC;
- pixel_values: float32 [3, 224, 224].
The processors are called as the pipeline calls them (images=[image], return_tensors="pt").
Also: the processor config cases of gen_images.py (CONFIG_CASES) on its synthetic image
for both backends, and Pillow's alpha_composite over white for every (value, alpha) pair.

The torchvision backend resizes with libtorch's _upsample_bicubic2d_aa: its results
depend on the CPU path, so this runs with repro.py's pinned paths (as the Go tests).
"""
import repro  # noqa: F401  (before torch)

import hashlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SHARED_MODEL, TESTDATA, log, meta, write_json  # noqa: E402

OUT = os.path.join(TESTDATA, "images", "index-v5.json")
FILES = os.path.join(TESTDATA, "images", "files")


def sha(b):
    return hashlib.sha256(b).hexdigest()


def errtext(e):
    return f"{type(e).__name__}: {e}".replace(FILES + os.sep, "")


def processors(**over):
    """{"torchvision": ..., "pil": ...} from the real model's preprocessor_config.json."""
    import json
    from transformers import CLIPImageProcessor, CLIPImageProcessorPil
    cfg = json.load(open(os.path.join(SHARED_MODEL, "preprocessor_config.json")))
    cfg.pop("feature_extractor_type", None)
    cfg.update(over)
    out = {"torchvision": CLIPImageProcessor(**cfg), "pil": CLIPImageProcessorPil(**cfg)}
    for name, p in out.items():
        assert p.backend == name, (name, p.backend)
    return out


def as_hwc_u8(pv):
    """[1, 3, H, W] of integer values (uint8 tensor or float array) -> uint8 HWC."""
    a = np.asarray(pv[0].numpy() if hasattr(pv[0], "numpy") else pv[0])
    assert np.all(a == np.round(a)) and a.min() >= 0 and a.max() <= 255, (a.dtype, a.min(), a.max())
    return np.ascontiguousarray(a.astype(np.uint8).transpose(1, 2, 0))


def digests(proc, im):
    """The facts for one image (PIL) through one processor."""
    from transformers.image_transforms import convert_to_rgb
    try:
        rgb = convert_to_rgb(im, return_numpy=True)
        pv = proc(images=[im], return_tensors="pt")["pixel_values"]
        crop = proc(images=[im], do_rescale=False, do_normalize=False, return_tensors="pt")["pixel_values"]
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": errtext(e)}
    pv = pv.numpy()
    assert pv.dtype == np.float32, pv.dtype
    return {
        "ok": True,
        "rgb_size": [int(rgb.shape[1]), int(rgb.shape[0])],
        "rgb_sha256": sha(np.ascontiguousarray(rgb).tobytes()),
        "crop_sha256": sha(as_hwc_u8(crop).tobytes()),
        "shape": list(pv.shape[1:]),
        "pixel_values_sha256": sha(np.ascontiguousarray(pv[0], dtype="<f4").tobytes()),
    }


def open_flow(path, flow):
    from PIL import Image
    from transformers.image_utils import load_image
    if flow == "manual":
        im = Image.open(path)
        im.load()
        return im
    return load_image(path)


def alpha_table():
    """Image.alpha_composite(white, RGBA with R = G = B = value (x), A = alpha (y)).convert("RGB"),
    as transformers 5's convert_to_rgb calls it: sha256 of the 256x256 RGB result."""
    from PIL import Image
    y, x = np.mgrid[0:256, 0:256].astype(np.uint8)
    rgba = np.stack([x, x, x, y], axis=-1)
    im = Image.fromarray(rgba, "RGBA")
    out = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im).convert("RGB")
    return {"layout": "256x256 RGB: x = value, y = alpha", "sha256": sha(np.asarray(out).tobytes())}


def run(out=OUT):
    import PIL
    import torch
    import torchvision
    import gen_images  # CONFIG_CASES, synthetic
    from PIL import Image

    torch.set_num_threads(1)
    procs = processors()
    images = []
    for name in sorted(os.listdir(FILES)):
        path = os.path.join(FILES, name)
        e = {"file": "files/" + name}
        for flow in ("manual", "pipeline"):
            try:
                im = open_flow(path, flow)
            except Exception as ex:  # noqa: BLE001
                err = {"ok": False, "error": errtext(ex)}
                for b in procs:
                    e.setdefault(b, {})[flow] = err
                continue
            for b, p in procs.items():
                e.setdefault(b, {})[flow] = digests(p, im)
        images.append(e)
    configs = []
    for over, w, h in gen_images.CONFIG_CASES:
        im = Image.fromarray(gen_images.synthetic(w, h))
        c = {"config": over, "w": w, "h": h}
        for b, p in processors(**over).items():
            c[b] = digests(p, im)
        configs.append(c)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_json(out, {
        "meta": meta(torchvision=torchvision.__version__, pillow=PIL.__version__,
                     image_processor="CLIPImageProcessor (torchvision backend) and CLIPImageProcessorPil",
                     processor_call="processor(images=[image], return_tensors='pt')",
                     cpu_capability=torch.backends.cpu.get_cpu_capability(),
                     repro_env={k: os.environ.get(k) for k in repro.ENV}),
        "alpha_composite": alpha_table(),
        "images": images,
        "configs": configs,
    })
    log("wrote images/index-v5.json (%d files, %d configs)" % (len(images), len(configs)))


if __name__ == "__main__":
    run()
