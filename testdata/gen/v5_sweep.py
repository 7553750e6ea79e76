"""Generated sweep for transformers 5's image processors: random sizes, contents, alpha
and processor configs, with the digests of both backends (the "5" oracle).

    $ORACLE_PY testdata/gen/v5_sweep.py                       the committed sample,
                                                              testdata/images/sweep-v5.json
    $ORACLE_PY testdata/gen/v5_sweep.py --out F --n 3000 [--seed S] [--max-side 5000]
                                                              a full sweep (make parity-v5-sweep)

Each case is drawn from a seed: a size (each side 1..max-side, log-uniform, aspect
ratios up to 1:200 both ways, some next to the config's resize and crop sizes), a
content (noise, smooth, edges), RGB or RGBA (alpha noise or a smooth ramp, composited
onto white by transformers 5's convert_to_rgb), and a processor config. Its pixels come
from an integer-only generator that the Go test reimplements (tvprocess/sweep_test.go),
so a case is stored as parameters only. The image goes to the processors as a PIL image
(Image.fromarray), as the manual flow hands it over; decoding and EXIF are the fixtures'
and the shape sweep's business.

References: "tv5", CLIPImageProcessor (torchvision backend, transformers 5's default);
"pil5", CLIPImageProcessorPil (backend="pil"). For each: the first 32 hex digits of the
sha256 of the float32 pixel_values [3, H, W] and of the uint8 crop (HWC), or the error.
The torchvision backend's uint8 resize depends on libtorch's CPU path: repro.py pins it
unless the environment already sets ATEN_CPU_CAPABILITY (the Go test reads the same).
"""
import repro  # noqa: F401  (before torch)

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SHARED_MODEL, TESTDATA, log, meta  # noqa: E402

SAMPLE = os.path.join(TESTDATA, "images", "sweep-v5.json")
SAMPLE_SEED, SAMPLE_N, SAMPLE_MAX_PIXELS = 15, 240, 1_500_000
GENERATOR_VERSION = 1

# Processor configs: the real model's, the odd fixture model's, and the variants whose
# geometry differs (crop larger than the resize: padding; no crop; no resize; 336).
CONFIGS = {
    "clip": {},
    "odd": {"size": {"shortest_edge": 72}, "crop_size": {"height": 64, "width": 64},
            "image_mean": [0.5, 0.45, 0.4], "image_std": [0.25, 0.3, 0.2]},
    "pad": {"size": {"shortest_edge": 64}, "crop_size": {"height": 96, "width": 80}},
    "nocrop": {"do_center_crop": False, "size": {"shortest_edge": 48}},
    "noresize": {"do_resize": False, "crop_size": {"height": 128, "width": 96}},
    "336": {"size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 336}},
}

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def noise(seed, n):
    """n bytes: the top byte of splitmix64(seed + (i+1)·golden), i = 0..n-1."""
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return (_mix(np.uint64(seed) + i * np.uint64(GOLDEN)) >> np.uint64(56)).astype(np.uint8)


def pixels(c):
    """uint8 (h, w, 3 or 4) for case c (mirrored in Go)."""
    w, h, seed = c["w"], c["h"], c["seed"]
    if c["content"] == "noise":
        rgb = noise(seed, w * h * 3).reshape(h, w, 3)
    else:
        y, x = np.mgrid[0:h, 0:w].astype(np.int64)
        planes = []
        for ch in range(3):
            k = (seed >> (8 * ch)) & 0xFF
            if c["content"] == "edges":
                px, py = 1 + (k & 15), 1 + (k >> 4)
                planes.append(((x // px + y // py + ch) & 1) * 255)
            else:  # smooth: a ramp along x and y, folded into 0..255
                v = (x * (k + 1) * 256) // w + (y * (256 - k) * 256) // h + ch * 85
                planes.append(np.abs((v & 511) - 256).clip(0, 255))
        rgb = np.stack(planes, axis=-1).astype(np.uint8)
    if c["alpha"] == "none":
        return rgb
    if c["alpha"] == "noise":
        a = noise(seed ^ 0xA1FA, w * h).reshape(h, w, 1)
    else:  # ramp: 0 at the left edge to 255 at the right
        a = ((np.arange(w, dtype=np.int64) * 255) // max(1, w - 1)).astype(np.uint8)
        a = np.broadcast_to(a[None, :, None], (h, w, 1))
    return np.concatenate([rgb, a], axis=-1)


def config_sizes(cfg):
    short = cfg.get("size", {}).get("shortest_edge", 224) if cfg.get("do_resize", True) else 0
    crop = cfg.get("crop_size", {"height": 224, "width": 224})
    return short, crop["height"], crop["width"]


def draw_case(rng, i, max_side, max_pixels):
    name = rng.choice(sorted(CONFIGS))
    cfg = CONFIGS[name]
    short, ch, cw = config_sizes(cfg)
    kind = rng.random()
    if kind < 0.15 and short:  # next to the resize size
        s = max(1, short + rng.randint(-2, 2))
        w, h = (s, rng.randint(s, max(s, 4 * s))) if rng.random() < 0.5 else (rng.randint(s, 4 * s), s)
    elif kind < 0.25:  # next to the crop size
        w, h = max(1, cw + rng.randint(-3, 3)), max(1, ch + rng.randint(-3, 3))
    elif kind < 0.35:  # extreme aspect ratios, both ways
        long = int(math.exp(rng.uniform(math.log(20), math.log(max_side))))
        r = math.exp(rng.uniform(math.log(10), math.log(200)))
        w, h = long, max(1, int(long / r))
        if rng.random() < 0.5:
            w, h = h, w
    elif kind < 0.42:  # tiny
        w, h = rng.randint(1, 8), rng.randint(1, 8)
    else:  # log-uniform, aspect within 1:200
        while True:
            w = int(math.exp(rng.uniform(0, math.log(max_side))))
            h = int(math.exp(rng.uniform(0, math.log(max_side))))
            if max(w, h) <= 200 * min(w, h):
                break
    w, h = max(1, min(w, max_side)), max(1, min(h, max_side))
    if max_pixels:
        while w * h > max_pixels:
            w, h = max(1, w * 3 // 4), max(1, h * 3 // 4)
    if name in ("nocrop", "noresize"):  # their output is the (resized) image itself: keep it small
        while w * h > 250_000:
            w, h = max(1, w // 2), max(1, h // 2)
        if name == "nocrop":  # the long side after the resize to 48: at most 4,800
            while max(w, h) * 48 > 4800 * min(w, h):
                w, h = (max(1, w // 2), h) if w > h else (w, max(1, h // 2))
    content = rng.choice(["noise", "noise", "smooth", "edges"])
    alpha = rng.choice(["none"] * 6 + ["noise", "ramp"])
    return {"id": i, "seed": rng.getrandbits(63), "config": name, "w": w, "h": h,
            "content": content, "alpha": alpha}


def draw_cases(seed, n, max_side, max_pixels):
    rng = random.Random(seed)
    return [draw_case(rng, i, max_side, max_pixels) for i in range(n)]


def sha32(b):
    return hashlib.sha256(b).hexdigest()[:32]


def processors():
    import json as _json
    from transformers import CLIPImageProcessor, CLIPImageProcessorPil
    base = _json.load(open(os.path.join(SHARED_MODEL, "preprocessor_config.json")))
    base.pop("feature_extractor_type", None)
    out = {}
    for name, over in CONFIGS.items():
        cfg = dict(base)
        cfg.update(over)
        out[name] = {"tv5": CLIPImageProcessor(**cfg), "pil5": CLIPImageProcessorPil(**cfg)}
    return out


def reference(proc, im):
    try:
        pv = proc(images=[im], return_tensors="pt")["pixel_values"].numpy()
        crop = proc(images=[im], do_rescale=False, do_normalize=False, return_tensors="pt")["pixel_values"]
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"}
    crop = np.asarray(crop[0].numpy() if hasattr(crop[0], "numpy") else crop[0])
    assert np.all(crop == np.round(crop)) and crop.min() >= 0 and crop.max() <= 255
    crop_u8 = np.ascontiguousarray(crop.astype(np.uint8).transpose(1, 2, 0))
    return {"pv": sha32(np.ascontiguousarray(pv[0], dtype="<f4").tobytes()), "crop": sha32(crop_u8.tobytes()),
            "shape": list(pv.shape[1:])}


def run(path, seed, n, max_side, max_pixels):
    import torch
    import torchvision
    from PIL import Image
    torch.set_num_threads(1)
    t0 = time.time()
    procs = processors()
    cases = draw_cases(seed, n, max_side, max_pixels)
    for i, c in enumerate(cases):
        px = pixels(c)
        c["pixels_sha256"] = sha32(np.ascontiguousarray(px).tobytes())
        im = Image.fromarray(px, "RGBA" if px.shape[2] == 4 else "RGB")
        c["ref"] = {r: reference(p, im) for r, p in procs[c["config"]].items()}
        if (i + 1) % 200 == 0:
            log(f"v5 sweep: {i + 1}/{len(cases)} cases, {time.time() - t0:.0f} s")
    doc = {"meta": meta(generator="testdata/gen/v5_sweep.py", generator_version=GENERATOR_VERSION, seed=seed, n=n,
                        max_side=max_side, max_pixels=max_pixels, torchvision=torchvision.__version__,
                        cpu_capability=torch.backends.cpu.get_cpu_capability(),
                        repro_env={k: os.environ.get(k) for k in repro.ENV}),
           "configs": CONFIGS, "cases": cases}
    tmp = path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as f:  # one case per line: small diffs
        f.write('{"meta": ' + json.dumps(doc["meta"], sort_keys=True) + ',\n')
        f.write(' "configs": ' + json.dumps(doc["configs"], sort_keys=True) + ',\n')
        f.write(' "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c, sort_keys=True) for c in cases))
        f.write("\n ]}\n")
    os.replace(tmp, path)
    log(f"v5 sweep: {len(cases)} cases -> {path} in {time.time() - t0:.0f} s")


def sample(path=SAMPLE):
    run(path, SAMPLE_SEED, SAMPLE_N, 5000, SAMPLE_MAX_PIXELS)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write a full sweep to this file (default: the committed sample)")
    ap.add_argument("--seed", type=int, default=SAMPLE_SEED)
    ap.add_argument("--n", type=int, default=SAMPLE_N)
    ap.add_argument("--max-side", type=int, default=5000)
    ap.add_argument("--max-pixels", type=int, default=0, help="cap w*h (0: none; the sample caps it)")
    a = ap.parse_args()
    if a.out:
        run(a.out, a.seed, a.n, a.max_side, a.max_pixels)
    else:
        sample()


if __name__ == "__main__":
    main()
