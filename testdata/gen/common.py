"""Shared helpers for the fixture generators in testdata/gen/.

Every generator writes deterministic files (fixed seeds, sorted JSON keys) so that
`make fixtures && git diff --exit-code` holds. Each golden file carries `meta()`:
the versions of the oracle that computed it.
"""
import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
REPO = os.path.dirname(TESTDATA)
# The real model's small files (config, preprocessor, tokenizer), in the clone
# (testdata/clip-vit-large-patch14/README.md says where they come from).
SHARED_MODEL = os.environ.get("CLIP_SHARED_DIR", os.path.join(TESTDATA, "clip-vit-large-patch14"))


def meta(**extra):
    """Versions of everything that shaped a golden value."""
    import PIL
    from PIL import features
    import torch
    import transformers
    import tokenizers
    import safetensors
    m = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "image_processor": "CLIPImageProcessor (slow, PIL path)",
        "device": "cpu",
        "dtype": "float32",
    }
    m.update(extra)
    return m


def torch_suffix():
    """The suffix of goldens made on this torch: "" for 2.1.0 (the original set), else
    "-torch<version>" (internal/golden.Suffix on the Go side)."""
    import torch
    v = torch.__version__.split("+")[0]
    return "" if v == "2.1.0" else "-torch" + v


def pil_processor_class():
    """The PIL-path CLIPImageProcessor: transformers 4.x's default, 5.x's backend="pil"."""
    import transformers
    if transformers.__version__.startswith("4."):
        from transformers import CLIPImageProcessor
        return CLIPImageProcessor
    from transformers import CLIPImageProcessorPil
    return CLIPImageProcessorPil


def dtype_kw(dtype):
    """from_pretrained's dtype keyword (torch_dtype before transformers 5)."""
    import transformers
    return {"torch_dtype" if transformers.__version__.startswith("4.") else "dtype": dtype}


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def write_npy(path, arr):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(arr))


def rel(path):
    return os.path.relpath(path, TESTDATA)


def log(*a):
    print(*a, file=sys.stderr)
