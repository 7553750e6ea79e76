#!/usr/bin/env python3
"""Compare two trees of libtorch-dependent goldens (the layout of testdata/), float by float.

    scripts/golden-diff.py [--json OUT] A B [REL ...]

A and B are roots laid out as testdata/ (models/<m>/golden*/..., pipeline/<m>*.json). For
each file present in both (or only the REL paths given): how many floats, how many differ
in their bits, max |Δ|, and the largest difference in ulps two ways: of the value itself
("elem") and of the largest magnitude in its output ("scale": a whole tensor, or one
case's list of scores or logits), the measure the golden tests bound
(internal/golden.ScaleULPs). Prints a table; --json writes the rows. Needs numpy only.
"""
import json
import os
import sys

import numpy as np


def rows_of(path):
    """The file's float32 outputs, each a 1-D float32 array: a whole .npy tensor, or one
    case's list of pipeline scores, manual logits, manual probabilities."""
    if path.endswith(".npy"):
        a = np.load(path)
        if a.dtype != np.float32:
            return None
        return [a.reshape(-1)]
    if path.endswith(".json"):
        d = json.load(open(path))
        if "cases" not in d:
            return None
        rows = []
        for c in d["cases"]:
            rows.append(np.array([r["score"] for r in c["pipeline"]], dtype=np.float32))
            for k in ("logits_per_image", "probs"):
                if k in c.get("manual", {}):
                    v = np.array(c["manual"][k], dtype=np.float32)
                    rows.extend(v.reshape(-1, v.shape[-1]) if v.ndim > 1 else [v])
        return rows
    return None


def ulp(x):
    return np.spacing(np.abs(x).astype(np.float32)).astype(np.float64)


def diff(a_rows, b_rows):
    n = changed = 0
    max_abs = max_elem = max_scale = 0.0
    for a, b in zip(a_rows, b_rows):
        n += a.size
        ne = a.view(np.uint32) != b.view(np.uint32)
        changed += int(ne.sum())
        if not ne.any():
            continue
        d = np.abs(a.astype(np.float64) - b.astype(np.float64))
        max_abs = max(max_abs, float(d.max()))
        max_elem = max(max_elem, float((d / ulp(a)).max()))
        max_scale = max(max_scale, float(d.max() / ulp(np.float32(np.abs(a).max()))))
    return {"floats": n, "changed": changed, "max_abs": max_abs, "max_ulps_elem": max_elem,
            "max_ulps_scale": max_scale}


def files(root):
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if rel.startswith(("models" + os.sep, "pipeline" + os.sep)) and name.endswith((".npy", ".json")):
                out.append(rel)
    return sorted(out)


def main(argv):
    js = None
    if argv[:1] == ["--json"]:
        js, argv = argv[1], argv[2:]
    a_root, b_root, rels = argv[0], argv[1], argv[2:]
    rels = rels or [r for r in files(b_root) if os.path.exists(os.path.join(a_root, r))]
    rows = []
    for rel in rels:
        ra, rb = rows_of(os.path.join(a_root, rel)), rows_of(os.path.join(b_root, rel))
        if ra is None or rb is None:
            continue
        r = diff(ra, rb)
        r["file"] = rel
        rows.append(r)
    for r in rows:
        if r["changed"]:
            print("%-62s %4d/%-5d max|Δ| %.3g  ulps: elem %.0f scale %.1f" % (
                r["file"], r["changed"], r["floats"], r["max_abs"], r["max_ulps_elem"], r["max_ulps_scale"]))
    same = sum(1 for r in rows if not r["changed"])
    print("%d files compared: %d bit-identical, %d differ" % (len(rows), same, len(rows) - same))
    if js:
        json.dump(rows, open(js, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
