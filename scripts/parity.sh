#!/usr/bin/env bash
# make parity: does Go equal Python on this machine, bit for bit? The oracle (ORACLE_PY:
# transformers on the torch the Go side links) makes every golden here, once with the pins
# of testdata/gen/repro.py and once on libtorch's native paths (ZEROSHOT_NO_REPRO=1), into
# PARITY_DIR; the golden tests then run against them (ZEROSHOT_GOLDENS), where every
# model output must be bit-identical (golden.Bound 0) and every pixel digest equal.
set -euo pipefail
: "${ORACLE_PY:?run through make parity}" "${TORCH:?}"
dir=${PARITY_DIR:-${CACHE_DIR:-$HOME/.cache/zeroshot-clip}/parity}/torch$TORCH
start=$(date +%s)
reports=()
for mode in pinned unpinned; do
  out=$dir/$mode
  env=()
  [ "$mode" = unpinned ] && env=(ZEROSHOT_NO_REPRO=1)
  t0=$(date +%s)
  rm -rf "$out"
  mkdir -p "$dir"
  echo "parity: $mode goldens from $("$ORACLE_PY" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)' 2>/dev/null) -> $out"
  env "${env[@]}" "$ORACLE_PY" -W ignore testdata/gen/gen_goldens.py --out "$out" > "$dir/$mode-gen.log" 2>&1 ||
    { tail -20 "$dir/$mode-gen.log"; exit 1; }
  t1=$(date +%s)
  echo "parity: $mode goldens in $((t1 - t0)) s; the golden tests against them"
  env "${env[@]}" ZEROSHOT_GOLDENS="$out" scripts/golden-tests.sh all "$out/report.jsonl"
  echo "parity: $mode tests in $(( $(date +%s) - t1 )) s"
  reports+=("$out/report.jsonl")
done
python3 scripts/golden-report.py summary --require-local "${reports[@]}"
echo "parity: libtorch $TORCH: every golden test passed against goldens made here, pinned and unpinned, in $(( $(date +%s) - start )) s"
