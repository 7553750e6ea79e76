#!/usr/bin/env python3
"""The GPU kit's driver: Go (this project, built against libtorch 2.11.0 cu130) against
Hugging Face transformers on the same GPU, the same libtorch (the machine's own
torch/lib), the same models and inputs. `make gpu-kit` packs it with the binaries; see
bench/gpu/README.md.

    python3 kit.py [--device cuda|cpu] [--out DIR] [--work DIR] [--quick]

Steps (each bounded in time; a failed step is recorded and the run goes on):
  env       versions, GPU, driver; the Go binary's libtorch and CUDA view
  full      the full-size random ViT-L/14, built here with transformers (testdata/gen/full.py)
  cpu_goldens  the committed CPU goldens (torch 2.11.0) against Go on this machine's CPU,
            with libtorch's reproducible CPU paths (as make test pins them) and without
  parity    Go vs transformers on the device: fp32 (TF32 off on both sides), fp16, bf16;
            image_embeds, text_embeds, logits_per_image: max |Δ|, bit-identical count,
            top-1 agreement; the tiny fixture models and the full-size model
  tower     image tower images/s at batch 1, 8, 64 in fp16 and bf16, both sides
  text      the 1,000-label text pass, both sides
  classify  256 images x 1,000 labels end to end (JPEG decode included), both sides
  serve     `zeroshot serve` under 16 concurrent clients: req/s, p50/p99
and writes REPORT.md and report.json into --out (default $OUT, else ./out).

Every measurement is a fresh child process; Go and transformers alternate. Peak GPU
memory is sampled from nvidia-smi while each child runs (the process's CUDA context
included, so the two sides are measured alike) and, for transformers, also
torch.cuda.max_memory_allocated.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import traceback

KIT = os.path.dirname(os.path.abspath(__file__))
T0 = time.time()


def log(*a):
    print("[%6.1fs]" % (time.time() - T0), *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- children (transformers)

def hf_setup(a):
    import torch
    torch.set_num_threads(a.threads)
    if a.device.startswith("cuda"):
        # TF32 off on both sides for fp32 parity (Go: gobench -tf32 off).
        torch.backends.cuda.matmul.allow_tf32 = a.tf32 == "on"
        torch.backends.cudnn.allow_tf32 = a.tf32 != "off"
    return torch


def dtype_of(name):
    import torch
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


def load_model(a):
    import transformers
    from transformers import CLIPModel
    kw = {"attn_implementation": a.attn}
    key = "torch_dtype" if transformers.__version__.startswith("4.") else "dtype"
    kw[key] = dtype_of(a.dtype)
    return CLIPModel.from_pretrained(a.model, **kw).to(a.device).eval()


def sync(torch, device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def gpu_peak(torch, device):
    if device.startswith("cuda"):
        return {"max_allocated": torch.cuda.max_memory_allocated(), "max_reserved": torch.cuda.max_memory_reserved()}
    return {}


def hf_parity(a):
    """CLIPModel.forward on the golden inputs, for each of --dtypes (outputs in out/<dtype>)."""
    torch = hf_setup(a)
    import numpy as np
    res = {}
    for dt in a.dtypes.split(","):
        a.dtype = dt
        m = load_model(a)
        px = torch.from_numpy(np.load(os.path.join(a.golden, "pixel_values.npy"))).to(a.device, dtype_of(dt))
        ids = torch.from_numpy(np.load(os.path.join(a.golden, "input_ids.npy"))).to(a.device)
        mask = torch.from_numpy(np.load(os.path.join(a.golden, "attention_mask.npy"))).to(a.device)
        with torch.no_grad():
            o = m(pixel_values=px, input_ids=ids, attention_mask=mask)
        od = os.path.join(a.out, dt)
        os.makedirs(od, exist_ok=True)
        for k in ("image_embeds", "text_embeds", "logits_per_image"):
            np.save(os.path.join(od, k + ".npy"), getattr(o, k).float().cpu().numpy())
        res[dt] = {"attn": m.config._attn_implementation}
        del m
    return {**res, **gpu_peak(torch, a.device)}


def synth_pixels(torch, batch, size):
    n = batch * 3 * size * size
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.001).float().reshape(batch, 3, size, size)


def features(out):
    return out if hasattr(out, "shape") else out.pooler_output


def hf_tower(a):
    """get_image_features at each of --batches (one warm-up call each), as gobench tower -batches."""
    torch = hf_setup(a)
    m = load_model(a)
    res = {}
    for b in [int(x) for x in a.batches.split(",")]:
        px = synth_pixels(torch, b, m.config.vision_config.image_size).to(a.device, dtype_of(a.dtype))
        lat = []
        with torch.no_grad():
            t = time.perf_counter()
            features(m.get_image_features(pixel_values=px)).float().cpu()
            first = time.perf_counter() - t
            for _ in range(a.n if a.n > 0 else max(3, min(20, 64 // b))):
                t = time.perf_counter()
                features(m.get_image_features(pixel_values=px)).float().cpu()
                lat.append((time.perf_counter() - t) / b)
        res[str(b)] = {"first_s": first, "tower": stats(lat)}
    return {**res, **gpu_peak(torch, a.device)}


def read_lines(path, n=0):
    with open(path) as f:
        xs = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    return xs[:n] if n else xs


def hf_text(a):
    torch = hf_setup(a)
    from transformers import AutoTokenizer
    m = load_model(a)
    tok = AutoTokenizer.from_pretrained(a.model)
    labels = ["This is a photo of %s." % l for l in read_lines(a.labels, a.k)]
    lat = []
    with torch.no_grad():
        for i in range(a.n + 1):
            t = time.perf_counter()
            enc = tok(labels, padding=True, return_tensors="pt").to(a.device)
            features(m.get_text_features(**enc)).float().cpu()
            lat.append(time.perf_counter() - t)
    return {"labels": len(labels), "first_s": lat[0], "text": stats(lat[1:]), **gpu_peak(torch, a.device)}


def hf_classify(a):
    torch = hf_setup(a)
    import transformers
    from transformers import pipeline
    key = "torch_dtype" if transformers.__version__.startswith("4.") else "dtype"
    kw = {key: dtype_of(a.dtype)}
    pipe = pipeline("zero-shot-image-classification", model=a.model, device=a.device, **kw)
    paths = read_lines(a.images, a.n)
    labels = read_lines(a.labels, a.k)
    pipe(paths[0], candidate_labels=labels)  # warm-up (cuDNN/cuBLAS handles, kernels)
    sync(torch, a.device)
    t = time.perf_counter()
    done, top1 = 0, []
    for p in paths:
        r = pipe(p, candidate_labels=labels)  # the pipeline encodes the labels for every image
        top1.append(r[0]["label"])
        done += 1
        if time.perf_counter() - t > a.budget:
            break
    total = time.perf_counter() - t
    return {"images": done, "labels": len(labels), "total_s": total, "images_per_s": done / total,
            "top1": top1, "capped": done < len(paths), **gpu_peak(torch, a.device)}


def stats(xs):
    s = sorted(xs)
    if not s:
        return {}
    n = len(s)
    return {"min": s[0], "median": s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2,
            "mean": sum(s) / n, "n": n}


def child_main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    for f, d in (("--model", ""), ("--device", "cuda"), ("--dtype", "fp32"), ("--tf32", "default"),
                 ("--attn", "eager"), ("--golden", ""), ("--out", ""), ("--labels", ""), ("--images", ""),
                 ("--dtypes", "fp32"), ("--batches", "1")):
        p.add_argument(f, default=d)
    for f, d in (("--batch", 1), ("--n", 5), ("--k", 0), ("--threads", os.cpu_count() or 1)):
        p.add_argument(f, type=int, default=d)
    p.add_argument("--budget", type=float, default=120)
    a = p.parse_args(argv)
    res = {"parity": hf_parity, "tower": hf_tower, "text": hf_text, "classify": hf_classify}[a.mode](a)
    print(json.dumps(res), flush=True)


# ---------------------------------------------------------------- driver

class GPUSampler:
    """Polls nvidia-smi's used memory every 100 ms while a child runs."""

    def __init__(self, enabled):
        self.enabled = enabled and shutil.which("nvidia-smi") is not None
        self.max = self.base = None

    def _read(self):
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5).stdout.split()
        return int(out[0]) if out else None

    def __enter__(self):
        if self.enabled:
            self.base = self._read()
            self.max = self.base
            self.stop = threading.Event()
            self.t = threading.Thread(target=self._loop, daemon=True)
            self.t.start()
        return self

    def _loop(self):
        while not self.stop.wait(0.1):
            try:
                v = self._read()
                if v is not None and v > self.max:
                    self.max = v
            except Exception:
                pass

    def __exit__(self, *exc):
        if self.enabled:
            self.stop.set()
            self.t.join()

    def peak_mib(self):
        return None if not self.enabled or self.base is None else self.max - self.base


class Kit:
    def __init__(self, a):
        self.a = a
        self.report = {"steps": {}, "errors": [], "args": vars(a)}
        self.k = 100 if a.quick else 1000  # labels in the text and classify steps
        self.report["labels_k"] = self.k
        self.go_env = dict(os.environ)
        import torch
        self.torch_lib = os.path.join(os.path.dirname(torch.__file__), "lib")
        self.go_env["LD_LIBRARY_PATH"] = ":".join(
            [os.path.join(KIT, "lib"), self.torch_lib] + [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p])

    def child(self, side, argv, timeout):
        """Run one measurement; returns its JSON line (or raises)."""
        if side == "go":
            cmd = [os.path.join(KIT, "bin", "gobench")] + argv
            env = self.go_env
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "hf"] + argv
            env = dict(os.environ)
        with GPUSampler(self.a.device.startswith("cuda")) as g:
            t = time.time()
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
            wall = time.time() - t
        if p.returncode != 0:
            raise RuntimeError("%s %s: exit %d: %s" % (side, " ".join(argv[:3]), p.returncode, p.stderr[-1500:]))
        res = json.loads(p.stdout.strip().splitlines()[-1])
        res["wall_s"] = wall
        res["gpu_peak_mib"] = g.peak_mib()
        return res

    def step(self, name, fn):
        if self.a.only and name not in self.a.only.split(","):
            return
        log("step", name)
        t = time.time()
        try:
            self.report["steps"][name] = fn()
        except Exception as e:
            log("step %s failed: %s" % (name, e))
            self.report["errors"].append({"step": name, "error": str(e), "trace": traceback.format_exc()[-3000:]})
        log("step %s: %.1fs" % (name, time.time() - t))
        self.report.setdefault("step_seconds", {})[name] = time.time() - t
        self.write()

    def attns(self):
        """Go attention implementations to compare ("" : the binary has no -attention flag)."""
        return [x for x in self.a.go_attn.split(",") if x] or [""]

    def go_attn(self, attn):
        return ["-attention", attn] if attn else []

    def common(self, model, dtype):
        return ["-model", model, "-device", self.a.device, "-dtype", dtype, "-threads", str(self.a.threads)]

    def hf_common(self, model, dtype):
        return ["--model", model, "--device", self.a.device, "--dtype", dtype, "--threads", str(self.a.threads)]

    # -- steps

    def env(self):
        import torch
        import transformers
        info = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
                "torch_lib": self.torch_lib, "cuda_available": torch.cuda.is_available(),
                "machine": platform.machine(), "cpus": os.cpu_count()}
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
            info["capability"] = list(torch.cuda.get_device_capability(0))
            info["torch_cuda"] = torch.version.cuda
        if shutil.which("nvidia-smi"):
            info["nvidia_smi"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                                 "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
        v = subprocess.run([os.path.join(KIT, "bin", "zeroshot"), "version"], env=self.go_env,
                           capture_output=True, text=True, timeout=60)
        info["go_version"] = v.stdout.strip() or v.stderr.strip()
        if v.returncode != 0:
            ldd = subprocess.run(["ldd", os.path.join(KIT, "bin", "zeroshot")], env=self.go_env,
                                 capture_output=True, text=True)
            info["ldd"] = ldd.stdout + ldd.stderr
            raise RuntimeError("bin/zeroshot version failed (%d): %s\n%s" % (v.returncode, info["go_version"], info["ldd"]))
        with open(os.path.join(KIT, "VERSION")) as f:
            info["kit"] = f.read().strip()
        if not torch.__version__.startswith("2.11.0"):
            self.report["errors"].append({"step": "env", "error": "torch %s here; the kit's binaries are built against "
                                          "2.11.0 (cu130): expect a loader error" % torch.__version__})
        return info

    def full(self):
        d = os.path.join(self.a.work, "full-l14")
        if os.path.exists(os.path.join(d, "golden-torch2.11.0", "index.json")):
            return {"dir": d, "reused": True}
        env = dict(os.environ, FULL_KIT="1", FULL_THREADS=str(self.a.threads),
                   CLIP_SHARED_DIR=os.path.join(KIT, "shared", "clip-vit-large-patch14"))
        t = time.time()
        p = subprocess.run([sys.executable, os.path.join(KIT, "gen", "full.py"), d], env=env,
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            raise RuntimeError("full.py: " + p.stderr[-2000:])
        return {"dir": d, "seconds": time.time() - t}

    def models(self):
        ms = [("tiny-l14", os.path.join(KIT, "models", "tiny-l14")), ("odd", os.path.join(KIT, "models", "odd"))]
        full = os.path.join(self.a.work, "full-l14")
        if os.path.exists(os.path.join(full, "golden-torch2.11.0", "index.json")):
            ms.append(("full-l14", full))
        return ms

    def parity(self):
        import numpy as np
        rows = []
        dtypes = ["fp32", "fp16", "bf16"] if self.a.device.startswith("cuda") else ["fp32", "bf16"]
        for (name, mdir), attn in [(m, at) for m in self.models() for at in self.attns()]:
            gdir = os.path.join(mdir, "golden-torch2.11.0")
            runs = {}
            tag = name + ("-" + attn if attn else "")
            for side in ("go", "hf"):
                od = os.path.join(self.a.work, "parity", "%s-%s" % (tag, side))
                try:
                    if side == "go":
                        runs[side] = self.child("go", ["parity"] + self.common(mdir, "fp32") + self.go_attn(attn) +
                                                ["-dtypes", ",".join(dtypes), "-tf32", "off", "-golden", gdir, "-out", od], 600)
                    else:
                        runs[side] = self.child("hf", ["parity"] + self.hf_common(mdir, "fp32") + ["--attn", attn or "eager"] +
                                                ["--dtypes", ",".join(dtypes), "--tf32", "off", "--golden", gdir, "--out", od], 600)
                except Exception as e:
                    runs[side] = {"error": str(e)[-1500:]}
                    self.report["errors"].append({"step": "parity %s %s" % (tag, side), "error": str(e)[-1500:]})
            for dt in dtypes:
                row = {"model": name, "attn": attn or "eager", "dtype": dt,
                       "go": {k: runs["go"].get(k) for k in ("wall_s", "gpu_peak_mib")},
                       "hf": {k: runs["hf"].get(k) for k in ("wall_s", "gpu_peak_mib")}}
                try:
                    if "error" in runs["go"] or "error" in runs["hf"]:
                        raise RuntimeError(runs["go"].get("error") or runs["hf"].get("error"))
                    row["go"].update(runs["go"].get(dt, {}))
                    row["hf"].update(runs["hf"].get(dt, {}))
                    outs = {side: {k: np.load(os.path.join(self.a.work, "parity", "%s-%s" % (tag, side), dt, k + ".npy"))
                                   for k in ("image_embeds", "text_embeds", "logits_per_image")} for side in ("go", "hf")}
                    for k in ("image_embeds", "text_embeds", "logits_per_image"):
                        g, h = outs["go"][k], outs["hf"][k].astype(np.float32)
                        row[k] = {"max_abs": float(np.max(np.abs(g.astype(np.float64) - h))),
                                  "equal": int(np.sum(g.view(np.uint32) == h.view(np.uint32))), "n": int(g.size)}
                    lg, lh = outs["go"]["logits_per_image"], outs["hf"]["logits_per_image"]
                    row["top1_agree"] = int(np.sum(lg.argmax(1) == lh.argmax(1)))
                    row["top1_n"] = int(lg.shape[0])
                except Exception as e:
                    row["error"] = str(e)[-1500:]
                log("parity", name, attn, dt, {k: row[k] for k in row if k in ("logits_per_image", "top1_agree", "error")})
                rows.append(row)
        return rows

    def cpu_goldens(self):
        """The two promises of the CPU goldens on this machine's CPU (issue 27), for the tiny models'
        torch 2.11.0 goldens in both profiles (transformers 5 forced to eager: golden-torch2.11.0; its
        SDPA default: -v5), with libtorch's pins (internal/golden.ReproEnv, as make test sets them) and
        on its native paths:
        - per output, whether the committed golden (made on the development machine) holds here:
          bit for bit, within internal/golden.CrossCPU ulps of the output's scale, or beyond;
        - whether Go equals transformers on this CPU, bit for bit (the real promise: make parity),
          both computing on the golden inputs with one thread."""
        import numpy as np
        cpu = ""
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        # keep equal to internal/golden.ReproEnv and testdata/gen/repro.py
        repro = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "AVX2"}
        cross_cpu = 64  # internal/golden.CrossCPU
        outputs = ("image_embeds", "text_embeds", "logits_per_image")

        def compare(got, want):
            d = np.abs(got.astype(np.float64) - want)
            scale = np.spacing(np.float32(np.abs(want).max()))
            ulps = float(d.max() / scale) if d.max() > 0 else 0.0
            equal = int(np.sum(got.view(np.uint32) == want.view(np.uint32)))
            holds = "exact" if equal == got.size else "within" if ulps <= cross_cpu else "beyond"
            return {"max_abs": float(d.max()), "equal": equal, "n": int(got.size), "scale_ulps": ulps, "holds": holds}

        rows = []
        for pinned in (True, False):
            base = {k: v for k, v in os.environ.items() if k not in repro and k != "ZEROSHOT_NO_REPRO"}
            env = dict(base, **repro) if pinned else dict(base, ZEROSHOT_NO_REPRO="1")
            go_env = dict(self.go_env, **repro) if pinned else {k: v for k, v in self.go_env.items() if k not in repro}
            for (name, mdir), (suffix, attn) in [(m, g) for m in self.models()[:2]
                                                 for g in (("", "eager"), ("-v5", "sdpa"))]:
                gdir = os.path.join(mdir, "golden-torch2.11.0" + suffix)
                if not os.path.isdir(gdir) or (attn not in self.attns()):
                    continue
                tag = "%s-%s-%s" % (name, attn, "pinned" if pinned else "native")
                od, hd = (os.path.join(self.a.work, "cpu-goldens", side, tag) for side in ("go", "hf"))
                row = {"model": name, "attention": attn, "pinned": pinned}
                p = subprocess.run([os.path.join(KIT, "bin", "gobench"), "parity", "-model", mdir, "-device", "cpu",
                                    "-dtype", "fp32", "-threads", "1", "-golden", gdir, "-out", od] + self.go_attn(attn),
                                   env=go_env, capture_output=True, text=True, timeout=300)
                h = subprocess.run([sys.executable, os.path.abspath(__file__), "hf", "parity", "--model", mdir,
                                    "--device", "cpu", "--dtypes", "fp32", "--threads", "1", "--attn", attn,
                                    "--golden", gdir, "--out", hd], env=env, capture_output=True, text=True, timeout=300)
                if p.returncode != 0 or h.returncode != 0:
                    row["error"] = (p.stderr if p.returncode else h.stderr)[-1000:]
                else:
                    for k in outputs:
                        g = np.load(os.path.join(od, k + ".npy"))
                        row[k] = compare(g, np.load(os.path.join(gdir, k + ".npy")))
                        row[k]["vs_hf"] = compare(g, np.load(os.path.join(hd, "fp32", k + ".npy")))
                log("cpu-goldens", tag, {k: (row[k]["holds"], row[k]["vs_hf"]["holds"]) for k in outputs if k in row}
                    or row.get("error"))
                rows.append(row)
        return {"cpu": cpu, "cross_cpu_ulps": cross_cpu, "rows": rows}

    def ops(self):
        """Op traces of one image-tower and one text forward, Go (gobench ops: libtorch's Kineto
        profiler) against transformers (torch.profiler), both SDPA, on the device
        (bench/optrace.py): ops per forward, the ops one side runs that the other does not, and on
        CUDA the kernels with their times. The full-size model at batch 1 and 64 in fp16 (fp32 at
        batch 1 on CPU), the tiny one when the full one is missing."""
        name, mdir = self.models()[-1]
        cuda = self.a.device.startswith("cuda")
        runs = [("fp16", 1), ("fp16", 64)] if cuda and not self.a.quick else [("fp16" if cuda else "fp32", 1)]
        out = []
        for dt, b in runs:
            od = os.path.join(self.a.work, "ops", "%s-%s-b%d" % (name, dt, b))
            p = subprocess.run([sys.executable, os.path.join(KIT, "optrace.py"), "run", "--gobench",
                                os.path.join(KIT, "bin", "gobench"), "--model", mdir, "--device", self.a.device,
                                "--dtype", dt, "--attn", "sdpa", "--batch", str(b), "--texts", "8",
                                "--threads", str(self.a.threads), "--out", od],
                               env=dict(self.go_env), capture_output=True, text=True, timeout=900)
            if p.returncode != 0:
                raise RuntimeError("optrace %s b%d: exit %d: %s" % (dt, b, p.returncode, p.stderr[-1500:]))
            diff = json.load(open(os.path.join(od, "diff.json")))
            dst = os.path.join(self.a.out, "ops", os.path.basename(od))
            os.makedirs(dst, exist_ok=True)
            for f in ("REPORT.md", "diff.json"):
                shutil.copy(os.path.join(od, f), dst)
            row = {"model": name, "dtype": dt, "batch": b, "report": os.path.join("ops", os.path.basename(od), "REPORT.md")}
            for part in ("image", "text"):
                d = diff[part]
                row[part] = {"go": d["go_summary"], "hf": d["hf_summary"], "same_top_level": d["same_top_level"],
                             "go_only": d["go_only"][:20], "hf_only": d["hf_only"][:20]}
            log("ops", name, dt, b, {k: row["image"][k] for k in ("go", "hf")})
            out.append(row)
        return out

    def full_model(self):
        """The model the speed steps use: the full-size one when it was built."""
        name, d = self.models()[-1] if self.models()[-1][0] == "full-l14" else self.models()[0]
        self.report["bench_model"] = name
        return d

    def tower(self):
        rows = []
        model = self.full_model()
        batches = "1,8" if self.a.quick else "1,8,64,256"
        # on CPU (the dry run) fp32 at batch 1 and 2: bf16 without AVX-512's bf16 instructions
        # is emulated, and the full-size model at batch 8 then outlasts a child's 10 minutes
        dtypes = ["fp16", "bf16"] if self.a.device.startswith("cuda") else ["fp32"]
        if not self.a.device.startswith("cuda"):
            batches = "1,2"
        n = "0" if self.a.device.startswith("cuda") else "1"  # 0: 3..20 calls by batch size
        sides_go = ["go" + ("-" + a if a else "") for a in self.attns()]
        sides = sides_go + ["hf-" + x for x in self.a.hf_attn.split(",")]
        for dt in dtypes:
            runs = {}
            for side in sides:
                try:
                    if side.startswith("go"):
                        # the default attention (the last listed) also captures each batch in a CUDA graph
                        graph = ["-graph"] if side == sides_go[-1] else []
                        runs[side] = self.child("go", ["tower"] + self.common(model, dt) + self.go_attn(side[3:]) +
                                                ["-batches", batches, "-n", n] + graph, 600)
                    else:
                        runs[side] = self.child("hf", ["tower"] + self.hf_common(model, dt) +
                                                ["--batches", batches, "--n", n, "--attn", side[3:]], 600)
                except Exception as e:
                    runs[side] = {"error": str(e)[-1500:]}
                    self.report["errors"].append({"step": "tower %s %s" % (dt, side), "error": str(e)[-1500:]})
            for b in batches.split(","):
                row = {"dtype": dt, "batch": int(b)}
                for side in sides:
                    r = dict(runs[side].get(b, {}))
                    if r.get("tower"):
                        r["images_per_s"] = 1 / r["tower"]["min"]
                    r["gpu_peak_mib"] = runs[side].get("gpu_peak_mib")
                    if "error" in runs[side]:
                        r["error"] = runs[side]["error"]
                    row[side] = r
                # the CUDA graph of the default attention: a column of its own (item 3 of issue 22)
                g = row[sides_go[-1]]
                if "graph" in g or "graph_error" in g:
                    row["go-graph"] = {"tower": g.pop("graph", None), "gpu_peak_mib": g.get("gpu_peak_mib"),
                                       **{k[len("graph_"):]: g.pop(k) for k in list(g) if k.startswith("graph_")}}
                    if row["go-graph"]["tower"]:
                        row["go-graph"]["images_per_s"] = 1 / row["go-graph"]["tower"]["min"]
                log("tower", dt, b, {s: row[s].get("images_per_s") for s in row if s.startswith(("go", "hf"))})
                rows.append(row)
        return rows

    def inputs(self):
        d = os.path.join(self.a.work, "images")
        n = 16 if self.a.quick else 256
        p = subprocess.run([os.path.join(KIT, "bin", "gobench"), "images", "-dir", d, "-n", str(n),
                            "-src", os.path.join(KIT, "images", "big_4032x3024.jpg"),
                            "-corpus", os.path.join(KIT, "images", "corpus.jsonl")],
                           env=self.go_env, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError("gobench images: " + p.stderr[-1500:])
        imgs = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".jpg"))[:n]
        lst = os.path.join(self.a.work, "images.txt")
        with open(lst, "w") as f:
            f.write("\n".join(imgs) + "\n")
        return lst, os.path.join(d, "labels.txt")

    def text(self):
        model = self.full_model()
        _, labels = self.inputs()
        rows = []
        dt = "fp16" if self.a.device.startswith("cuda") else "fp32"
        gos = ["go-" + a if a else "go" for a in self.attns()]
        for side in gos + ["hf"]:
            if side.startswith("go"):
                # the default attention (the last) also replays the batch from a CUDA graph
                r = self.child("go", ["text"] + self.common(model, dt) + self.go_attn(side[3:]) +
                               ["-labels", labels, "-k", str(self.k), "-n", "3"] + (["-graph"] if side == gos[-1] else []), 600)
                g = None
                if "graph" in r or "graph_error" in r:
                    g = {"side": "go-graph", "dtype": dt, "text": r.pop("graph", None), "gpu_peak_mib": r.get("gpu_peak_mib")}
                    g.update({k[len("graph_"):]: r.pop(k) for k in list(r) if k.startswith("graph_")})
            else:
                r = self.child("hf", ["text"] + self.hf_common(model, dt) +
                               ["--labels", labels, "--k", str(self.k), "--n", "3", "--attn", self.a.hf_attn.split(",")[0]], 600)
            rows.append({"side": side, "dtype": dt, **r})
            if side.startswith("go") and g:
                rows.append(g)
            log("text", side, r.get("text"))
        return rows

    def classify(self):
        model = self.full_model()
        images, labels = self.inputs()
        dt = "fp16" if self.a.device.startswith("cuda") else "fp32"
        n = 16 if self.a.quick else 256
        rows = {}
        r = self.child("go", ["throughput"] + self.common(model, dt) +
                       ["-images", images, "-labels", labels, "-n", str(n), "-k", str(self.k), "-batch", "64"], 900)
        rows["go"] = {k: v for k, v in r.items() if k != "top1"}
        go_top1 = r.get("top1", [])
        # the library's own path (ClassifyEach, the profile's defaults) and the machine's
        # decode rate on all cores: item 5 of issue 22 wants each >= 0.8 x min(tower, decode)
        try:
            r = self.child("go", ["each"] + self.common(model, dt) +
                           ["-images", images, "-labels", labels, "-n", str(n), "-k", str(self.k), "-batch", "64"], 900)
            rows["go_each"] = {k: v for k, v in r.items() if k != "top1"}
            rows["go_each"]["top1_same_as_throughput"] = sum(1 for a, b in zip(r.get("top1", []), go_top1) if a == b)
        except Exception as e:
            rows["go_each"] = {"error": str(e)[-1500:]}
            self.report["errors"].append({"step": "classify each", "error": str(e)[-1500:]})
        r = self.child("hf", ["classify"] + self.hf_common(model, dt) +
                       ["--images", images, "--labels", labels, "--n", str(n), "--k", str(self.k),
                        "--budget", str(self.a.hf_budget)], 900)
        rows["hf"] = {k: v for k, v in r.items() if k != "top1"}
        hf_top1 = r.get("top1", [])
        m = min(len(go_top1), len(hf_top1))
        rows["top1_agree"] = sum(1 for i in range(m) if go_top1[i] == hf_top1[i])
        rows["top1_n"] = m
        rows["dtype"] = dt
        log("classify", {s: rows[s].get("images_per_s") for s in ("go", "hf")}, "top1 %d/%d" % (rows["top1_agree"], m))
        return rows

    def serve(self):
        import socket
        model = self.full_model()
        dt = "fp16" if self.a.device.startswith("cuda") else "fp32"
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        logf = open(os.path.join(self.a.work, "serve.log"), "w")
        srv = subprocess.Popen([os.path.join(KIT, "bin", "zeroshot"), "serve", "--model", model, "--device", self.a.device,
                                "--dtype", dt, "--addr", "127.0.0.1:%d" % port], env=self.go_env, stdout=logf, stderr=logf)
        try:
            with GPUSampler(self.a.device.startswith("cuda")) as g:
                deadline = time.time() + 120
                while time.time() < deadline:
                    with open(os.path.join(self.a.work, "serve.log")) as f:
                        if "listening" in f.read():
                            break
                    if srv.poll() is not None:
                        raise RuntimeError("zeroshot serve exited %d" % srv.returncode)
                    time.sleep(0.2)
                dur = "5s" if self.a.quick else "15s"
                p = subprocess.run([os.path.join(KIT, "bin", "zeroshot-load"), "--url", "http://127.0.0.1:%d" % port,
                                    "--image", os.path.join(KIT, "images", "chelsea.png"), "--clients", "16",
                                    "--duration", dur, "--overload", "0"],
                                   env=self.go_env, capture_output=True, text=True, timeout=300)
            out = {"load_stdout": p.stdout[-4000:], "exit": p.returncode, "gpu_peak_mib": g.peak_mib(), "dtype": dt}
            if p.returncode != 0:
                out["stderr"] = p.stderr[-2000:]
            log("serve", p.stdout[-600:])
            return out
        finally:
            srv.terminate()
            try:
                srv.wait(30)
            except subprocess.TimeoutExpired:
                srv.kill()
            logf.close()

    def write(self):
        os.makedirs(self.a.out, exist_ok=True)
        self.report["seconds"] = time.time() - T0
        self.report["rows"] = flat_rows(self.report)
        with open(os.path.join(self.a.out, "report.json"), "w") as f:
            json.dump(self.report, f, indent=1, default=str)
        with open(os.path.join(self.a.out, "REPORT.md"), "w") as f:
            f.write(render(self.report))


def flat_rows(r):
    """report.json's summary (issue 22, item 7): one row per metric, batch, dtype and
    attention with the Go figure, transformers' and their ratio (higher is better for Go
    in every metric: rates, or HF's time over Go's for times)."""
    rows = []

    def add(metric, batch, dtype, attn, go, hf, higher=True):
        ratio = None
        if go and hf:
            ratio = go / hf if higher else hf / go
        rows.append({"metric": metric, "batch": batch, "dtype": dtype, "attention": attn, "go": go, "hf": hf, "ratio": ratio})

    for t in r["steps"].get("tower") or []:
        ips = lambda k: (t.get(k) or {}).get("images_per_s")
        for attn in ("eager", "sdpa"):
            if "go-" + attn in t and "hf-" + attn in t:
                add("tower_images_per_s", t["batch"], t["dtype"], attn, ips("go-" + attn), ips("hf-" + attn))
        if "go-graph" in t and "hf-sdpa" in t:
            add("tower_images_per_s", t["batch"], t["dtype"], "sdpa, Go in a CUDA graph", ips("go-graph"), ips("hf-sdpa"))
        for side in ("go-sdpa", "go-eager", "go-graph", "hf-sdpa", "hf-eager"):
            if t.get(side, {}).get("gpu_peak_mib") is not None:
                rows.append({"metric": "gpu_peak_mib", "batch": t["batch"], "dtype": t["dtype"], "side": side,
                             "value": t[side]["gpu_peak_mib"]})
    tx = {x["side"]: x for x in r["steps"].get("text") or []}
    for side in [s for s in tx if s.startswith("go")]:
        g, h = (tx[side].get("text") or {}).get("min"), (tx.get("hf", {}).get("text") or {}).get("min")
        add("text_pass_s", r.get("labels_k"), tx[side]["dtype"], side[3:] or "default", g, h, higher=False)
    cl = r["steps"].get("classify")
    if cl and "go" in cl:
        add("classify_images_per_s", 64, cl.get("dtype"), "default", cl["go"].get("images_per_s"), cl["hf"].get("images_per_s"))
        ge = cl.get("go_each") or {}
        if "images_per_s" in ge:
            add("classify_each_images_per_s", ge.get("batch"), cl.get("dtype"), "default", ge["images_per_s"], cl["hf"].get("images_per_s"))
            rows.append({"metric": "decode_images_per_s", "batch": None, "dtype": None, "side": "go",
                         "value": ge.get("decode_images_per_s"), "decoders": ge.get("decoders")})
    return rows


def fmt(x, spec="%.3g"):
    return "-" if x is None else spec % x


def render(r):
    out = ["# GPU kit report", ""]
    e = r["steps"].get("env", {})
    out.append("Kit %s; %s; torch %s (CUDA %s), transformers %s; GPU %s; %s; %.0f s."
               % (e.get("kit"), e.get("go_version", "").replace("\n", ", "), e.get("torch"), e.get("torch_cuda"),
                  e.get("transformers"), e.get("gpu"), e.get("nvidia_smi"), r.get("seconds", 0)))
    out += ["", "Device: `%s`. Go side: gobench/zeroshot on the machine's torch/lib (attention %s; classify and serve: the "
            "profile's default); transformers side: CLIPModel (parity: the same attention as Go; speed: %s; classify: the "
            "pipeline's default)." % (r["args"]["device"], r["args"].get("go_attn") or "eager", r["args"]["hf_attn"]), ""]
    par = r["steps"].get("parity")
    if par:
        out += ["## Parity (same inputs, same device; fp32 with TF32 off on both sides)", "",
                "| model | attention | dtype | image_embeds max\\|Δ\\| (equal) | text_embeds max\\|Δ\\| (equal) | logits max\\|Δ\\| (equal) | top-1 |",
                "|---|---|---|---|---|---|---|"]
        for p in par:
            if "error" in p:
                out.append("| %s | %s | %s | error: %s |  |  |  |" % (p["model"], p.get("attn"), p["dtype"], p["error"][-200:].replace("\n", " ")))
                continue
            cell = lambda k: "%s (%d/%d)" % (fmt(p[k]["max_abs"]), p[k]["equal"], p[k]["n"])
            out.append("| %s | %s | %s | %s | %s | %s | %d/%d |" % (p["model"], p.get("attn", "eager"), p["dtype"], cell("image_embeds"),
                       cell("text_embeds"), cell("logits_per_image"), p["top1_agree"], p["top1_n"]))
        out.append("")
    cg = r["steps"].get("cpu_goldens")
    if cg:
        out += ["## CPU goldens on this CPU: %s" % cg["cpu"], "",
                "Per output: does the committed torch 2.11.0 golden (made on the development machine) hold here "
                "(exact / within %d ulps of the output's scale / beyond), and does Go equal transformers on this "
                "CPU (make parity's promise)? One thread both sides." % cg.get("cross_cpu_ulps", 64), "",
                "| model | attention (goldens) | libtorch CPU paths | output | vs committed golden | vs transformers here |",
                "|---|---|---|---|---|---|"]
        for p in cg["rows"]:
            attn = p.get("attention", "eager")
            attn += " (golden-torch2.11.0%s)" % ("-v5" if attn == "sdpa" else "")
            paths = "pinned (ReproEnv)" if p["pinned"] else "native"
            if "error" in p:
                out.append("| %s | %s | %s | | error: %s | |" % (p["model"], attn, paths, p["error"][-200:].replace("\n", " ")))
                continue
            for k in ("image_embeds", "text_embeds", "logits_per_image"):
                c = p[k]
                cell = lambda c: "%s: %d/%d equal, %.1f ulps" % (c["holds"], c["equal"], c["n"], c["scale_ulps"])
                out.append("| %s | %s | %s | %s | %s | %s |" % (p["model"], attn, paths, k, cell(c), cell(c["vs_hf"])))
        out.append("")
    ops = r["steps"].get("ops")
    if ops:
        out += ["## Op traces, Go vs transformers (SDPA both; bench/optrace.py)", "",
                "| model | dtype | batch | tower | ops Go / HF | top-level Go / HF | op ms Go / HF | kernels Go / HF | kernel ms Go / HF | details |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for o in ops:
            for part in ("image", "text"):
                g, h = o[part]["go"], o[part]["hf"]
                out.append("| %s | %s | %d | %s | %d / %d | %d / %d | %.2f / %.2f | %d / %d | %.2f / %.2f | %s |" % (
                    o["model"], o["dtype"], o["batch"], part, g["ops"], h["ops"], g["top_level"], h["top_level"],
                    g["op_ms"], h["op_ms"], g["kernels"], h["kernels"], g["kernel_ms"], h["kernel_ms"], o["report"]))
        out.append("")
    tw = r["steps"].get("tower")
    if tw:
        sides = []
        for t in tw:
            sides += [k for k in t if k not in ("dtype", "batch") and k not in sides]
        out += ["## Image tower (%s, synthetic pixels), images/s (best of n); in parentheses the process's peak GPU MiB "
                "(all batch sizes); Go/HF against each transformers attention" % r.get("bench_model", "?"), "",
                "| dtype | batch | " + " | ".join(sides) + " | ratios (img/s) |",
                "|---|---|" + "---|" * (len(sides) + 1)]
        for t in tw:
            ips = {s: t.get(s, {}).get("images_per_s") for s in sides}
            cells = ["%s (%s)" % (fmt(ips[s], "%.1f"), fmt(t.get(s, {}).get("gpu_peak_mib"), "%d")) for s in sides]
            gos = [x for x in sides if x.startswith("go")]
            ratios = ["%s/%s %s" % (g, h, fmt(ips[g] / ips[h], "%.2f") if ips[g] and ips[h] else "-")
                      for g in gos for h in sides if h.startswith("hf")]
            out.append("| %s | %d | %s | %s |" % (t["dtype"], t["batch"], " | ".join(cells), "; ".join(ratios)))
        out.append("")
        graphs = [t for t in tw if "go-graph" in t]
        if graphs:
            out += ["CUDA graphs (`go-graph`: the default attention's forward captured per batch size, "
                    "`clip.Model.CaptureImages`; upload, replay and download timed): output vs the uncaptured forward, "
                    "and latency per call against transformers'.", "",
                    "| dtype | batch | bit-identical | max \\|Δ\\| | capture s | ms per call, graph | ms per call, " +
                    " / ".join(s for s in sides if s.startswith("hf")) + " | graph / HF |", "|---|---|---|---|---|---|---|---|"]
            for t in graphs:
                g = t["go-graph"]
                if g.get("error"):
                    out.append("| %s | %d | error: %s | | | | | |" % (t["dtype"], t["batch"], g["error"][-200:].replace("\n", " ")))
                    continue
                ms = lambda r: r["tower"]["min"] * t["batch"] * 1000 if r and r.get("tower") else None
                hf = [ms(t.get(s)) for s in sides if s.startswith("hf")]
                out.append("| %s | %d | %s (%s/%s) | %s | %s | %s | %s | %s |" % (
                    t["dtype"], t["batch"], "yes" if g.get("identical") else "NO", g.get("same_values"), g.get("values"),
                    fmt(g.get("max_abs_diff")), fmt(g.get("capture_s"), "%.2f"), fmt(ms(g), "%.3f"),
                    " / ".join(fmt(x, "%.3f") for x in hf),
                    " / ".join(fmt(ms(g) / x, "%.2f") if ms(g) and x else "-" for x in hf)))
            out.append("")
    tx = r["steps"].get("text")
    if tx:
        out += ["## %d-label text pass" % r.get("labels_k", 1000), "",
                "Tokenizing included; warm (min of 3 after one call). `go-graph`: the same batch replayed from a CUDA graph "
                "(`clip.Model.CaptureTexts`), with its bits against the uncaptured forward.", "",
                "| side | dtype | seconds | GPU MiB | note |", "|---|---|---|---|---|"]
        for t in tx:
            sec = (t.get("text") or {}).get("min")
            note = ""
            if t["side"] == "go-graph":
                note = ("error: " + t["error"][-200:].replace("\n", " ")) if t.get("error") else \
                    "bit-identical %s (%s/%s), max |Δ| %s, capture %s s" % ("yes" if t.get("identical") else "NO", t.get("same_values"),
                                                                           t.get("values"), fmt(t.get("max_abs_diff")), fmt(t.get("capture_s"), "%.2f"))
            out.append("| %s | %s | %s | %s | %s |" % (t["side"], t["dtype"], fmt(sec, "%.4f"), fmt(t.get("gpu_peak_mib"), "%d"), note))
        out.append("")
    cl = r["steps"].get("classify")
    if cl:
        g, h = cl["go"], cl["hf"]
        out += ["## classify: images x %d labels end to end (%s)" % (r.get("labels_k", 1000), cl["dtype"]), "",
                "| side | images | images/s | total s | GPU MiB |", "|---|---|---|---|---|",
                "| Go (labels once, batches of 64, decode overlapped) | %d | %s | %s | %s |" % (
                    g.get("images", 0), fmt(g.get("images_per_s"), "%.1f"), fmt(g.get("total_s"), "%.1f"), fmt(g.get("gpu_peak_mib"), "%d")),
                "| transformers pipeline (labels re-encoded per image)%s | %d | %s | %s | %s |" % (
                    " (time-capped)" if h.get("capped") else "", h.get("images", 0), fmt(h.get("images_per_s"), "%.2f"),
                    fmt(h.get("total_s"), "%.1f"), fmt(h.get("gpu_peak_mib"), "%d")),
                "", "top-1 equal on %d of %d images." % (cl["top1_agree"], cl["top1_n"]), ""]
        ge = cl.get("go_each")
        if ge and "error" not in ge:
            tower = None
            for t in r["steps"].get("tower") or []:
                if t["dtype"] == cl["dtype"] and t["batch"] == 64:
                    tower = (t.get("go-sdpa") or t.get("go") or {}).get("images_per_s")
            bound = min(x for x in (tower, ge.get("decode_images_per_s")) if x) if (tower or ge.get("decode_images_per_s")) else None
            out += ["The library's path, `Classifier.ClassifyEach` (batches of %d, decoding on %d goroutines one batch "
                    "ahead): %s images/s; decoding and preprocessing alone on all cores: %s images/s; the tower alone at "
                    "batch 64: %s images/s; ClassifyEach / min(tower, decode) = %s (item 5 asks ≥ 0.8). Top-1 as the "
                    "throughput run on %s of %d." % (
                        ge.get("batch", 64), ge.get("decoders", 0), fmt(ge.get("images_per_s"), "%.1f"),
                        fmt(ge.get("decode_images_per_s"), "%.1f"), fmt(tower, "%.1f"),
                        fmt(ge["images_per_s"] / bound, "%.2f") if bound else "-", ge.get("top1_same_as_throughput"),
                        ge.get("images", 0)), ""]
        elif ge:
            out += ["ClassifyEach: error: %s" % ge["error"][-300:].replace("\n", " "), ""]
    sv = r["steps"].get("serve")
    if sv:
        out += ["## serve, 16 concurrent clients (%s)" % sv.get("dtype"), "", "```", sv.get("load_stdout", "").strip(), "```",
                "", "Peak GPU memory of the server: %s MiB." % fmt(sv.get("gpu_peak_mib"), "%d"), ""]
    if r["errors"]:
        out += ["## Errors", ""] + ["- %s: %s" % (x["step"], x["error"][-400:].replace("\n", " ")) for x in r["errors"]] + [""]
    out += ["Step times: " + ", ".join("%s %.0f s" % kv for kv in r.get("step_seconds", {}).items()), ""]
    return "\n".join(out)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "hf":
        return child_main(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu (a dry run of everything but the GPU)")
    p.add_argument("--out", default=os.environ.get("OUT") or os.path.join(os.getcwd(), "out"))
    p.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "zeroshot-gpu-kit"))
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    p.add_argument("--only", default="", help="comma-separated steps")
    p.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 16))
    p.add_argument("--hf-attn", default="sdpa,eager", help="transformers' attention(s) for the tower step, the first also for "
                   "text and classify (its default: sdpa; eager is the graph Go computes)")
    p.add_argument("--go-attn", default="eager,sdpa", help="Go attention implementations to compare (gobench -attention); "
                   "empty for binaries without the flag")
    p.add_argument("--hf-budget", type=float, default=60, help="seconds the transformers classify step may take")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    k = Kit(a)
    k.step("env", k.env)
    k.step("full", k.full)
    k.step("parity", k.parity)
    k.step("cpu_goldens", k.cpu_goldens)
    k.step("ops", k.ops)
    k.step("tower", k.tower)
    k.step("text", k.text)
    k.step("classify", k.classify)
    k.step("serve", k.serve)
    k.write()
    log("report:", os.path.join(a.out, "REPORT.md"))
    return 1 if k.report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
