"""transformers 5's image processors as references of a generated shape sweep (gen_shapes.py):
"pil5" (CLIPImageProcessorPil, backend="pil") and "tv5" (CLIPImageProcessor, the torchvision
backend, v5's default), both flows, computed on the sweep's stored inputs and added beside its
other references. Runs in the 5 oracle (transformers 5, torchvision, torch 2.11.0).

  $ORACLE_PY testdata/gen/shapes_v5.py DIR         add pil5 and tv5 to DIR/cases.json
                                                  (testdata/shapes: the committed sample)

The Go tests read them with ZEROSHOT_SHAPES_REF=pil5 (preprocess, transparency composited onto
white as v5's convert_to_rgb) and tvprocess's TestShapeSweepTorchvision (tv5).
"""
import io
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import repro  # noqa: E402,F401  (libtorch's reproducible CPU paths, before torch loads)
import gen_shapes  # noqa: E402

from PIL import Image  # noqa: E402
from transformers import CLIPImageProcessor, CLIPImageProcessorPil  # noqa: E402
from transformers.image_utils import load_image  # noqa: E402


def as_hwc_u8(crop):
    a = np.asarray(crop.numpy() if hasattr(crop, "numpy") else crop)
    assert np.all(a == np.round(a)) and a.min() >= 0 and a.max() <= 255, (a.dtype, a.min(), a.max())
    return np.ascontiguousarray(a.astype(np.uint8).transpose(1, 2, 0))


def v5_flow(cls):
    procs = {}

    def run(cfg, data, flow):
        key = json.dumps(cfg, sort_keys=True)
        if key not in procs:
            procs[key] = cls(**cfg)
        p = procs[key]
        try:
            im = Image.open(io.BytesIO(data))
            if flow == "manual":
                im.load()
            else:
                im = load_image(im)
            pv = p(images=[im], return_tensors="pt")["pixel_values"].numpy()
            crop = p(images=[im], do_rescale=False, do_normalize=False, return_tensors="pt")["pixel_values"][0]
        except Exception as e:  # noqa: BLE001
            return {"error": f"{type(e).__name__}: {e}"}
        # float32, except the torchvision backend with rescale and normalize both off: the
        # uint8 values themselves (the Go side returns them as float32, digested so here).
        assert pv.dtype == np.float32 or (pv.dtype == np.uint8 and not (cfg.get("do_rescale", True) or
                                                                        cfg.get("do_normalize", True))), pv.dtype
        d = {"pv": gen_shapes.sha32(np.ascontiguousarray(pv[0], dtype="<f4").tobytes()),
             "crop": gen_shapes.sha32(as_hwc_u8(crop).tobytes()), "shape": list(pv.shape[1:])}
        if pv.dtype != np.float32:
            d["dtype"] = str(pv.dtype)
        return d
    return run


def add(sweep_dir):
    """Add pil5 and tv5 to sweep_dir/cases.json (its inputs checked against their digests)."""
    gen_shapes._processor = lambda cfg: cfg  # each reference builds its own backend from the config
    gen_shapes.REFERENCES["pil5"] = v5_flow(CLIPImageProcessorPil)
    gen_shapes.REFERENCES["tv5"] = v5_flow(CLIPImageProcessor)
    gen_shapes.add_refs(sweep_dir, ["pil5", "tv5"])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    add(sys.argv[1])


if __name__ == "__main__":
    main()
