"""The goldens that depend on the libtorch build, for the oracle running this script.

    $ORACLE_PY testdata/gen/gen_goldens.py            (make goldens ORACLE=...)
    $ORACLE_PY testdata/gen/gen_goldens.py --out DIR [--models-only]   (make parity)

--out DIR writes the same files into DIR, laid out as testdata/ (models/<m>/golden<suffix>/,
pipeline/, images/, shapes/), and leaves testdata/ as it is: the goldens of this machine,
which the Go tests compare with exactly when ZEROSHOT_GOLDENS=DIR (internal/golden.Local).
--models-only skips the image processor goldens (images/, shapes/), which depend on no
model and take most of the time.

Writes, for the committed tiny models (their weights are not regenerated here):
- testdata/models/<m>/golden<suffix>/: CLIPModel inputs and outputs (gen_models.golden);
- testdata/pipeline/<m><suffix>.json: the pipeline and the manual flow (gen_pipeline.run);
one set per profile this oracle can compute (profiles() below):
- torch 2.1.0 (transformers 4.54.1, the "4.54" oracle): suffix "" (the original set),
  eager attention, the slow PIL CLIPImageProcessor;
- torch 2.11.0 (transformers 5.x, the "5" oracle): suffix "-torch2.11.0" with eager
  attention and the PIL backend (CLIPImageProcessorPil): what the Go graph computes on that
  libtorch in the "4.54" profile; and suffix "-torch2.11.0-v5" with transformers 5's own
  defaults, nothing forced: SDPA attention and the torchvision backend (CLIPImageProcessor),
  the "5" profile.

On the "5" oracle it also writes transformers 5's image processor goldens:
testdata/images/index-v5.json (v5_images.py: both backends on the image fixtures) and
testdata/images/sweep-v5.json (v5_sweep.py: the committed sample of the generated sweep), and
both v5 backends as references "pil5" and "tv5" of the shape sweep's sample, testdata/shapes
(shapes_v5.py; gen_shapes.py writes the sample with the 4.54 oracle first).

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
    """(suffix, model kwargs, processor kwargs, processor class, attention, backend) for
    this oracle: the kwargs go to from_pretrained; attention and backend are what they
    must resolve to (checked)."""
    v, tv = torch_version(), transformers.__version__
    if v == "2.1.0":
        from transformers import CLIPImageProcessor
        return [("", {}, {}, CLIPImageProcessor, "eager", "pil")]
    if tv.startswith("5."):
        from transformers import CLIPImageProcessor, CLIPImageProcessorPil
        return [("-torch" + v, {"attn_implementation": "eager"}, {"backend": "pil"}, CLIPImageProcessorPil,
                 "eager", "pil"),
                ("-torch" + v + "-v5", {}, {}, CLIPImageProcessor, "sdpa", "torchvision")]
    sys.exit("gen_goldens: no profile for torch %s with transformers %s" % (v, tv))


def backend_of(proc):
    """"pil" or "torchvision": transformers 5's backend property; 4.x has only PIL."""
    return getattr(proc, "backend", "pil")


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="write into this tree instead of testdata/")
    ap.add_argument("--models-only", action="store_true", help="only models/ and pipeline/")
    args = ap.parse_args()
    root = os.path.abspath(args.out) if args.out else None
    torch.set_num_threads(1)
    env = {k: os.environ.get(k) for k in repro.ENV}
    for suffix, model_kw, proc_kw, proc_cls, attn, backend in profiles():
        extra = {"attn_implementation": attn, "image_processor_backend": backend, "repro_env": env}
        if backend == "torchvision":
            import torchvision
            extra["torchvision"] = torchvision.__version__
            extra["image_processor"] = "CLIPImageProcessor (transformers 5: torchvision backend)"
        for name in MODELS:
            d = os.path.join(TESTDATA, "models", name)
            model = transformers.CLIPModel.from_pretrained(d, **model_kw).eval()
            assert model.config._attn_implementation == attn, model.config._attn_implementation
            proc = proc_cls.from_pretrained(d)
            assert backend_of(proc) == backend, backend_of(proc)
            gen_models.golden(d, model, out="golden" + suffix, proc=proc, extra_meta=extra, root=root)
            gen_pipeline.run(d, suffix=suffix, model_kw=model_kw, processor_kw=proc_kw, extra_meta=extra,
                             backend=backend, out_dir=os.path.join(root, "pipeline") if root else gen_pipeline.OUT)
    if transformers.__version__.startswith("5.") and not args.models_only:
        import gen_shapes
        import shapes_v5
        import v5_images
        import v5_sweep
        if root:
            import shutil
            shapes = os.path.join(root, "shapes")
            shutil.rmtree(shapes, ignore_errors=True)
            shutil.copytree(gen_shapes.SAMPLE_DIR, shapes)  # its cases and inputs; the v5 references are redone
            v5_images.run(os.path.join(root, "images", "index-v5.json"))
            v5_sweep.sample(os.path.join(root, "images", "sweep-v5.json"))
            shapes_v5.add(shapes)
        else:
            v5_images.run()
            v5_sweep.sample()
            shapes_v5.add(gen_shapes.SAMPLE_DIR)
    if root:
        # what the Go tests check before they trust this tree (internal/golden.localRoot)
        import common
        common.write_json(os.path.join(root, "local.json"), {
            "repro_env": env, "torch": torch.__version__, "transformers": transformers.__version__,
            "torch_threads": torch.get_num_threads(), "models_only": args.models_only})
    log("goldens: done")



if __name__ == "__main__":
    main()
