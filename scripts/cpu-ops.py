#!/usr/bin/env python3
"""Which of CLIP's ops give other bits under other CPU dispatch levels (make cpu-ops).

    $ORACLE_PY scripts/cpu-ops.py capture DIR            # pinned run: each op's inputs and output
    $ORACLE_PY scripts/cpu-ops.py replay DIR OUT.json    # the same ops on the same inputs, this env
    $ORACLE_PY scripts/cpu-ops.py table DIR LEVEL.json... # the per-op table (markdown)

capture runs both fixture models (testdata/models/tiny-l14, odd: quick_gelu and erf gelu,
patch 14 and 16), eager and SDPA attention, on their golden inputs under the pins of
testdata/gen/repro.py, one thread, and saves every leaf op's inputs and output: the patch
convolution, each layer norm, linear, activation and attention block, and the functional
tail (L2 normalisation, the logits product, softmax). replay runs each op again on the saved
inputs in the current environment (the level under test: ATEN_CPU_CAPABILITY,
MKL_CBWR, MKL_ENABLE_INSTRUCTIONS, ONEDNN_MAX_CPU_ISA, TORCH_THREADS) and records, per op
kind, how many calls gave other bits and the largest difference in ulps of the output's
largest magnitude. Because every op gets the pinned inputs, a difference belongs to that
op alone, not to what ran before it. ONEDNN_VERBOSE/MKL_VERBOSE say which library ran it.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "testdata", "gen"))
import repro  # noqa: E402,F401  (pins what the environment leaves unset, before torch)

import json  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

TESTDATA = os.path.join(os.path.dirname(HERE), "testdata")
MODELS = ("tiny-l14", "odd")
# transformers 4.54 on torch 2.1.0 has no SDPA for CLIP (it needs torch >= 2.1.1)
ATTN = ("eager",) if torch.__version__.startswith("2.1.") else ("eager", "sdpa")


def kind(name, mod):
    """The op kind a module stands for in the table."""
    if isinstance(mod, torch.nn.Conv2d):
        return "patch conv (Conv2d)"
    if isinstance(mod, torch.nn.LayerNorm):
        return "layer norm"
    if isinstance(mod, torch.nn.Linear):
        if name.endswith("projection"):
            return "projection (Linear, no bias)"
        return "linear (q/k/v/out, fc1, fc2)"
    if name.endswith("activation_fn"):
        return "activation (%s)" % type(mod).__name__
    if name.endswith("self_attn"):
        return "attention block"
    return None


def model(name, attn):
    d = os.path.join(TESTDATA, "models", name)
    return transformers.CLIPModel.from_pretrained(d, attn_implementation=attn).eval()


def inputs(name, attn):
    g = os.path.join(TESTDATA, "models", name, "golden-torch2.11.0" + ("-v5" if attn == "sdpa" else ""))
    if torch.__version__.startswith("2.1."):
        g = os.path.join(TESTDATA, "models", name, "golden")
    ld = lambda f: torch.from_numpy(np.load(os.path.join(g, f + ".npy")))  # noqa: E731
    return ld("pixel_values"), ld("input_ids"), ld("attention_mask")


def tail_ops():
    """The functional ops after the towers, as CLIPModel.forward runs them."""
    return {
        "L2 normalisation (norm, div)": lambda x: x / x.norm(p=2, dim=-1, keepdim=True),
        "logits (exp * matmul)": lambda s, a, b: torch.matmul(a, b.t()) * s.exp(),
        "softmax": lambda x: x.softmax(dim=1),
    }


def capture(out):
    torch.set_num_threads(1)
    calls = []
    for mname in MODELS:
        for attn in ATTN:
            m = model(mname, attn)
            pv, ids, am = inputs(mname, attn)
            hooks = []
            for name, mod in m.named_modules():
                k = kind(name, mod)
                if k is None:
                    continue
                if k == "attention block":
                    k = "attention block (%s: q/k/v/out linears and the attention)" % attn

                def hook(mod, args, kwargs, outp, name=name, k=k):
                    o = outp[0] if isinstance(outp, tuple) else outp
                    calls.append({"model": mname, "attn": attn, "name": name, "kind": k,
                                  "args": [a.clone() if torch.is_tensor(a) else a for a in args],
                                  "kwargs": {kk: (v.clone() if torch.is_tensor(v) else v) for kk, v in kwargs.items()},
                                  "out": o.detach().clone()})
                hooks.append(mod.register_forward_hook(hook, with_kwargs=True))
            with torch.inference_mode():
                o = m(pixel_values=pv, input_ids=ids, attention_mask=am)
                ops = tail_ops()
                proj = {c["name"]: c["out"] for c in calls if c["model"] == mname and c["attn"] == attn
                        and c["name"] in ("visual_projection", "text_projection")}
                for x in (proj["visual_projection"], proj["text_projection"]):
                    calls.append({"model": mname, "attn": attn, "name": "tail.normalize", "fn": "L2 normalisation (norm, div)",
                                  "args": [x], "out": ops["L2 normalisation (norm, div)"](x)})
                a, b = o.image_embeds, o.text_embeds
                logits = ops["logits (exp * matmul)"](m.logit_scale, a, b)
                calls.append({"model": mname, "attn": attn, "name": "tail.logits", "fn": "logits (exp * matmul)",
                              "args": [m.logit_scale.detach().clone(), a, b], "out": logits})
                calls.append({"model": mname, "attn": attn, "name": "tail.softmax", "fn": "softmax",
                              "args": [logits], "out": ops["softmax"](logits)})
            for h in hooks:
                h.remove()
    os.makedirs(out, exist_ok=True)
    torch.save(calls, os.path.join(out, "calls.pt"))
    print("cpu-ops: %d op calls captured -> %s" % (len(calls), out))


def ulps(got, want):
    g, w = got.float().numpy().ravel(), want.float().numpy().ravel()
    if not g.size:
        return 0, 0
    diff = g.view(np.uint32) != w.view(np.uint32)
    if not diff.any():
        return 0, 0.0
    scale = np.spacing(np.float32(np.abs(w).max()))
    return int(diff.sum()), float(np.abs(g.astype(np.float64) - w).max() / scale)


def replay(d, out):
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    calls = torch.load(os.path.join(d, "calls.pt"), weights_only=False)
    models = {}
    ops = tail_ops()
    rows = {}
    with torch.inference_mode():
        for c in calls:
            if "fn" in c:
                k, got = c["fn"], ops[c["fn"]](*c["args"])
            else:
                key = (c["model"], c["attn"])
                if key not in models:
                    models[key] = dict(model(*key).named_modules())
                mod = models[key][c["name"]]
                o = mod(*c["args"], **c["kwargs"])
                k, got = c["kind"], o[0] if isinstance(o, tuple) else o
            n, u = ulps(got, c["out"])
            r = rows.setdefault(k, {"calls": 0, "moved": 0, "max_ulps": 0.0, "models": set()})
            r["calls"] += 1
            if n:
                r["moved"] += 1
                r["max_ulps"] = max(r["max_ulps"], u)
                r["models"].add("%s/%s" % (c["model"], c["attn"]))
    env = {k: os.environ.get(k) for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS",
                                          "ONEDNN_MAX_CPU_ISA", "TORCH_THREADS")}
    doc = {"env": env, "level": os.environ.get("CPU_LEVEL", "?"),
           "ops": {k: dict(v, models=sorted(v["models"])) for k, v in rows.items()}}
    json.dump(doc, open(out, "w"), indent=1, sort_keys=True)
    moved = [k for k, v in rows.items() if v["moved"]]
    print("cpu-ops %s: %d op kinds, moved: %s" % (doc["level"], len(rows), ", ".join(sorted(moved)) or "none"))


def table(files):
    docs = [json.load(open(f)) for f in files]
    kinds = sorted({k for d in docs for k in d["ops"]})
    print("| op | " + " | ".join("`%s`" % d["level"] for d in docs) + " |")
    print("|---|" + "---|" * len(docs))
    for k in kinds:
        cells = []
        for d in docs:
            r = d["ops"].get(k)
            if r is None:
                cells.append("–")
            elif not r["moved"]:
                cells.append("same")
            else:
                cells.append("%d/%d calls, ≤ %.2g ulps" % (r["moved"], r["calls"], r["max_ulps"]))
        print("| %s | %s |" % (k, " | ".join(cells)))


if __name__ == "__main__":
    cmd = sys.argv[1:2]
    if cmd == ["capture"]:
        capture(sys.argv[2])
    elif cmd == ["replay"]:
        replay(sys.argv[2], sys.argv[3])
    elif cmd == ["table"]:
        table(sys.argv[2:])
    else:
        sys.exit(__doc__)
