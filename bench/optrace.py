#!/usr/bin/env python3
"""Op traces of one forward, Go against transformers, and their difference (issue 22).

    optrace.py hf --model M --out DIR [--device cpu|cuda] [--dtype fp32|fp16|bf16] [--attn sdpa|eager]
                  [--batch 1] [--texts 8] [--threads N]
        transformers' CLIPModel: one get_image_features on --batch synthetic images and one
        get_text_features on --texts synthetic sequences, each after a warm-up call, traced by
        torch.profiler (record_shapes) into DIR/hf-image.json and DIR/hf-text.json
    optrace.py diff GO.json HF.json [--md OUT.md] [--json OUT.json]
        the two traces compared: ops per forward, the ops one side runs that the other does not
        (name, input shapes, dtypes, strides), time per op, and on CUDA the kernels
    optrace.py run --gobench BIN --model M --out DIR [the hf flags]
        both sides (gobench ops with the same flags) and both diffs: DIR/REPORT.md, DIR/diff.json

The Go side's traces come from `gobench ops`, which runs libtorch's Kineto profiler (gotch
patch 0007), the profiler torch.profiler runs: the same events in the same Chrome trace
format. The inputs are the same synthetic pixels (sin(0.001 i)) and token ids on both sides.
"""
import argparse
import collections
import difflib
import json
import os
import subprocess
import sys


# ------------------------------------------------------------------ transformers' side

def synth_pixels(torch, batch, size):
    n = batch * 3 * size * size
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.001).float().reshape(batch, 3, size, size)


def synth_tokens(torch, cfg, n):
    """As gobench's synthTokens: ids counting up through the vocabulary, EOS last."""
    length, vocab, eos = cfg.max_position_embeddings, cfg.vocab_size, cfg.eos_token_id
    rows = [[(i * length + j) % (vocab - 2) for j in range(length - 1)] + [eos] for i in range(n)]
    ids = torch.tensor(rows, dtype=torch.int64)
    return ids, torch.ones_like(ids)


def hf(a):
    import torch
    from torch.profiler import ProfilerActivity, profile
    import transformers
    torch.set_num_threads(a.threads)
    dt = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
    key = "torch_dtype" if transformers.__version__.startswith("4.") else "dtype"
    m = transformers.CLIPModel.from_pretrained(a.model, attn_implementation=a.attn, **{key: dt}).to(a.device).eval()
    px = synth_pixels(torch, a.batch, m.config.vision_config.image_size).to(a.device, dt)
    ids, mask = synth_tokens(torch, m.config.text_config, a.texts)
    ids, mask = ids.to(a.device), mask.to(a.device)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if a.device.startswith("cuda") else [])
    os.makedirs(a.out, exist_ok=True)
    calls = {"hf-image.json": lambda: m.get_image_features(pixel_values=px),
             "hf-text.json": lambda: m.get_text_features(input_ids=ids, attention_mask=mask)}
    res = {"attn_implementation": m.config._attn_implementation, "device": a.device}
    with torch.no_grad():  # as the pipeline runs the model
        for name, f in calls.items():
            f()
            if a.device.startswith("cuda"):
                torch.cuda.synchronize()
            with profile(activities=acts, record_shapes=True) as p:
                f()
                if a.device.startswith("cuda"):
                    torch.cuda.synchronize()
            path = os.path.join(a.out, name)
            p.export_chrome_trace(path)
            res[name] = path
    print(json.dumps(res))


# ------------------------------------------------------------------ traces

def load(path):
    """(ops, kernels): the trace's cpu_op events with their nesting depth, and its GPU kernels."""
    d = json.load(open(path, encoding="utf-8"))
    ev = d["traceEvents"] if isinstance(d, dict) else d
    ops = [e for e in ev if e.get("cat") == "cpu_op" and e.get("ph") == "X"]
    kernels = [e for e in ev if e.get("cat") == "kernel" and e.get("ph") == "X"]
    by_tid = collections.defaultdict(list)
    for e in ops:
        by_tid[e.get("tid")].append(e)
    out = []
    for tid, es in by_tid.items():
        es.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # end times of the enclosing ops
        for e in es:
            while stack and e["ts"] >= stack[-1][0] - 1e-3:
                stack.pop()
            if stack:
                stack[-1][1]["_child"] += e["dur"]
            args = e.get("args", {})
            op = {"name": e["name"], "depth": len(stack), "dur": e["dur"], "_child": 0.0, "ts": e["ts"], "tid": tid,
                  "dims": args.get("Input Dims"), "types": args.get("Input type"), "strides": args.get("Input Strides")}
            out.append(op)
            stack.append((e["ts"] + e["dur"], op))
    out.sort(key=lambda o: o["ts"])
    for o in out:
        o["self"] = max(0.0, o["dur"] - o.pop("_child"))
    return out, kernels


def sig(o, with_strides=False):
    """An op as the diff aligns it: name and tensor input shapes (dtypes, strides)."""
    dims = o["dims"] or []
    types = o["types"] or []
    parts = []
    for i, d in enumerate(dims):
        t = types[i] if i < len(types) else ""
        if d:  # a tensor (scalars and lists have no dims)
            s = "%s%s" % (t, list(d))
            if with_strides and o["strides"] and i < len(o["strides"]) and o["strides"][i]:
                s += "/%s" % list(o["strides"][i])
            parts.append(s)
    return "%s(%s)" % (o["name"], ", ".join(parts))


def diff(go_path, hf_path):
    g_ops, g_k = load(go_path)
    h_ops, h_k = load(hf_path)
    r = {"go": go_path, "hf": hf_path}
    for side, ops, ks in (("go", g_ops, g_k), ("hf", h_ops, h_k)):
        top = [o for o in ops if o["depth"] == 0]
        r[side + "_summary"] = {"ops": len(ops), "top_level": len(top), "op_ms": sum(o["dur"] for o in top) / 1e3,
                                "kernels": len(ks), "kernel_ms": sum(k["dur"] for k in ks) / 1e3}
    # every op, by name: count and self time on each side
    names = collections.defaultdict(lambda: [0, 0, 0.0, 0.0])
    for o in g_ops:
        names[o["name"]][0] += 1
        names[o["name"]][2] += o["self"]
    for o in h_ops:
        names[o["name"]][1] += 1
        names[o["name"]][3] += o["self"]
    r["by_name"] = sorted(([n] + v for n, v in names.items()), key=lambda x: -abs(x[2] - x[3]))
    # the top-level sequences aligned: what one side runs that the other does not
    gs = [sig(o, True) for o in g_ops if o["depth"] == 0]
    hs = [sig(o, True) for o in h_ops if o["depth"] == 0]
    g_top = [o for o in g_ops if o["depth"] == 0]
    h_top = [o for o in h_ops if o["depth"] == 0]
    blocks = []
    sm = difflib.SequenceMatcher(a=gs, b=hs, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        blocks.append({"tag": tag, "go": [(gs[i], g_top[i]["dur"]) for i in range(i1, i2)],
                       "hf": [(hs[j], h_top[j]["dur"]) for j in range(j1, j2)]})
    r["blocks"] = blocks
    r["same_top_level"] = sum(b.size for b in sm.get_matching_blocks())
    # the same as multisets (order aside: the two graphs may run independent ops in another
    # order), at every depth: the ops one side runs more often than the other
    for side, ops_a, ops_b in (("go_only", g_ops, h_ops), ("hf_only", h_ops, g_ops)):
        ca = collections.Counter((o["depth"] == 0, sig(o, True)) for o in ops_a)
        cb = collections.Counter((o["depth"] == 0, sig(o, True)) for o in ops_b)
        extra = ca - cb
        r[side] = sorted(([n, top, s_] for (top, s_), n in extra.items()), key=lambda x: (not x[1], -x[0], x[2]))
    kn = collections.defaultdict(lambda: [0, 0, 0.0, 0.0])
    for k in g_k:
        kn[k["name"]][0] += 1
        kn[k["name"]][2] += k["dur"]
    for k in h_k:
        kn[k["name"]][1] += 1
        kn[k["name"]][3] += k["dur"]
    r["kernels"] = sorted(([n] + v for n, v in kn.items()), key=lambda x: -(x[2] + x[3]))
    return r


def render(title, r, top=12, top_n=40):
    g, h = r["go_summary"], r["hf_summary"]
    out = ["### %s" % title, "",
           "| | ops (all) | top-level ops | top-level op time, ms | GPU kernels | kernel time, ms |", "|---|---|---|---|---|---|",
           "| Go | %d | %d | %.3f | %d | %.3f |" % (g["ops"], g["top_level"], g["op_ms"], g["kernels"], g["kernel_ms"]),
           "| transformers | %d | %d | %.3f | %d | %.3f |" % (h["ops"], h["top_level"], h["op_ms"], h["kernels"], h["kernel_ms"]),
           "", "%d top-level ops line up (same name, input shapes and strides in the same order)." % r["same_top_level"], ""]
    for side, who, other in (("go_only", "Go", "transformers"), ("hf_only", "transformers", "Go")):
        rows = r[side]
        out += ["Ops %s runs more often than %s (order aside; count, top-level or nested, op(dtype[shape]/[strides], ...)):" % (who, other), ""]
        if rows:
            out += ["```"] + ["%4d  %-6s  %s" % (n, "top" if top else "nested", s_) for n, top, s_ in rows[:top_n]]
            out += (["... %d more (diff.json)" % (len(rows) - top_n)] if len(rows) > top_n else []) + ["```", ""]
        else:
            out += ["none", ""]
    if r["blocks"]:
        out += ["Where the top-level sequences differ in order or content (µs):", "", "```"]
        for b in r["blocks"][:top]:
            for s, d in b["go"]:
                out.append("- Go  %8.1f  %s" % (d, s))
            for s, d in b["hf"]:
                out.append("+ HF  %8.1f  %s" % (d, s))
            out.append("")
        if len(r["blocks"]) > top:
            out.append("... %d more blocks (diff.json)" % (len(r["blocks"]) - top))
        out += ["```", ""]
    else:
        out += ["The top-level sequences are the same.", ""]
    out += ["Ops by name (all depths), the largest self-time differences first:", "",
            "| op | Go calls | HF calls | Go self µs | HF self µs |", "|---|---|---|---|---|"]
    for n, gc, hc, gt, ht in r["by_name"][:top]:
        out.append("| %s | %d | %d | %.1f | %.1f |" % (n, gc, hc, gt, ht))
    out.append("")
    if r["kernels"]:
        out += ["GPU kernels, the most time first:", "", "| kernel | Go | HF | Go µs | HF µs |", "|---|---|---|---|---|"]
        for n, gc, hc, gt, ht in r["kernels"][:top]:
            out.append("| `%s` | %d | %d | %.1f | %.1f |" % (n[:90], gc, hc, gt, ht))
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------ both sides

def run(a, rest):
    flags = ["--model", a.model, "--device", a.device, "--dtype", a.dtype, "--attn", a.attn,
             "--batch", str(a.batch), "--texts", str(a.texts), "--threads", str(a.threads), "--out", a.out]
    go = [a.gobench, "ops", "-model", a.model, "-device", a.device, "-dtype", a.dtype, "-attention", a.attn,
          "-batch", str(a.batch), "-texts", str(a.texts), "-threads", str(a.threads), "-out", a.out]
    if a.device.startswith("cuda"):
        go += ["-tf32", "off"]
    for cmd in (go, [sys.executable, os.path.abspath(__file__), "hf"] + flags):
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("optrace: %s: exit %d\n%s" % (" ".join(cmd[:2]), p.returncode, p.stderr[-2000:]))
    md = ["## Op traces: %s, %s, %s attention, %s" % (os.path.basename(a.model.rstrip("/")), a.device, a.attn, a.dtype), ""]
    res = {}
    for part, what in (("image", "image tower, %d image(s)" % a.batch), ("text", "text tower, %d sequences" % a.texts)):
        r = diff(os.path.join(a.out, "go-%s.json" % part), os.path.join(a.out, "hf-%s.json" % part))
        res[part] = r
        md.append(render(what, r))
    open(os.path.join(a.out, "REPORT.md"), "w").write("\n".join(md))
    json.dump(res, open(os.path.join(a.out, "diff.json"), "w"), indent=1)
    print("\n".join(md))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("hf", "run"):
        s = sub.add_parser(name)
        s.add_argument("--model", required=True)
        s.add_argument("--out", required=True)
        s.add_argument("--device", default="cpu")
        s.add_argument("--dtype", default="fp32")
        s.add_argument("--attn", default="sdpa")
        s.add_argument("--batch", type=int, default=1)
        s.add_argument("--texts", type=int, default=8)
        s.add_argument("--threads", type=int, default=os.cpu_count() or 1)
        if name == "run":
            s.add_argument("--gobench", required=True)
    d = sub.add_parser("diff")
    d.add_argument("go")
    d.add_argument("hf")
    d.add_argument("--md")
    d.add_argument("--json")
    a, rest = p.parse_known_args()
    if a.cmd == "hf":
        return hf(a)
    if a.cmd == "run":
        return run(a, rest)
    r = diff(a.go, a.hf)
    text = render(os.path.basename(a.go) + " vs " + os.path.basename(a.hf), r)
    if a.md:
        open(a.md, "w").write(text)
    if a.json:
        json.dump(r, open(a.json, "w"), indent=1)
    print(text)


if __name__ == "__main__":
    main()
