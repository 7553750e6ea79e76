#!/usr/bin/env python3
"""Summaries of the golden comparisons internal/golden.Check wrote (ZEROSHOT_GOLDEN_REPORT).

    scripts/golden-report.py summary [--require-local] REPORT.jsonl...   one block per file: how many outputs
        and values were compared, how many are bit-identical, the largest distance in
        ulps of an output's scale, against local (make parity) or committed goldens
    scripts/golden-report.py matrix NAME=REPORT.jsonl...  the CPU matrix (make test-cpus):
        one row per golden output, one column per level: "exact" or the largest distance
Standard library only.
"""
import json
import os
import re
import sys


def load(path):
    rows = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    return rows


def output_of(r):
    """The golden output a comparison belongs to: file (relative to testdata/) and kind."""
    g = r["golden"].replace(os.sep, "/")
    m = re.search(r"(models/[^/]+/[^/]+/[^/]+)\.npy$", g)
    if m:
        return m.group(1)
    m = re.search(r"(pipeline/[^/]+)\.json$", g)
    if m:
        what = r["what"]
        kind = "logits" if what.endswith(" logits") else "probs" if what.endswith(" probs") else "scores"
        return "%s %s" % (m.group(1), kind)
    return g


def summary(paths, require_local=False):
    bad = 0
    for p in paths:
        rows = load(p)
        print("%s:" % p)
        if not rows:
            print("  no comparisons")
            bad += 1
            continue
        for src in ("local", "committed"):
            rs = [r for r in rows if r["source"] == src]
            if not rs:
                continue
            outs = len(rs)
            same = sum(1 for r in rs if r["equal"] == r["n"])
            n = sum(r["n"] for r in rs)
            eq = sum(r["equal"] for r in rs)
            worst = max(r["scale_ulps"] for r in rs)
            over = [r for r in rs if r["scale_ulps"] > r["bound"] or (r["bound"] == 0 and r["equal"] != r["n"])]
            bad += len(over)
            print("  %s goldens: %d outputs compared, %d bit-identical; %d of %d values bit-identical; max %.1f ulps of scale%s"
                  % (src, outs, same, eq, n, worst, "; %d BEYOND THE BOUND" % len(over) if over else ""))
            if src == "local":
                exact = [r for r in rs if r["bound"] == 0]
                loose = [r for r in rs if r["bound"] != 0]
                print("    %d required bit for bit (all %s); %d within an explicit bound of %g ulps, max %.1f (%s)"
                      % (len(exact), "were" if all(r["equal"] == r["n"] for r in exact) else "NOT",
                         len(loose), max([r["bound"] for r in loose] or [0]), max([r["scale_ulps"] for r in loose] or [0]),
                         ", ".join(sorted({r["test"].split("/")[0] for r in loose})) or "none"))
            for r in over[:10]:
                print("    %s: %s (%d/%d equal, %.1f ulps)" % (r["test"], r["what"], r["equal"], r["n"], r["scale_ulps"]))
        if require_local:
            missing = [r for r in rows if r["source"] != "local"]
            for r in missing[:10]:
                print("  NOT LOCAL: %s: %s read %s" % (r["test"], r["what"], r["golden"]))
            bad += len(missing)
    return 1 if bad else 0


def matrix(args):
    levels = [a.split("=", 1) for a in args]
    cells = {}
    for name, path in levels:
        for r in load(path):
            k = output_of(r)
            c = cells.setdefault(k, {}).setdefault(name, {"n": 0, "equal": 0, "ulps": 0.0, "over": 0})
            c["n"] += r["n"]
            c["equal"] += r["equal"]
            c["ulps"] = max(c["ulps"], r["scale_ulps"])
            c["over"] += r["scale_ulps"] > r["bound"]
    names = [n for n, _ in levels]
    print("| golden output | " + " | ".join("`%s`" % n for n in names) + " |")
    print("|---|" + "---|" * len(names))
    totals = {n: [0, 0, 0.0, 0] for n in names}
    for k in sorted(cells):
        row = []
        for n in names:
            c = cells[k].get(n)
            if c is None:
                row.append("–")
                continue
            t = totals[n]
            t[0] += c["n"]; t[1] += c["equal"]; t[2] = max(t[2], c["ulps"]); t[3] += c["over"]
            row.append("exact" if c["equal"] == c["n"] else "%.1f ulps (%d/%d moved)" % (c["ulps"], c["n"] - c["equal"], c["n"]))
        print("| %s | %s |" % (k, " | ".join(row)))
    print("| **all** | " + " | ".join("%d/%d exact, max %.1f ulps%s" % (t[1], t[0], t[2], ", %d over" % t[3] if t[3] else "")
                                      for t in (totals[n] for n in names)) + " |")
    return 1 if any(totals[n][3] for n in names) else 0


if __name__ == "__main__":
    cmd, rest = sys.argv[1:2], sys.argv[2:]
    if cmd == ["summary"]:
        req = rest[:1] == ["--require-local"]
        sys.exit(summary(rest[1:] if req else rest, req))
    if cmd == ["matrix"]:
        sys.exit(matrix(rest))
    sys.exit(__doc__)
