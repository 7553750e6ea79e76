"""The Hugging Face side of the side-by-side benchmark (bench/cmd/gobench is the Go side).

Each mode is one measurement in this (fresh) process and prints one JSON line last:

  process     the whole script: import, pipeline(...), classify one image (timed from outside)
  load        CLIPModel.from_pretrained (+ the first image forward)
  preprocess  Image.open(bytes) + CLIPImageProcessor, single thread (scripts/bench_preprocess.py)
  steady      pipeline(image, candidate_labels) repeated, and get_image_features alone
  throughput  pipeline over N images x K labels (it re-encodes the labels for every image)
  bf16        get_image_features with torch_dtype=bfloat16 / float16

The thread count is torch.set_num_threads(--threads), set before anything runs.
--backend picks preprocess's image processor (pil: transformers 4's CLIPImageProcessor or
5's CLIPImageProcessorPil; torchvision: transformers 5's default CLIPImageProcessor);
--attn forces attn_implementation (eager or sdpa; default: transformers' own choice).
"""
import argparse
import json
import os
import sys
import time

T_START = time.perf_counter()


def vm(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return -1


def stats(xs):
    s = sorted(xs)
    if not s:
        return {}
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {"min": s[0], "median": med, "mean": sum(s) / n, "n": n, "all": xs}


def emit(d):
    print(json.dumps(d), flush=True)


def synth_pixels(batch, size=224):
    import torch
    n = batch * 3 * size * size
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.001).float().reshape(batch, 3, size, size)


def dtype_of(name):
    import torch
    return {"fp32": torch.float32, "float32": torch.float32, "bf16": torch.bfloat16,
            "bfloat16": torch.bfloat16, "fp16": torch.float16, "float16": torch.float16}[name]


def sync(device):
    import torch
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def feats(o):
    """get_image_features' tensor: transformers 5 returns the vision outputs with the
    projected features as pooler_output."""
    return o if hasattr(o, "cpu") else o.pooler_output


def model_kw(a):
    """from_pretrained keywords: dtype, and --attn when given."""
    import transformers
    key = "torch_dtype" if transformers.__version__.startswith("4.") else "dtype"
    kw = {key: dtype_of(a.dtype)}
    if a.attn:
        kw["attn_implementation"] = a.attn
    return kw


def image_processor_class(backend):
    import transformers
    if backend == "torchvision":
        if transformers.__version__.startswith("4."):
            sys.exit("hf_bench: --backend torchvision needs transformers 5")
        from transformers import CLIPImageProcessor
        return CLIPImageProcessor
    if transformers.__version__.startswith("4."):
        from transformers import CLIPImageProcessor
        return CLIPImageProcessor
    from transformers import CLIPImageProcessorPil
    return CLIPImageProcessorPil


def mode_process(a):
    # What a user's script does: import, build the pipeline, classify, print.
    import torch
    torch.set_num_threads(a.threads)
    from transformers import pipeline
    t_import = time.perf_counter()
    pipe = pipeline("zero-shot-image-classification", model=a.model, device=a.device, model_kwargs=model_kw(a))
    t_load = time.perf_counter()
    out = pipe(a.image, candidate_labels=a.labels.split("|"))
    t_done = time.perf_counter()
    for r in out:
        print("%.4f %s" % (r["score"], r["label"]))
    emit({"import_s": t_import - T_START, "load_s": t_load - t_import, "classify_s": t_done - t_load,
          "peak_rss": vm("VmHWM")})


def mode_load(a):
    import torch
    torch.set_num_threads(a.threads)
    from transformers import CLIPModel
    rss0 = vm("VmRSS")
    t0 = time.perf_counter()
    model = CLIPModel.from_pretrained(a.model, **model_kw(a)).to(a.device).eval()
    sync(a.device)
    load = time.perf_counter() - t0
    out = {"load_s": load, "rss_before_load": rss0, "peak_rss_load": vm("VmHWM")}
    px = synth_pixels(1).to(a.device, dtype_of(a.dtype))
    t1 = time.perf_counter()
    with torch.no_grad():
        feats(model.get_image_features(pixel_values=px)).cpu()
    out["first_forward_s"] = time.perf_counter() - t1
    out["peak_rss"] = vm("VmHWM")
    emit(out)


def mode_preprocess(a):
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = "1"
    import io
    import torch
    torch.set_num_threads(1)
    from PIL import Image
    proc = image_processor_class(a.backend).from_pretrained(a.model)
    backend = getattr(proc, "backend", "pil")
    assert backend == a.backend, (backend, a.backend)
    data = open(a.image, "rb").read()

    def once():
        im = Image.open(io.BytesIO(data))
        return proc(images=im, return_tensors="np")["pixel_values"]

    once()
    times, dec = [], []
    for _ in range(a.n):  # whole preprocessing and decode alone, alternately
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Image.open(io.BytesIO(data)).load()
        dec.append(time.perf_counter() - t0)
    emit({"preprocess": stats(times), "decode": stats(dec), "backend": backend, "peak_rss": vm("VmHWM")})


def mode_steady(a):
    import torch
    torch.set_num_threads(a.threads)
    from PIL import Image
    from transformers import pipeline
    pipe = pipeline("zero-shot-image-classification", model=a.model, device=a.device, model_kwargs=model_kw(a))
    labels = a.labels.split("|")
    t0 = time.perf_counter()
    res = pipe(a.image, candidate_labels=labels)
    first = time.perf_counter() - t0
    model, proc = pipe.model, pipe.image_processor
    px = proc(images=Image.open(a.image).convert("RGB"), return_tensors="pt")["pixel_values"]
    px = px.to(a.device, dtype_of(a.dtype))
    flops = None
    with torch.no_grad():
        try:  # counts a multiply-add as 2 FLOPs (torch's convention)
            from torch.utils.flop_counter import FlopCounterMode
            with FlopCounterMode(display=False) as fc:
                model.get_image_features(pixel_values=px)
            flops = fc.get_total_flops()
        except Exception as e:  # noqa: BLE001
            print("flop counter:", e, file=sys.stderr)
    # The pipeline call and the tower alone alternate, so a load change hits both.
    cls, tower = [], []
    for _ in range(a.n):
        t0 = time.perf_counter()
        pipe(a.image, candidate_labels=labels)
        cls.append(time.perf_counter() - t0)
        with torch.no_grad():
            t0 = time.perf_counter()
            feats(model.get_image_features(pixel_values=px)).cpu()
            tower.append(time.perf_counter() - t0)
    emit({"first_s": first, "classify": stats(cls), "tower": stats(tower), "top1": res[0]["label"],
          "tower_flops": flops, "attn_implementation": model.config._attn_implementation,
          "peak_rss": vm("VmHWM")})


def mode_throughput(a):
    import torch
    torch.set_num_threads(a.threads)
    from transformers import pipeline
    paths = [l.strip() for l in open(a.images) if l.strip()][: a.n or None]
    labels = [l.strip() for l in open(a.labels_file) if l.strip()][: a.k or None]
    t0 = time.perf_counter()
    pipe = pipeline("zero-shot-image-classification", model=a.model, device=a.device, model_kwargs=model_kw(a))
    load = time.perf_counter() - t0
    per, top1 = [], []
    t1 = time.perf_counter()
    for p in paths:
        t = time.perf_counter()
        out = pipe(p, candidate_labels=labels)
        per.append(time.perf_counter() - t)
        top1.append(out[0]["label"])
    total = time.perf_counter() - t1
    emit({"images": len(paths), "labels": len(labels), "load_s": load, "total_s": total,
          "per_image": stats(per), "images_per_s": len(paths) / total, "top1": top1,
          "peak_rss": vm("VmHWM")})


def mode_bf16(a):
    import torch
    torch.set_num_threads(a.threads)
    from transformers import CLIPModel
    model = CLIPModel.from_pretrained(a.model, **model_kw(a)).to(a.device).eval()
    px = synth_pixels(1).to(a.device, dtype_of(a.dtype))
    out = {"dtype": a.dtype, "attn_implementation": model.config._attn_implementation}
    with torch.no_grad():
        t0 = time.perf_counter()
        feats(model.get_image_features(pixel_values=px)).cpu()
        out["first_s"] = time.perf_counter() - t0
        lat = []
        for _ in range(a.n):
            t0 = time.perf_counter()
            feats(model.get_image_features(pixel_values=px)).cpu()
            lat.append(time.perf_counter() - t0)
        out["tower"] = stats(lat)
        if a.batch > 0:
            pb = px.repeat(a.batch, 1, 1, 1)
            bt = []
            for _ in range(max(1, a.n - 1)):
                t0 = time.perf_counter()
                feats(model.get_image_features(pixel_values=pb)).cpu()
                bt.append((time.perf_counter() - t0) / a.batch)
            out["batch"] = a.batch
            out["tower_batch_per_image"] = stats(bt)
    out["peak_rss"] = vm("VmHWM")
    emit(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["process", "load", "preprocess", "steady", "throughput", "bf16", "versions"])
    p.add_argument("--model", default="")
    p.add_argument("--image", default="")
    p.add_argument("--images", default="")
    p.add_argument("--labels", default="cat|dog|fox|owl")
    p.add_argument("--labels-file", default="")
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--k", type=int, default=0)
    p.add_argument("--batch", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="fp32")
    p.add_argument("--backend", default="pil", choices=["pil", "torchvision"])
    p.add_argument("--attn", default="", choices=["", "eager", "sdpa"])
    a = p.parse_args()
    if a.mode == "versions":
        import PIL
        import tokenizers
        import torch
        import transformers
        emit({"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
              "pillow": PIL.__version__, "tokenizers": tokenizers.__version__,
              "torch_parallel": torch.__config__.parallel_info().splitlines()[:12],
              "cpu_capability": torch.backends.cpu.get_cpu_capability(),
              "mkldnn_bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())})
        return
    globals()["mode_" + a.mode](a)


if __name__ == "__main__":
    main()
