"""Generated shape sweep: random image sizes, modes, contents and processor configs, with
the reference's digests (issue 13: a fixed list of fixtures cannot promise "bit-identical on
every image").

Each case is drawn from a seed: size (each side 1..5000 px, log-uniform, aspect ratios up
to 1:200 both ways, and sizes next to the config's resize and crop sizes), input format and
mode (PNG: RGB, L, LA, RGBA, P, 16-bit gray and RGB; JPEG: YCbCr at 4:4:4, 4:2:2, 4:2:0
from Pillow, baseline or progressive, with or without restart markers, and 4:1:1, 4:4:0,
4:1:0 from jpegenc.py; grayscale; CMYK), an EXIF orientation for a quarter of them,
content (noise, smooth, photo-like, hard edges) and a processor config (every config of the
fixtures). The pixels come from an integer-only generator that the Go test reimplements
(internal/shapes), so a PNG case is stored as its parameters only; Pillow
and Go's decoders read the same pixels (the PNG bytes differ in their zlib stream only).
JPEG is lossy, so the exact files are written next to cases.json.

For every case and both flows ("manual": Image.open -> processor; "pipeline":
load_image (EXIF applied) -> processor), each reference stores sha256 digests (first 32
hex digits) of the float32 pixel_values and of the uint8 crop (the array before rescale,
HWC), or the error it raised. References are named (REFERENCES below: "pil" is
CLIPImageProcessor's slow PIL path); another reference can be added beside it and the
Go test picks one by name.

  $ORACLE_PY testdata/gen/gen_shapes.py                 the committed sample, testdata/shapes/
  $ORACLE_PY testdata/gen/gen_shapes.py --out DIR --n 4000 [--seed S]
                                                        a full sweep (make parity-shapes)
  $ORACLE_PY testdata/gen/gen_shapes.py --table DIR     issue 13's table shapes as .npy
  $ORACLE_PY testdata/gen/gen_shapes.py --add-refs DIR --refs NAME
                                                        another reference on an existing sweep's inputs
                                                        (the Go test: ZEROSHOT_SHAPES_REF=NAME)

To add a reference: a function (processor, file bytes, flow) -> {"pv", "crop", "shape"} or
{"error"}, registered in REFERENCES; it may need another oracle, which --add-refs allows: the
inputs are the stored ones. transformers 5's two backends ("pil5", "tv5") are added that way by
shapes_v5.py (the 5 oracle).
"""
import argparse
import hashlib
import io
import json
import math
import os
import random
import shutil
import struct
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SHARED_MODEL, TESTDATA, log, meta, write_json  # noqa: E402
import jpegenc  # noqa: E402

from PIL import Image, ImageFile  # noqa: E402
from transformers import CLIPImageProcessor  # noqa: E402
from transformers.image_utils import load_image  # noqa: E402

SAMPLE_DIR = os.path.join(TESTDATA, "shapes")
SAMPLE_SEED, SAMPLE_N = 13, 300
GENERATOR_VERSION = 1  # bump when a drawn case or its pixels change

# ---------------------------------------------------------------------------------------
# Pixels: splitmix64, counter-based, integer-only (mirrored in internal/shapes).

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix_int(z):
    z &= M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def noise_bytes(seed, start, count):
    """Bytes start..start+count of stream seed: top byte of mix(seed + (i+1)·golden)."""
    i = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return (_mix(np.uint64(seed) + i * np.uint64(GOLDEN)) >> np.uint64(56)).astype(np.uint8)


def channel_param(seed, c):
    return mix_int(((seed ^ 0x5DEECE66D) + (c + 1) * GOLDEN) & M64)


def content(kind, seed, w, h, nch):
    """uint8 (h, w, nch): the sample values of channel c at (x, y)."""
    out = np.empty((h, w, nch), dtype=np.uint8)
    step = max(1, (1 << 22) // max(1, w * nch))
    for y0 in range(0, h, step):
        y1 = min(h, y0 + step)
        out[y0:y1] = _content_rows(kind, seed, w, h, nch, y0, y1)
    return out


def _content_rows(kind, seed, w, h, nch, y0, y1):
    n = (y1 - y0) * w * nch
    if kind == "noise":
        return noise_bytes(seed, y0 * w * nch, n).reshape(y1 - y0, w, nch)
    y, x = np.mgrid[y0:y1, 0:w].astype(np.int64)
    planes = []
    for c in range(nch):
        r = channel_param(seed, c)
        if kind == "edges":
            px, py = 1 + (r & 63), 1 + ((r >> 6) & 63)
            v = ((x // px + y // py + c) & 1) * 255
        else:  # smooth, photo
            ax, ay, axy, off = r & 3, (r >> 2) & 3, (r >> 4) & 3, (r >> 8) & 1023
            if ax == 0 and ay == 0 and axy == 0:
                ax = 1
            phase = (ax * x * 1024) // w + (ay * y * 1024) // h + (axy * x * y * 1024) // (w * h) + off
            v = np.minimum(np.abs((phase & 1023) - 512) >> 1, 255)
        planes.append(v)
    v = np.stack(planes, axis=-1)
    if kind == "photo":
        nz = noise_bytes(seed, y0 * w * nch, n).reshape(y1 - y0, w, nch).astype(np.int64)
        v = np.clip(v + (nz >> 3) - 16, 0, 255)
    return v.astype(np.uint8)


# ---------------------------------------------------------------------------------------
# Encoding.

def tiff_orientation(o):
    """A big-endian TIFF header with one IFD entry: Orientation = o."""
    return (b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">H", 1) +
            struct.pack(">HHIHH", 0x0112, 3, 1, o, 0) + b"\x00\x00\x00\x00")


def png_chunk(typ, data):
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", zlib.crc32(typ + data))


PNG_LAYOUT = {  # mode -> (color type, bit depth, byte channels per pixel)
    "L": (0, 8, 1), "LA": (4, 8, 2), "RGB": (2, 8, 3), "RGBA": (6, 8, 4), "P": (3, 8, 1),
    "L16": (0, 16, 2), "RGB16": (2, 16, 6),
}


def png_samples(case):
    """(samples (h, w, bytes per pixel), PLTE or None) of a PNG case, as preprocess/internal/
    shapes.Pixels: 16-bit samples big-endian (L16: ((b0<<8)|b1) >> shift)."""
    w, h, mode, seed = case["w"], case["h"], case["mode"], case["seed"]
    nb = PNG_LAYOUT[mode][2]
    px = content(case["content"], seed, w, h, nb)
    if mode == "L16":
        v = ((px[..., 0].astype(np.uint16) << 8) | px[..., 1]) >> case["shift"]
        px = v.astype(">u2").view(np.uint8).reshape(h, w, 2)
    plte = None
    if mode == "P":
        plte = noise_bytes(seed ^ 0x9A1E77E, 0, 768).tobytes()
    return px, plte


def encode_png(case):
    w, h, mode = case["w"], case["h"], case["mode"]
    ct, depth, nb = PNG_LAYOUT[mode]
    px, plte = png_samples(case)
    case["pixels_sha256"] = sha32(px.tobytes() + (plte or b""))
    rows = np.concatenate([np.zeros((h, 1), dtype=np.uint8), px.reshape(h, w * nb)], axis=1)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, 0))
    if plte is not None:
        out += png_chunk(b"PLTE", plte)
    if case["orientation"]:
        out += png_chunk(b"eXIf", tiff_orientation(case["orientation"]))
    out += png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
    return out + png_chunk(b"IEND", b"")


ZS_SAMPLING = {"4:1:1": ((4, 1), (1, 1), (1, 1)), "4:4:0": ((1, 2), (1, 1), (1, 1)),
               "4:1:0": ((4, 2), (1, 1), (1, 1))}
PIL_SAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


def encode_jpeg(case):
    w, h, mode, seed = case["w"], case["h"], case["mode"], case["seed"]
    exif = b"Exif\x00\x00" + tiff_orientation(case["orientation"]) if case["orientation"] else None
    nch = {"RGB": 3, "L": 1, "CMYK": 4}[mode]
    px = content(case["content"], seed, w, h, nch)
    if case["encoder"] == "jpegenc":
        return jpegenc.encode(px, case["quality"], ZS_SAMPLING[case["sampling"]], case["restart"], exif)
    im = Image.fromarray(px[..., 0]) if mode == "L" else Image.frombytes(mode, (w, h), px.tobytes())
    kw = {"quality": case["quality"]}
    if mode == "RGB":
        kw["subsampling"] = PIL_SAMPLING[case["sampling"]]
    if case["progressive"]:
        kw["progressive"] = True
        kw["optimize"] = case["optimize"]
    if case["restart"]:
        kw["restart_marker_" + case["restart_unit"]] = case["restart"]
    if exif:
        kw["exif"] = exif
    buf = io.BytesIO()
    # Progressive/optimized saves must fit the whole file in Pillow's buffer (w·h
    # bytes below quality 95), which noise overflows ("Suspension not allowed here").
    # The buffer's size does not change the bytes written.
    ImageFile.MAXBLOCK = max(65536, 8 * w * h + 65536)
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def encode(case):
    return encode_png(case) if case["format"] == "png" else encode_jpeg(case)


# ---------------------------------------------------------------------------------------
# Processor configs: every config of the fixtures (gen_images.CONFIG_CASES, the odd model).

def base_config():
    cfg = json.load(open(os.path.join(SHARED_MODEL, "preprocessor_config.json")))
    cfg.pop("feature_extractor_type", None)
    return cfg


def configs():
    base = base_config()
    odd = json.load(open(os.path.join(TESTDATA, "models", "odd", "preprocessor_config.json")))
    odd.pop("feature_extractor_type", None)
    over = {
        "clip": {},
        "s336": {"size": 336, "crop_size": 336},
        "s64": {"size": 64, "crop_size": 64},
        "crop_gt_resize": {"size": {"shortest_edge": 224}, "crop_size": {"height": 300, "width": 260}},
        "crop_rect": {"size": {"shortest_edge": 224}, "crop_size": {"height": 180, "width": 200}},
        "no_crop": {"do_center_crop": False},
        "no_resize": {"do_resize": False},
        "no_resize_crop320": {"do_resize": False, "crop_size": 320},
        "no_normalize": {"do_normalize": False},
        "no_rescale": {"do_rescale": False},
        "no_rescale_normalize": {"do_rescale": False, "do_normalize": False},
        "custom_norm": {"rescale_factor": 0.5, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.5, 2.0]},
        "hw_no_crop": {"size": {"height": 100, "width": 150}, "do_center_crop": False},
        "hw_crop": {"size": {"height": 100, "width": 150}},
    }
    out = {}
    for name, o in over.items():
        c = dict(base)
        c.update(o)
        out[name] = c
    out["odd"] = odd
    return out


def resized(cfg, w, h):
    """transformers' resize output size (get_resize_output_image_size)."""
    if not cfg.get("do_resize", True):
        return w, h
    size = cfg["size"]
    if isinstance(size, int):
        size = {"shortest_edge": size}
    if "shortest_edge" in size:
        s = size["shortest_edge"]
        short, long = min(w, h), max(w, h)
        nl = int(s * long / short)
        return (s, nl) if w <= h else (nl, s)
    return size["width"], size["height"]


def output_size(cfg, w, h):
    if cfg.get("do_center_crop", True):
        c = cfg["crop_size"]
        c = {"height": c, "width": c} if isinstance(c, int) else c
        return c["width"], c["height"]
    return resized(cfg, w, h)


# ---------------------------------------------------------------------------------------
# Drawing cases.

PNG_MODES = [("RGB", 4), ("L", 2), ("LA", 1), ("RGBA", 2), ("P", 1), ("L16", 1), ("RGB16", 1)]
JPEG_KINDS = [("pillow", 7), ("jpegenc", 3), ("gray", 1), ("cmyk", 1)]
CONTENTS = [("noise", 3), ("smooth", 2), ("photo", 3), ("edges", 1)]
MAX_OUT = 2_000_000  # output pixels of configs without a crop
MAX_SIDE = 5000


def pick(rng, weighted):
    total = sum(wt for _, wt in weighted)
    r = rng.uniform(0, total)
    for v, wt in weighted:
        r -= wt
        if r <= 0:
            return v
    return weighted[-1][0]


def logu(rng, lo, hi):
    return max(lo, min(hi, int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))))


def draw_size(rng, cfg):
    kind = rng.random()
    if kind < 0.12:  # extreme aspect ratio
        aspect = math.exp(rng.uniform(math.log(20), math.log(200)))
        long = logu(rng, min(MAX_SIDE, int(math.ceil(aspect))), MAX_SIDE)
        short = max(1, int(round(long / aspect)))
        return (short, long) if rng.random() < 0.5 else (long, short)
    if kind < 0.22:  # one side next to the config's resize or crop size
        s = cfg["size"] if isinstance(cfg["size"], int) else cfg["size"].get("shortest_edge", cfg["size"].get("height"))
        c = cfg["crop_size"] if isinstance(cfg["crop_size"], int) else cfg["crop_size"]["height"]
        special = rng.choice([1, 2, 3, 4, 7, 8, 9, 15, 16, 17, s - 1, s, s + 1, c - 1, c, c + 1, 2 * s, 2 * s + 1,
                              3 * s - 1])
        other = logu(rng, 1, MAX_SIDE)
        return (special, other) if rng.random() < 0.5 else (other, special)
    while True:
        w, h = logu(rng, 1, MAX_SIDE), logu(rng, 1, MAX_SIDE)
        if max(w, h) <= 200 * min(w, h):
            return w, h


def draw_case(rng, cid, cfgs, sample):
    c = {"id": cid, "seed": rng.getrandbits(48)}
    names = sorted(cfgs)
    c["config"] = "clip" if rng.random() < 0.4 else rng.choice(names)
    cfg = cfgs[c["config"]]
    fmt = "jpeg" if rng.random() < 0.45 else "png"
    kind = pick(rng, CONTENTS)
    limit, max_out = 25_000_000, MAX_OUT
    if sample:
        max_out = 400_000
        # The committed sample stays small and quick: its JPEG files are committed
        # (noisy ones are large), and `make test` runs every case.
        limit = 600_000 if fmt == "png" else 20_000 if kind in ("noise", "photo") else 300_000
    for _ in range(1000):
        w, h = draw_size(rng, cfg)
        ow, oh = output_size(cfg, w, h)
        rw, rh = resized(cfg, w, h)
        if ow * oh <= max_out and rw * rh <= 60_000_000 and w * h <= limit:
            break
    else:
        raise RuntimeError("no size found")
    c.update(w=w, h=h, format=fmt, content=kind)
    c["orientation"] = rng.randint(2, 8) if rng.random() < 0.25 else 0
    if fmt == "png":
        c["mode"] = pick(rng, PNG_MODES)
        if c["mode"] == "L16":
            c["shift"] = rng.choice([0, 6, 8])
        return c
    kind = pick(rng, JPEG_KINDS)
    c["quality"] = rng.randint(40, 97)
    c["encoder"] = "jpegenc" if kind == "jpegenc" else "pillow"
    c["mode"] = {"gray": "L", "cmyk": "CMYK"}.get(kind, "RGB")
    c["progressive"] = False
    c["restart"] = 0
    if kind == "jpegenc":
        c["sampling"] = rng.choice(sorted(ZS_SAMPLING))
        if w * h > 2_000_000:  # jpegenc's entropy coder is pure Python
            c["w"], c["h"] = max(1, w // 4), max(1, h // 4)
        if rng.random() < 0.35:
            c["restart"] = rng.choice([1, 2, 5, 17])
        return c
    if kind == "pillow":
        c["sampling"] = rng.choice(sorted(PIL_SAMPLING))
    if w * h > 4_000_000 and c["content"] in ("noise", "photo"):
        c["content"] = "smooth"  # keeps the cached files small
    if rng.random() < 0.35:
        c["progressive"] = True
        c["optimize"] = rng.random() < 0.5
    if rng.random() < 0.3:
        c["restart_unit"] = rng.choice(["blocks", "rows"])
        c["restart"] = rng.choice([1, 2, 3, 8])
    return c


# Issue 13's table: random-noise RGB PNGs, the default CLIP config.
TABLE_SHAPES = [(250, 700), (250, 900), (250, 2700), (300, 900), (300, 1000), (600, 1800), (600, 2000),
                (1000, 3000), (1000, 3500), (900, 250), (1000, 300), (4000, 300), (3024, 4032), (1080, 1920),
                (400, 700), (224, 1000)]


def listed_cases(start):
    out = []
    for i, (w, h) in enumerate(TABLE_SHAPES):
        out.append({"id": start + i, "seed": 1300 + i, "config": "clip", "w": w, "h": h, "format": "png",
                    "content": "noise", "orientation": 0, "mode": "RGB", "listed": "issue 13 table"})
    return out


def draw_cases(seed, n, sample=False):
    rng = random.Random(seed)
    cfgs = configs()
    cases = [draw_case(rng, i, cfgs, sample) for i in range(n)]
    listed = listed_cases(n)
    if sample:  # the big ones run in make parity-shapes
        listed = [c for c in listed if c["w"] * c["h"] <= 2_000_000]
    return cases + listed


# ---------------------------------------------------------------------------------------
# References.

def sha32(b):
    return hashlib.sha256(b).hexdigest()[:32]


def _processor(cfg):
    return CLIPImageProcessor(**cfg)


def pil_flow(proc, data, flow):
    """Digests of HF's slow CLIPImageProcessor (PIL path) for one flow."""
    try:
        im = Image.open(io.BytesIO(data))
        if flow == "manual":
            im.load()
        else:
            im = load_image(im)
        kw = {"return_tensors": "np", "input_data_format": "channels_last"}
        pv = np.asarray(proc(images=im, **kw)["pixel_values"], dtype=np.float32)
        crop = proc(images=im, do_rescale=False, do_normalize=False, **kw)["pixel_values"][0]
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"}
    crop = np.asarray(crop)
    assert np.all(crop == np.round(crop)) and crop.min() >= 0 and crop.max() <= 255
    crop_u8 = np.ascontiguousarray(crop.astype(np.uint8).transpose(1, 2, 0))
    return {"pv": sha32(np.ascontiguousarray(pv[0], dtype="<f4").tobytes()), "crop": sha32(crop_u8.tobytes()),
            "shape": list(pv.shape[1:])}


REFERENCES = {"pil": pil_flow}


def run(out_dir, seed, n, refs, sample):
    t0 = time.time()
    cfgs = configs()
    procs = {name: _processor(c) for name, c in cfgs.items()}
    cases = draw_cases(seed, n, sample)
    tmp = out_dir + ".tmp"
    if os.path.isdir(tmp):
        shutil.rmtree(tmp)
    os.makedirs(os.path.join(tmp, "jpeg"))
    counts = {}
    for i, c in enumerate(cases):
        data = encode(c)
        if c["format"] == "jpeg":
            c["file"] = f"jpeg/{c['id']:05d}.jpg"
            c["file_sha256"] = sha32(data)
            with open(os.path.join(tmp, c["file"]), "wb") as f:
                f.write(data)
        c["ref"] = {}
        for r in refs:
            c["ref"][r] = {flow: REFERENCES[r](procs[c["config"]], data, flow) for flow in ("manual", "pipeline")}
        key = c["format"] + "/" + c["mode"]
        counts[key] = counts.get(key, 0) + 1
        if (i + 1) % 200 == 0:
            log(f"shapes: {i + 1}/{len(cases)} cases, {time.time() - t0:.0f} s")
    doc = {
        "meta": meta(generator="testdata/gen/gen_shapes.py", generator_version=GENERATOR_VERSION, seed=seed, n=n,
                     sample=sample, references=sorted(refs)),
        "configs": cfgs,
        "counts": counts,
        "cases": cases,
    }
    write_cases(os.path.join(tmp, "cases.json"), doc)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.rename(tmp, out_dir)
    log(f"shapes: {len(cases)} cases ({json.dumps(counts, sort_keys=True)}) -> {out_dir} in {time.time() - t0:.0f} s")


def write_cases(path, doc):
    """cases.json, one case per line (small diffs, greppable), written atomically."""
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write('{"meta": ' + json.dumps(doc["meta"], sort_keys=True) + ',\n')
        f.write(' "configs": ' + json.dumps(doc["configs"], sort_keys=True) + ',\n')
        f.write(' "counts": ' + json.dumps(doc["counts"], sort_keys=True) + ',\n')
        f.write(' "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c, sort_keys=True) for c in doc["cases"]))
        f.write("\n ]}\n")
    os.replace(path + ".tmp", path)


def add_refs(out_dir, refs):
    """Compute references for an existing sweep (its cases and files as they are) and
    store them beside the ones it has: another reference is checked on the very same
    inputs. The inputs are rebuilt or read and checked against their digests first."""
    t0 = time.time()
    path = os.path.join(out_dir, "cases.json")
    doc = json.load(open(path, encoding="utf-8"))
    procs = {name: _processor(c) for name, c in doc["configs"].items()}
    for i, c in enumerate(doc["cases"]):
        if c["format"] == "jpeg":
            data = open(os.path.join(out_dir, c["file"]), "rb").read()
            assert sha32(data) == c["file_sha256"], c["file"]
        else:
            stored = c["pixels_sha256"]
            data = encode(c)  # recomputes pixels_sha256
            assert c["pixels_sha256"] == stored, f"case {c['id']}: generated pixels changed"
        for r in refs:
            c["ref"][r] = {flow: REFERENCES[r](procs[c["config"]], data, flow) for flow in ("manual", "pipeline")}
        if (i + 1) % 200 == 0:
            log(f"shapes: {i + 1}/{len(doc['cases'])} cases, {time.time() - t0:.0f} s")
    doc["meta"]["references"] = sorted(set(doc["meta"]["references"]) | set(refs))
    doc["meta"].setdefault("reference_meta", {}).update({r: meta() for r in refs})
    write_cases(path, doc)
    log(f"shapes: references {', '.join(refs)} added to {path} in {time.time() - t0:.0f} s")


def table(out_dir):
    """HF's pixel_values of the table shapes (.npy), for the Go test that prints issue 13's
    table (identical values and max |delta| per shape)."""
    tmp = out_dir + ".tmp"
    if os.path.isdir(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    proc = _processor(configs()["clip"])
    for c in listed_cases(0):
        data = encode(c)
        pv = pil_flow_array(proc, data)
        np.save(os.path.join(tmp, f"{c['w']}x{c['h']}.npy"), pv)
    write_json(os.path.join(tmp, "table.json"), {"meta": meta(), "cases": listed_cases(0)})
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.rename(tmp, out_dir)
    log(f"shapes: table -> {out_dir}")


def pil_flow_array(proc, data):
    im = Image.open(io.BytesIO(data))
    return np.asarray(proc(images=im, return_tensors="np", input_data_format="channels_last")["pixel_values"][0],
                      dtype="<f4")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write a full sweep here (default: the committed sample in testdata/shapes)")
    ap.add_argument("--seed", type=int, default=SAMPLE_SEED)
    ap.add_argument("--n", type=int, default=SAMPLE_N)
    ap.add_argument("--refs", default=",".join(REFERENCES), help="references to compute (comma-separated)")
    ap.add_argument("--table", help="write issue 13's table shapes (HF pixel_values .npy) here and exit")
    ap.add_argument("--add-refs", metavar="DIR", help="compute --refs for the existing sweep in DIR and add them")
    a = ap.parse_args()
    if a.table:
        table(a.table)
        return
    refs = [r for r in a.refs.split(",") if r]
    for r in refs:
        if r not in REFERENCES:
            ap.error(f"unknown reference {r!r} (known: {', '.join(REFERENCES)})")
    if a.add_refs:
        add_refs(a.add_refs, refs)
    elif a.out:
        run(a.out, a.seed, a.n, refs, sample=False)
    else:
        run(SAMPLE_DIR, a.seed, a.n, refs, sample=True)


if __name__ == "__main__":
    main()
