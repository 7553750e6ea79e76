"""Image fixtures and Hugging Face goldens for the `preprocess` package.

Writes testdata/images/ (deterministically; run twice and `diff -r`):

  files/<name>         the input files: public-domain photos bundled with scikit-image
                       (re-encoded small) and made edge cases (every format/mode the Go
                       loader supports, EXIF orientations, tiny/huge/odd sizes, bad files)
  crops/<name>.<flow>.png
                       with ZEROSHOT_FIXTURE_CROPS=1 only (git-ignored): HF's uint8 centre
                       crop, for debugging a mismatch; "pipeline" crops only where they
                       differ from "manual"
  golden/<name>.<flow>.npy
                       float32 pixel_values [1,3,224,224] from HF, for a handful of images
  index.json           meta() + per file: Pillow's format/mode/size, sha256 of the file,
                       and per flow ("manual": Image.open -> processor, no EXIF transpose;
                       "pipeline": transformers.image_utils.load_image -> processor, EXIF
                       applied) either the error Pillow/HF raised or the sha256 of the
                       RGB uint8 image, of the uint8 crop and of the float32 pixel_values.
                       Also the spec section 1.9 synthetic vectors, recomputed with HF.
  resample.json        Pillow Image.resize(BICUBIC) outputs for deterministic noise
                       images (sha256 of the output bytes), for the Go resampler tests.

The Go test compares, for every file and flow: accept/reject, the decoded RGB bytes, the
uint8 crop and the float32 pixel_values (bit-exact, via sha256; the .npy goldens and crop
PNGs only help to debug a mismatch).

Run: $ORACLE_PY testdata/gen/gen_images.py
"""
import hashlib
import io
import os
import shutil
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SHARED_MODEL, TESTDATA, log, meta, write_json, write_npy  # noqa: E402

import PIL  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402
import skimage  # noqa: E402
import skimage.data  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoImageProcessor, CLIPImageProcessor  # noqa: E402
from transformers.image_utils import load_image  # noqa: E402

OUT = os.path.join(TESTDATA, "images")
FILES = os.path.join(OUT, "files")
CROPS = os.path.join(OUT, "crops")
# The crops (3.9 MB) only help to debug a mismatch (the tests check sha256 digests), so they
# are written, and kept out of git, only when asked for: ZEROSHOT_FIXTURE_CROPS=1.
WRITE_CROPS = os.environ.get("ZEROSHOT_FIXTURE_CROPS") == "1"


def errtext(e):
    """An exception as text, with paths relative to testdata/images so that the output does
    not depend on where the clone is."""
    return f"{type(e).__name__}: {e}".replace(OUT + os.sep, "")
GOLDEN = os.path.join(OUT, "golden")
SKDATA = os.path.join(os.path.dirname(skimage.__file__), "data")

# float32 pixel_values stored as .npy for these (name, flow) pairs only.
NPY_GOLDENS = {
    ("photo_astronaut.jpg", "manual"),
    ("jpeg_exif_6.jpg", "pipeline"),
}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def enc(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def png_chunk(typ, data):
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", zlib.crc32(typ + data))


def raw_png(w, h, color_type, depth, rows, extra=b""):
    """A PNG written by hand (modes Pillow can't save: 16-bit RGB, 2-bit gray, ...).
    rows: list of already-packed scanline bytes (filter byte 0 is added here)."""
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def exif_bytes(orientation):
    ex = Image.Exif()
    ex[0x0112] = orientation
    return ex.tobytes()


def noise(n, seed):
    """Deterministic bytes (PCG-style LCG, top byte); mirrored in Go's tests."""
    out = np.empty(n, dtype=np.uint8)
    s = seed & 0xFFFFFFFFFFFFFFFF
    mul, inc, mask = 6364136223846793005, 1442695040888963407, 0xFFFFFFFFFFFFFFFF
    for i in range(n):
        s = (s * mul + inc) & mask
        out[i] = s >> 56
    return out


def synthetic(w, h):
    """Spec section 1.9 test pattern: R=(7x+3y)%256, G=(x^2+5y)%256, B=(x*y+11)%256."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    return np.stack([(7 * x + 3 * y) % 256, (x * x + 5 * y) % 256, (x * y + 11) % 256],
                    axis=-1).astype(np.uint8)


def make_files():
    """name -> bytes of every input file, good and bad."""
    astronaut = skimage.data.astronaut()          # 512x512 RGB
    chelsea = skimage.data.chelsea()              # 451x300 RGB
    coffee = skimage.data.coffee()                # 600x400 RGB
    camera = skimage.data.camera()                # 512x512 L
    f = {}
    rd = lambda n: open(os.path.join(SKDATA, n), "rb").read()  # noqa: E731

    # --- real photos -------------------------------------------------------------
    f["photo_astronaut.jpg"] = enc(Image.fromarray(astronaut), "JPEG", quality=85)
    f["photo_chelsea.jpg"] = enc(Image.fromarray(chelsea), "JPEG", quality=90)
    f["photo_coffee.jpg"] = enc(Image.fromarray(coffee), "JPEG", quality=88, subsampling=0)
    f["photo_rocket.jpg"] = rd("rocket.jpg")      # as shipped (427x640, real encoder)
    f["photo_retina.jpg"] = rd("retina.jpg")      # as shipped (1411x1411)
    f["photo_camera.png"] = rd("camera.png")      # gray PNG as shipped
    f["photo_logo.png"] = rd("logo.png")          # RGBA PNG as shipped
    f["photo_anim.gif"] = rd("no_time_for_that_tiny.gif")  # animated GIF: first frame
    f["photo_multipage.tif"] = rd("multipage.tif")          # 2-page TIFF: first page

    # --- JPEG variants (odd size: chroma edges) -----------------------------------
    cat = Image.fromarray(chelsea[60:179, 140:301])  # 161x119
    f["jpeg_420.jpg"] = enc(cat, "JPEG", quality=85, subsampling=2)
    f["jpeg_422.jpg"] = enc(cat, "JPEG", quality=85, subsampling=1)
    f["jpeg_444.jpg"] = enc(cat, "JPEG", quality=85, subsampling=0)
    f["jpeg_progressive.jpg"] = enc(cat, "JPEG", quality=85, progressive=True, optimize=True)
    f["jpeg_gray.jpg"] = enc(cat.convert("L"), "JPEG", quality=85)
    f["jpeg_cmyk.jpg"] = enc(cat.convert("CMYK"), "JPEG", quality=90)
    f["jpeg_restart.jpg"] = enc(cat, "JPEG", quality=85, restart_marker_rows=1)
    # EXIF orientations on an asymmetric 150x100 crop
    astro = Image.fromarray(astronaut[40:140, 150:300])
    for o in range(1, 9):
        f[f"jpeg_exif_{o}.jpg"] = enc(astro, "JPEG", quality=85, exif=exif_bytes(o))
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
           b'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/'
           b'tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')
    f["jpeg_xmp_orient6.jpg"] = enc(astro, "JPEG", quality=85, xmp=xmp)

    # --- PNG -----------------------------------------------------------------------
    small = Image.fromarray(coffee[140:260, 220:380])  # 160x120
    sa = np.asarray(small)
    f["png_rgb.png"] = enc(small, "PNG")
    alpha = np.tile(np.linspace(0, 255, 160).astype(np.uint8), (120, 1))
    alpha[:, :20] = 0  # fully transparent with non-zero RGB underneath
    f["png_rgba.png"] = enc(Image.fromarray(np.dstack([sa, alpha])), "PNG")
    f["png_la.png"] = enc(Image.fromarray(np.dstack([np.asarray(small.convert("L")), alpha])), "PNG")
    f["png_gray.png"] = enc(small.convert("L"), "PNG")
    f["png_gray1.png"] = enc(small.convert("1"), "PNG")
    pal = small.quantize(colors=200)
    f["png_p.png"] = enc(pal, "PNG", transparency=3)
    f["png_p16.png"] = enc(small.quantize(colors=16), "PNG", bits=4)
    g16 = (np.asarray(small.convert("L")).astype(np.uint16) * 3)      # 0..765: some > 255
    f["png_gray16.png"] = raw_png(160, 120, 0, 16, [r.astype(">u2").tobytes() for r in g16])
    rgb16 = sa.astype(np.uint16) * 257 + np.uint16(77)
    f["png_rgb16.png"] = raw_png(160, 120, 2, 16, [r.astype(">u2").tobytes() for r in rgb16])
    rgba16 = np.dstack([rgb16, (alpha.astype(np.uint16) * 257)])
    f["png_rgba16.png"] = raw_png(160, 120, 6, 16, [r.astype(">u2").tobytes() for r in rgba16])
    g2 = (np.asarray(small.convert("L")) >> 6).astype(np.uint8)      # 2-bit gray
    f["png_gray2.png"] = raw_png(160, 120, 0, 2, [np.packbits(np.unpackbits(r[:, None], axis=1)[:, 6:].ravel()).tobytes() for r in g2])
    f["png_rgb_trns.png"] = raw_png(160, 120, 2, 8, [r.tobytes() for r in sa],
                                    extra=png_chunk(b"tRNS", struct.pack(">HHH", *[int(v) for v in sa[0, 0]])))
    f["png_exif6.png"] = enc(small, "PNG", exif=exif_bytes(6))

    # --- GIF / WebP / BMP / TIFF --------------------------------------------------
    f["gif_p.gif"] = enc(small.quantize(colors=64), "GIF", transparency=5)
    webp_src = Image.fromarray(chelsea[61:180, 141:300])  # 159x119 (odd)
    f["webp_lossy.webp"] = enc(webp_src, "WEBP", quality=80)
    wa = np.dstack([np.asarray(webp_src), np.tile(np.linspace(0, 255, 159).astype(np.uint8), (119, 1))])
    f["webp_lossy_alpha.webp"] = enc(Image.fromarray(wa), "WEBP", quality=80)
    f["webp_lossless.webp"] = enc(small, "WEBP", lossless=True)
    f["webp_exif3.webp"] = enc(small, "WEBP", quality=80, exif=exif_bytes(3))
    f["bmp_rgb.bmp"] = enc(small, "BMP")
    f["bmp_p8.bmp"] = enc(small.quantize(colors=100), "BMP")
    f["bmp_rgba.bmp"] = enc(Image.fromarray(np.dstack([sa, alpha])), "BMP")
    f["tiff_rgb.tif"] = enc(small, "TIFF")
    f["tiff_lzw.tif"] = enc(small, "TIFF", compression="tiff_lzw")
    f["tiff_deflate.tif"] = enc(small, "TIFF", compression="tiff_adobe_deflate")
    f["tiff_gray16.tif"] = enc(Image.fromarray(g16), "TIFF")
    f["tiff_orient8.tif"] = enc(small, "TIFF", tiffinfo={274: 8})

    # --- sizes -----------------------------------------------------------------------
    f["tiny_1x1.png"] = enc(Image.fromarray(sa[:1, :1]), "PNG")
    f["tiny_2x3.png"] = enc(Image.fromarray(sa[:3, :2]), "PNG")
    f["tiny_3x1.jpg"] = enc(Image.fromarray(sa[:1, :3]), "JPEG", quality=90)
    f["upscale_100x50.png"] = enc(Image.fromarray(sa[:50, :100]), "PNG")
    tall = np.asarray(Image.fromarray(astronaut).resize((40, 800), Image.BICUBIC))
    f["aspect_1x20.png"] = enc(Image.fromarray(tall), "PNG")
    f["aspect_20x1.jpg"] = enc(Image.fromarray(np.ascontiguousarray(tall.transpose(1, 0, 2))), "JPEG", quality=85)
    f["exact_224.png"] = enc(Image.fromarray(astronaut[100:324, 150:374]), "PNG")
    f["short224_224x300.png"] = enc(Image.fromarray(astronaut[50:350, 200:424]), "PNG")
    f["big_4032x3024.jpg"] = enc(Image.fromarray(chelsea).resize((4032, 3024), Image.BICUBIC),
                                 "JPEG", quality=70)

    # --- bad files -------------------------------------------------------------------
    j = f["jpeg_420.jpg"]
    p = f["png_rgb.png"]
    f["bad_empty.jpg"] = b""
    f["bad_random.bin"] = noise(2000, 7).tobytes()
    f["bad_truncated_header.jpg"] = j[:150]
    f["bad_truncated_mid.jpg"] = j[: len(j) // 2]
    f["bad_truncated_noeoi.jpg"] = j[:-2]
    f["bad_truncated_tail.jpg"] = j[:-40]
    f["bad_truncated_prog.jpg"] = f["jpeg_progressive.jpg"][: len(f["jpeg_progressive.jpg"]) * 7 // 10]
    f["bad_truncated_prog_noeoi.jpg"] = f["jpeg_progressive.jpg"][:-2]
    f["bad_truncated.png"] = p[: len(p) // 2]
    f["bad_truncated.gif"] = f["gif_p.gif"][: len(f["gif_p.gif"]) // 2]
    f["bad_truncated.webp"] = f["webp_lossy.webp"][: len(f["webp_lossy.webp"]) // 2]
    cj = bytearray(j)
    for k in range(len(j) // 2, len(j) // 2 + 40, 4):
        cj[k] = cj[k] ^ 0x5A if cj[k] != 0xFF and cj[k] ^ 0x5A != 0xFF else cj[k]
    f["bad_corrupt_scan.jpg"] = bytes(cj)
    dht = j.index(b"\xff\xc4")
    hj = bytearray(j)
    hj[dht + 4] = 0x57  # Huffman table class/id byte: invalid
    f["bad_corrupt_dht.jpg"] = bytes(hj)
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    f["bad_bomb.png"] = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                         png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b""))
    sof = j.index(b"\xff\xc0")
    bj = bytearray(j)
    bj[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    f["bad_bomb.jpg"] = bytes(bj)
    return f


def pillow_facts(path):
    try:
        with Image.open(path) as im:
            return {"format": im.format, "mode": im.mode, "size": list(im.size)}
    except Exception as e:  # noqa: BLE001
        return {"open_error": errtext(e)}


def run_flow(proc, path, flow):
    """-> (facts dict, crop uint8 HWC or None, pixel_values or None)."""
    try:
        if flow == "manual":
            im = Image.open(path)
            im.load()
        else:
            im = load_image(path)
        rgb = np.asarray(im.convert("RGB"))
        pv = proc(images=im, return_tensors="np", input_data_format="channels_last")["pixel_values"]
        crop = proc(images=im, do_rescale=False, do_normalize=False, return_tensors="np",
                    input_data_format="channels_last")["pixel_values"]
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": errtext(e)}, None, None
    assert pv.dtype == np.float32 and pv.shape == (1, 3, 224, 224), (pv.dtype, pv.shape)
    c = np.asarray(crop[0])
    assert np.all(c == np.round(c)) and c.min() >= 0 and c.max() <= 255
    crop_u8 = np.ascontiguousarray(c.astype(np.uint8).transpose(1, 2, 0))  # HWC
    facts = {
        "ok": True,
        "rgb_size": [int(rgb.shape[1]), int(rgb.shape[0])],
        "rgb_sha256": sha(np.ascontiguousarray(rgb).tobytes()),
        "crop_sha256": sha(crop_u8.tobytes()),
        "pixel_values_sha256": sha(np.ascontiguousarray(pv, dtype="<f4").tobytes()),
    }
    # HF's default call (channel layout inferred) mis-reads images 1 or 3 pixels high.
    try:
        dflt = proc(images=im, return_tensors="np")["pixel_values"]
        facts["hf_inferred_layout_same"] = bool(dflt.shape == pv.shape and np.array_equal(dflt, pv))
    except Exception as e:  # noqa: BLE001
        facts["hf_inferred_layout_same"] = False
        facts["hf_inferred_layout_error"] = errtext(e)
    return facts, crop_u8, pv


def vectors(proc):
    out = []
    for w, h in [(640, 480), (480, 640), (333, 500), (225, 225), (224, 224), (100, 50)]:
        im = Image.fromarray(synthetic(w, h))
        pv = proc(images=im, return_tensors="np")["pixel_values"]
        crop = proc(images=im, do_rescale=False, do_normalize=False, return_tensors="np")["pixel_values"]
        crop_u8 = np.ascontiguousarray(crop[0].astype(np.uint8).transpose(1, 2, 0))
        out.append({
            "w": w, "h": h,
            "crop_sha256": sha(crop_u8.tobytes()),
            "pixel_values_sha256": sha(np.ascontiguousarray(pv[0], dtype="<f4").tobytes()),
            "p000": float(pv[0, 0, 0, 0]),
            "p2_223_223": float(pv[0, 2, 223, 223]),
        })
    return out


CONFIG_CASES = [
    # (overrides of the real preprocessor_config, synthetic image w, h)
    ({"size": 336, "crop_size": 336}, 640, 480),
    ({"size": {"shortest_edge": 224}, "crop_size": {"height": 300, "width": 260}}, 500, 333),  # crop > resize: zero pad
    ({"do_center_crop": False}, 640, 480),
    ({"do_resize": False}, 300, 250),
    ({"do_resize": False, "crop_size": 320}, 300, 250),  # pad both axes
    ({"do_normalize": False}, 333, 500),
    ({"do_rescale": False}, 333, 500),
    ({"rescale_factor": 0.5, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.5, 2.0]}, 225, 225),
    ({"size": {"height": 100, "width": 150}, "do_center_crop": False}, 640, 480),
    ({"size": 64, "crop_size": 64}, 1000, 667),
]


def config_cases():
    import json as _json
    base = _json.load(open(os.path.join(SHARED_MODEL, "preprocessor_config.json")))
    out = []
    for over, w, h in CONFIG_CASES:
        cfg = dict(base)
        cfg.update(over)
        proc = CLIPImageProcessor(**{k: v for k, v in cfg.items() if k != "feature_extractor_type"})
        pv = proc(images=Image.fromarray(synthetic(w, h)), return_tensors="np",
                  input_data_format="channels_last")["pixel_values"]
        pv = np.asarray(pv, dtype=np.float32)  # do_rescale/normalize False keep uint8 values
        out.append({"config": over, "w": w, "h": h, "shape": list(pv.shape),
                    "pixel_values_sha256": sha(np.ascontiguousarray(pv, dtype="<f4").tobytes())})
    return out


def resample_cases():
    """Pillow BICUBIC on deterministic noise: (w,h,channels) -> (W,H)."""
    cases = []
    spec = [
        (1, 1, 3, 5, 3), (2, 2, 3, 1, 1), (7, 5, 3, 3, 2), (5, 7, 1, 11, 13), (4, 4, 3, 8, 8),
        (12, 12, 3, 6, 6), (17, 9, 3, 425, 224), (640, 480, 3, 298, 224),
        (500, 375, 3, 298, 224), (100, 80, 3, 280, 224), (225, 300, 3, 224, 298),
        (333, 221, 3, 337, 224), (1000, 667, 3, 335, 224), (320, 240, 3, 320, 224),
        (320, 240, 3, 224, 240), (3, 400, 3, 224, 29866), (400, 3, 1, 29866, 224),
        (1, 300, 3, 1, 7), (300, 1, 3, 7, 1), (61, 53, 4, 29, 101),
        # Pillow 13 runs the vertical pass first when the height shrinks by more than
        # twice as many pixels as the width (Resample.c): both sides of that rule,
        # downscales, a width upscale, every channel count.
        (250, 700, 3, 224, 627), (600, 1800, 3, 224, 672), (77, 900, 1, 40, 300),
        (61, 530, 4, 29, 101), (100, 1000, 3, 224, 224), (40, 500, 1, 50, 60),
        (300, 320, 3, 290, 300), (300, 321, 3, 290, 300), (300, 321, 4, 290, 300),
        (2, 3000, 3, 1, 5), (5000, 30, 3, 2, 3),
    ]
    for i, (w, h, c, ow, oh) in enumerate(spec):
        seed = 1000 + i
        src = noise(w * h * c, seed).reshape(h, w, c) if c > 1 else noise(w * h, seed).reshape(h, w)
        if c == 4:
            im = Image.frombytes("RGBX", (w, h), src.tobytes())  # 4 independent channels
        else:
            im = Image.fromarray(src, {1: "L", 3: "RGB"}[c])
        out = im.resize((ow, oh), Image.BICUBIC).tobytes()
        cases.append({"w": w, "h": h, "channels": c, "seed": seed, "out_w": ow, "out_h": oh,
                      "sha256": sha(out)})
    return cases


FUZZ_SEEDS = ["tiny_1x1.png", "tiny_2x3.png", "tiny_3x1.jpg", "photo_multipage.tif", "png_gray2.png",
              "png_p16.png", "webp_exif3.webp", "webp_lossy_alpha.webp", "photo_anim.gif", "jpeg_exif_6.jpg",
              "jpeg_progressive.jpg", "bad_truncated_header.jpg", "bad_bomb.png", "bad_corrupt_dht.jpg"]


def go_quote(b):
    out = []
    for c in b:
        if c in (0x22, 0x5C):
            out.append("\\" + chr(c))
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return '"' + "".join(out) + '"'


def write_fuzz_corpus(files):
    """Seed corpus of preprocess.FuzzDecode (Go's 'go test fuzz v1' format)."""
    d = os.path.join(os.path.dirname(TESTDATA), "preprocess", "testdata", "fuzz", "FuzzDecode")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    small = Image.fromarray(skimage.data.coffee()[140:148, 220:230])  # 10x8
    extra = {
        "bmp_tiny.bmp": enc(small, "BMP"),
        "bmp_p_tiny.bmp": enc(small.quantize(colors=7), "BMP"),
        "tiff_lzw_tiny.tif": enc(small, "TIFF", compression="tiff_lzw"),
        "gif_trns_tiny.gif": enc(small.quantize(colors=5), "GIF", transparency=2),
        "webp_lossless_tiny.webp": enc(small, "WEBP", lossless=True),
        "png_rgba16_tiny.png": raw_png(2, 2, 6, 16, [bytes(range(16)), bytes(range(16, 32))]),
        "jpeg_cmyk_tiny.jpg": enc(small.convert("CMYK"), "JPEG", quality=80),
    }
    seeds = {n: files[n] for n in FUZZ_SEEDS}
    seeds.update(extra)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name.replace(".", "_")), "w", encoding="ascii") as fh:
            fh.write("go test fuzz v1\n[]byte(" + go_quote(data) + ")\n")


def main():
    auto = AutoImageProcessor.from_pretrained(SHARED_MODEL)
    assert type(auto).__name__ == "CLIPImageProcessor", type(auto)  # slow PIL processor
    proc = CLIPImageProcessor.from_pretrained(SHARED_MODEL)
    assert proc.resample == Image.BICUBIC and proc.do_convert_rgb

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for d in (FILES, CROPS, GOLDEN):
        os.makedirs(d)

    files = make_files()
    write_fuzz_corpus(files)
    entries = []
    for name in sorted(files):
        data = files[name]
        path = os.path.join(FILES, name)
        with open(path, "wb") as fh:
            fh.write(data)
        e = {"file": "files/" + name, "bytes": len(data), "sha256": sha(data)}
        e.update(pillow_facts(path))
        crops = {}
        for flow in ("manual", "pipeline"):
            facts, crop, pv = run_flow(proc, path, flow)
            e[flow] = facts
            if crop is None:
                continue
            crops[flow] = crop
            if WRITE_CROPS and (flow == "manual" or not np.array_equal(crop, crops.get("manual"))):
                cp = f"crops/{name}.{flow}.png"
                Image.fromarray(crop).save(os.path.join(OUT, cp), "PNG", optimize=True)
                facts["crop_png"] = cp
            if (name, flow) in NPY_GOLDENS:
                gp = f"golden/{name}.{flow}.npy"
                write_npy(os.path.join(OUT, gp), pv.astype("<f4"))
                facts["golden_npy"] = gp
        log(f"  {name}: {e.get('format')} {e.get('mode')} {e.get('size')} "
            f"manual={'ok' if e['manual']['ok'] else e['manual']['error']}")
        entries.append(e)

    from PIL import features
    index = {
        "meta": meta(webp=features.version("webp"), zlib=features.version("zlib"),
                     libtiff=features.version("libtiff"), scikit_image=skimage.__version__,
                     processor_call="CLIPImageProcessor.from_pretrained(SHARED_MODEL)"
                                    "(images=im, return_tensors='np', input_data_format='channels_last')"),
        "images": entries,
        "vectors": vectors(proc),
        "configs": config_cases(),
    }
    write_json(os.path.join(OUT, "index.json"), index)
    write_json(os.path.join(OUT, "resample.json"), {"meta": meta(), "cases": resample_cases()})
    log(f"images: {len(entries)} files -> {os.path.relpath(OUT, TESTDATA)}")


if __name__ == "__main__":
    main()
