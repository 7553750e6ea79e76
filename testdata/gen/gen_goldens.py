"""The goldens that depend on the libtorch build, for the oracle running this script.

    $ORACLE_PY testdata/gen/gen_goldens.py            (make goldens ORACLE=...)

Writes, for the committed tiny models (their weights are not regenerated here):
- testdata/models/<m>/golden<suffix>/: CLIPModel inputs and outputs (gen_models.golden);
- testdata/pipeline/<m><suffix>.json: the pipeline and the manual flow (gen_pipeline.run);
one set per profile this oracle can compute (PROFILES below):
- torch 2.1.0 (transformers 4.54.1, the "4.54" oracle): suffix "" (the original set),
  eager attention, the slow PIL CLIPImageProcessor;
- torch 2.11.0 (transformers 5.x, the "5" oracle): suffix "-torch2.11.0" with eager
  attention and the PIL backend (CLIPImageProcessorPil): what the Go graph computes on that
  libtorch in the "4.54" profile.

Run with libtorch's reproducible CPU paths (repro.py): the values are then the same on
any x86-64 machine, not only on one CPU model.
"""
import repro  # noqa: F401  (sets the environment before torch is imported)

import os
import sys

import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import TESTDATA, log  # noqa: E402
import gen_models  # noqa: E402
import gen_pipeline  # noqa: E402

MODELS = ("tiny-l14", "odd")


def torch_version():
    return torch.__version__.split("+")[0]


def profiles():
    """(suffix, model kwargs, processor kwargs, PIL processor class) for this oracle."""
    v, tv = torch_version(), transformers.__version__
    if v == "2.1.0":
        from transformers import CLIPImageProcessor
        return [("", {}, {}, CLIPImageProcessor)]
    if tv.startswith("5."):
        from transformers import CLIPImageProcessorPil
        return [("-torch" + v, {"attn_implementation": "eager"}, {"backend": "pil"}, CLIPImageProcessorPil)]
    sys.exit("gen_goldens: no profile for torch %s with transformers %s" % (v, tv))


def main():
    torch.set_num_threads(1)
    env = {k: os.environ.get(k) for k in repro.ENV}
    for suffix, model_kw, proc_kw, proc_cls in profiles():
        extra = {"attn_implementation": model_kw.get("attn_implementation", "eager"),
                 "image_processor_backend": proc_kw.get("backend", "pil"), "repro_env": env}
        for name in MODELS:
            d = os.path.join(TESTDATA, "models", name)
            model = transformers.CLIPModel.from_pretrained(d, **model_kw).eval()
            assert model.config._attn_implementation == extra["attn_implementation"], model.config._attn_implementation
            gen_models.golden(d, model, out="golden" + suffix, proc=proc_cls.from_pretrained(d), extra_meta=extra)
            gen_pipeline.run(d, suffix=suffix, model_kw=model_kw, processor_kw=proc_kw, extra_meta=extra)
    log("goldens: done")


if __name__ == "__main__":
    main()
