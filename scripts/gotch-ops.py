#!/usr/bin/env python3
"""Which of gotch v0.9.1's generated ops still mean the same thing on another libtorch.

gotch's libtch/torch_api_generated.cpp.h was generated from libtorch 2.1.0's
Declarations.yaml: every `atg_NAME` calls the ATen C++ API positionally
(`torch::op(a, b, c)`), leaving trailing defaulted arguments to C++ defaults. On a
newer libtorch such a call may fail to compile (an argument removed or retyped), or
compile and mean something else (an argument inserted in the middle with a type the
old value converts to, a changed default for an argument gotch leaves out, another
return). This tool finds out from the op schemas both releases list about themselves.

  schemas PYTHON... OUT      (dev) write `torch._C._jit_get_all_schemas()` of each
                             PYTHON's torch, aten:: only, to OUT/torch-<version>.txt
  diff GOTCH_DIR OLD.txt NEW.txt TABLE
                             map every atg_ function of GOTCH_DIR (a gotch v0.9.1 copy
                             with gen/pytorch/Declarations-v2.1.0.yaml, needs PyYAML)
                             to its 2.1.0 schema and compare it with NEW's; write TABLE:
                             one line per function that is not `same`:
                             `atg_name<TAB>status<TAB>old schema<TAB>new schema`

  apply GOTCH_COPY DIR       (build) rewrite GOTCH_COPY/libtch/torch_api_generated.cpp.h
                             by DIR/ops.tsv: every function DIR/schema-diff.tsv lists
                             must have a decision there (else this fails, naming it):
                             stub (the function fails with an error naming the op and
                             why), adapt (replaced by its definition in DIR/adapt.cpp.h,
                             a call written for the new schema with the old meaning),
                             compatible (reviewed: same meaning, left as generated).

Statuses: same (identical schema, or only the argument names changed), appended (new
arguments with defaults after all the old ones, and for out= variants before the out
arguments: the positional call keeps its meaning, the new argument takes its default),
removed (no such name.overload any more), changed (anything else: retyped, inserted,
reordered, renamed, other defaults, other returns), misbound (same schema, but gotch's
generated call leaves out a defaulted argument before one it passes, which then lands
in the wrong slot: wrong on every libtorch, 2.1.0 included). scripts/gen-gotch.sh turns every removed or
changed function without a hand-written adaptation (patches/gotch/<version>/adapt.cpp)
into one that fails with an error naming the op.
"""
import json
import os
import re
import subprocess
import sys

DUMP = r"""
import json, torch
out = []
for s in torch._C._jit_get_all_schemas():
    if s.name.startswith("aten::"):
        out.append(str(s))
print(json.dumps({"version": torch.__version__.split("+")[0], "schemas": sorted(set(out))}))
"""


def cmd_schemas(pythons, outdir):
    os.makedirs(outdir, exist_ok=True)
    for py in pythons:
        res = json.loads(subprocess.run([py, "-c", DUMP], check=True, capture_output=True, text=True).stdout)
        path = os.path.join(outdir, "torch-%s.txt" % res["version"])
        with open(path, "w") as f:
            f.write("# aten:: schemas of torch %s (torch._C._jit_get_all_schemas), scripts/gotch-ops.py schemas\n" % res["version"])
            for s in res["schemas"]:
                f.write(s + "\n")
        print("%s: %d schemas" % (path, len(res["schemas"])))


def load_schemas(path):
    """name.overload -> schema string."""
    table = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            head = line.split("(", 1)[0]  # aten::add.Tensor
            table[head[len("aten::"):]] = line
    return table


def split_top(s):
    """Split an argument list at top-level commas."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


ARG = re.compile(r"^(?P<type>.+?)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:=(?P<default>.*))?$")


def parse_schema(s):
    """-> (args, returns): args is a list of (type, name, default-or-None, kwarg_only, is_out)."""
    head, rest = s.split("(", 1)
    depth, i = 1, 0
    while depth:
        if rest[i] == "(":
            depth += 1
        elif rest[i] == ")":
            depth -= 1
        i += 1
    arglist, returns = rest[: i - 1], rest[i:].strip()
    args, kw = [], False
    for a in split_top(arglist):
        if a == "*":
            kw = True
            continue
        m = ARG.match(a)
        if not m:
            raise ValueError("cannot parse argument %r of %s" % (a, s))
        t = m.group("type")
        is_out = "!" in t and kw  # Tensor(a!) out after '*'
        args.append((t, m.group("name"), m.group("default"), kw, is_out))
    return args, returns.lstrip("-> ").strip()


def canon_type(t):
    """A type as the C++ int API sees it: SymInt is int there (torch::op takes
    int64_t / IntArrayRef; the SymInt overloads are op_symint)."""
    return re.sub(r"\bSymInt\b", "int", t)


def canon_default(t, d):
    """A fixed-size list's scalar default k means [k, ..., k]."""
    m = re.match(r"^int\[(\d+)\]$", canon_type(t))
    if m and d is not None and not d.startswith("["):
        d = "[" + ", ".join([d] * int(m.group(1))) + "]"
    return d


def classify(old, new, passed):
    """Compare one op's 2.1.0 and new schema for a positional C++ call that passes the
    arguments named in `passed` (gotch leaves the others to their C++ defaults)."""
    if new is None:
        return "removed"
    if old == new:
        return "same"
    (oa, orr), (na, nr) = parse_schema(old), parse_schema(new)
    if canon_type(orr) != canon_type(nr):
        return "changed"
    o_in, o_out = [a for a in oa if not a[4]], [a for a in oa if a[4]]
    n_in, n_out = [a for a in na if not a[4]], [a for a in na if a[4]]
    if [(canon_type(t), n) for t, n, *_ in o_out] != [(canon_type(t), n) for t, n, *_ in n_out]:
        return "changed"
    if len(n_in) < len(o_in):
        return "changed"
    for (ot, on, od, okw, _), (nt, nn, nd, nkw, _) in zip(o_in, n_in):
        # same position, same name (a renamed argument may carry another meaning),
        # same type (a value of T still passes where T? is taken now)
        if on != nn or (canon_type(ot) != canon_type(nt) and canon_type(ot) + "?" != canon_type(nt)):
            return "changed"
        # an argument gotch leaves out takes the C++ default: it must not move
        if on.lower() not in passed and canon_default(ot, od) != canon_default(nt, nd):
            return "changed"
    extra = n_in[len(o_in):]
    if any(d is None for _, _, d, _, _ in extra):
        return "changed"
    return "appended" if extra else "same"


FUNC = re.compile(r"^(?:[a-z0-9_]+\s*\*?\s*)atg_([A-Za-z0-9_]+)\((.*)\) \{$")
CALL = re.compile(r"(?:torch::|self->|at::)([A-Za-z0-9_]+)\(")


def c_functions(cpp):
    """atg name -> (called ATen name, [C parameter names])."""
    funcs, cur = {}, None
    with open(cpp) as f:
        for line in f:
            m = FUNC.match(line.rstrip("\n"))
            if m:
                params = []
                for p in m.group(2).split(","):
                    p = p.strip()
                    if not p:
                        continue
                    typ, name = p.rsplit(None, 1)
                    if name.startswith("*"):
                        typ, name = typ + "*", name.lstrip("*")
                    if name != "out__":
                        params.append((typ.replace(" ", ""), name))
                cur = m.group(1)
                funcs[cur] = [None, params]
                continue
            if cur and funcs[cur][0] is None:
                c = CALL.search(line)
                if c:
                    funcs[cur][0] = c.group(1)
    return funcs


# C parameter type -> the ATen dynamic types it can carry
C_TYPES = {
    "tensor": {"at::Tensor"},
    "tensor*": {"at::TensorList", "const c10::List<c10::optional<at::Tensor>> &", "const at::ITensorListRef &"},
    "scalar": {"const at::Scalar &"},
    "scalar*": {"at::ArrayRef<at::Scalar>"},
    "int64_t*": {"at::IntArrayRef"},
    "double*": {"at::ArrayRef<double>"},
    "int64_t": {"int64_t", "at::DeviceIndex"},
    "double": {"double"},
    "char*": {"c10::string_view"},
}


def norm_params(params):
    """C parameters -> the ATen (argument name, C type) pairs they carry: a list is
    NAME_data + NAME_len (a string NAME_ptr + NAME_len), an optional number NAME_v +
    NAME_null, TensorOptions options_kind + options_device."""
    names = [p for _, p in params]
    out = []
    for i, (typ, p) in enumerate(params):
        nxt = names[i + 1] if i + 1 < len(names) else ""
        if p == "options_device":
            continue
        if (p.endswith("_len") and i > 0 and names[i - 1] in (p[:-4] + "_data", p[:-4] + "_ptr")) or \
                (p.endswith("_null") and i > 0 and names[i - 1] == p[:-5] + "_v"):
            continue
        for suf, pair in (("_data", "_len"), ("_ptr", "_len"), ("_v", "_null")):
            if p.endswith(suf) and nxt == p[: -len(suf)] + pair:
                p = p[: -len(suf)]
                break
        if p == "options_kind":
            p = "options"
        out.append((p.lower(), typ))
    return out


def yaml_entries(path):
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path) as f:
        data = yaml.load(f, Loader=loader)
    by_name = {}
    for e in data:
        names = []
        for a in e["arguments"]:
            n = a["name"]
            if n == "self" and a["dynamic_type"] == "const at::Scalar &":
                n = "self_scalar"
            if a["dynamic_type"] == "at::TensorOptions":
                n = "options"
            names.append((n, a["dynamic_type"], "default" in a))
        by_name.setdefault(e["name"], []).append((names, e["schema_string"]))
    return by_name


def match(cname, params, by_name):
    want = norm_params(params)
    hits = []
    for names, schema in by_name.get(cname, []):
        # want must be the arguments in order with only defaulted ones left out.
        ok = lambda w, n: w[0] == n[0].lower() and (w[1] not in C_TYPES or n[1] in C_TYPES[w[1]])
        # greedy subsequence match; every argument skipped over must have a default
        j, good = 0, True
        for n in names:
            if j < len(want) and ok(want[j], n):
                j += 1
            elif not n[2]:
                good = False
                break
        if good and j == len(want):
            hits.append((len(names) - len(want), schema, names))
    if not hits:
        return None, None
    hits.sort(key=lambda h: h[0])
    best = [h for h in hits if h[0] == hits[0][0]]
    if len({h[1] for h in best}) != 1:
        return None, None
    return best[0][1], best[0][2]


def misbound(params, names):
    """gotch's call passes its arguments positionally; if it leaves out a defaulted
    argument (a Scalar, say) before one it passes, the later value lands in the earlier
    slot (a bool or int converts to Scalar, so it compiles)."""
    want = norm_params(params)
    pos, j = [], 0
    for i, n in enumerate(names):
        if j < len(want) and want[j][0] == n[0].lower():
            pos.append(i)
            j += 1
    return pos != list(range(len(pos)))


def cmd_diff(gotch_dir, old_path, new_path, table_path):
    old, new = load_schemas(old_path), load_schemas(new_path)
    by_name = yaml_entries(os.path.join(gotch_dir, "gen", "pytorch", "Declarations-v2.1.0.yaml"))
    funcs = c_functions(os.path.join(gotch_dir, "libtch", "torch_api_generated.cpp.h"))
    counts, rows, unmapped = {}, [], []
    for atg in sorted(funcs):
        cname, params = funcs[atg]
        schema, names = match(cname, params, by_name) if cname else (None, None)
        if schema is None:
            unmapped.append(atg)
            status, key = "unmapped", None
        else:
            key = schema.split("(", 1)[0][len("aten::"):]
            if key not in old:
                # the yaml and 2.1.0's own schema list disagree: treat as unknown
                status = "unmapped"
                unmapped.append(atg)
            else:
                passed = {n for n, _ in norm_params(params)}
                status = classify(old[key], new.get(key), passed)
                if status in ("same", "appended") and misbound(params, names):
                    status = "misbound"
        counts[status] = counts.get(status, 0) + 1
        if status != "same":
            rows.append("atg_%s\t%s\t%s\t%s" % (atg, status, old.get(key, schema or "") if key else (schema or ""),
                                                 new.get(key, "") if key else ""))
    with open(table_path, "w") as f:
        f.write("# gotch v0.9.1 generated ops whose ATen schema differs between %s and %s\n"
                % (os.path.basename(old_path), os.path.basename(new_path)))
        f.write("# written by: scripts/gotch-ops.py diff; counts: %s\n" % json.dumps(counts, sort_keys=True))
        for r in rows:
            f.write(r + "\n")
    print("functions: %d; %s" % (len(funcs), json.dumps(counts, sort_keys=True)))
    if unmapped:
        print("unmapped (%d): %s" % (len(unmapped), " ".join(unmapped[:40])))


def read_tsv(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                rows.append(line.split("\t"))
    return rows


def function_span(src, name):
    """(start, end) of `... atg_NAME(...) {` through its closing `}` line."""
    m = re.search(r"^[^\n]*\batg_%s\([^\n]*\) \{\n" % re.escape(name), src, re.M)
    if not m:
        return None
    end = src.index("\n}\n", m.end()) + 3
    return m.start(), end


def stub_body(header, op, reason):
    ret = header.split("atg_", 1)[0].strip()
    msg = ("gotch op %s is not available in this build: %s (see patches/gotch/torch-*/ops.tsv)" % (op, reason))
    msg = msg.replace("\\", "\\\\").replace('"', '\\"')
    tail = "" if ret == "void" else "  return 0;\n"
    return '%s\n  PROTECT(\n    throw std::runtime_error("%s");\n  )\n%s}\n' % (header, msg, tail)


def cmd_apply(copy, vdir):
    """Decisions and adaptations: patches/gotch/{ops.tsv,adapt.cpp.h} for every libtorch,
    then vdir's (which take precedence)."""
    cpp = os.path.join(copy, "libtch", "torch_api_generated.cpp.h")
    with open(cpp) as f:
        src = f.read()
    common = os.path.dirname(vdir.rstrip("/"))
    diff = {r[0]: r for r in read_tsv(os.path.join(vdir, "schema-diff.tsv"))}
    ops = {}
    for d in (common, vdir):
        if os.path.exists(os.path.join(d, "ops.tsv")):
            ops.update({r[0]: r for r in read_tsv(os.path.join(d, "ops.tsv"))})
    missing = sorted(set(diff) - set(ops))
    if missing:
        sys.exit("gotch: no decision in %s/ops.tsv or %s/ops.tsv for: %s" % (common, vdir, " ".join(missing)))
    adapted = {}
    for d in (common, vdir):
        adapt_path = os.path.join(d, "adapt.cpp.h")
        if not os.path.exists(adapt_path):
            continue
        with open(adapt_path) as f:
            asrc = f.read()
        for m in re.finditer(r"^[^\n]*\batg_([A-Za-z0-9_]+)\([^\n]*\) \{\n", asrc, re.M):
            adapted[m.group(1)] = asrc[m.start(): asrc.index("\n}\n", m.end()) + 3]
    counts = {}
    for fn, (name, decision, reason) in sorted(ops.items()):
        span = function_span(src, name[len("atg_"):])
        if span is None:
            sys.exit("gotch: %s (ops.tsv) not found in %s" % (name, cpp))
        start, end = span
        header = src[start: src.index("\n", start)]
        if decision == "stub":
            op = diff[name][2].split("(", 1)[0] if name in diff else name
            src = src[:start] + stub_body(header, op, reason) + src[end:]
        elif decision == "adapt":
            body = adapted.get(name[len("atg_"):])
            if body is None:
                sys.exit("gotch: %s is to be adapted but no adapt.cpp.h defines it" % name)
            src = src[:start] + body + src[end:]
        elif decision != "compatible":
            sys.exit("gotch: %s: unknown decision %r in ops.tsv" % (name, decision))
        counts[decision] = counts.get(decision, 0) + 1
    with open(cpp, "w") as f:
        f.write(src)
    print("gotch: %s: %s" % (os.path.basename(vdir), json.dumps(counts, sort_keys=True)), file=sys.stderr)


def main(argv):
    if len(argv) >= 3 and argv[1] == "schemas":
        cmd_schemas(argv[2:-1], argv[-1])
    elif len(argv) == 6 and argv[1] == "diff":
        cmd_diff(*argv[2:])
    elif len(argv) == 4 and argv[1] == "apply":
        cmd_apply(*argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
