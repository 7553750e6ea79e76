#!/usr/bin/env bash
# make test-cpus: the golden tests of libtorch's outputs (embeddings, logits, scores) under
# other CPUs, emulated on this one with libtorch's dispatch controls, against the committed
# goldens (made on another CPU) and their bound (golden.CrossCPU). The pixel tests are not
# rerun: the image processors' outputs depend on ATen's capability only (make test runs them
# pinned, make parity and make parity-v5-sweep on the native kernels too). Each level
# changes one control from the pins of golden.ReproEnv:
#   mkl-isa-*       MKL_ENABLE_INSTRUCTIONS: MKL on a CPU without AVX2 (the pin, MKL's SSE2
#                   reproducible branch, should make it moot)
#   onednn-*        ONEDNN_MAX_CPU_ISA below the pin (AVX2): oneDNN's convolution and GELU
#                   on a CPU without AVX2
#   mkl-avx2/auto   MKL_CBWR: another MKL branch, as a CPU whose MKL left the pinned one
#   aten-avx2       ATEN_CPU_CAPABILITY=avx2: ATen's vectorised kernels
#   threads-4       OMP_NUM_THREADS=4: libtorch's default thread count on a 4-core machine
#                   (the tests that do not set one)
#   unpinned        ZEROSHOT_NO_REPRO=1: every native path of this CPU
# Writes the matrix to $OUT (default build/test-cpus.md) and fails if any output left its bound.
set -euo pipefail
out=${OUT:-build/test-cpus.md}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
levels=(
  "pinned"
  "mkl-isa-avx MKL_ENABLE_INSTRUCTIONS=AVX"
  "mkl-isa-sse4_2 MKL_ENABLE_INSTRUCTIONS=SSE4_2"
  "onednn-avx ONEDNN_MAX_CPU_ISA=AVX"
  "onednn-sse41 ONEDNN_MAX_CPU_ISA=SSE41"
  "mkl-avx2 MKL_CBWR=AVX2"
  "mkl-auto MKL_CBWR=AUTO"
  "aten-avx2 ATEN_CPU_CAPABILITY=avx2"
  "threads-4 OMP_NUM_THREADS=4"
  "unpinned ZEROSHOT_NO_REPRO=1"
)
start=$(date +%s)
args=()
fail=0
for l in "${levels[@]}"; do
  read -r name env <<<"$l"
  t0=$(date +%s)
  echo "test-cpus: $name (${env:-the pins})"
  env $env scripts/golden-tests.sh model "$dir/$name.jsonl" || fail=1
  echo "test-cpus: $name in $(( $(date +%s) - t0 )) s"
  args+=("$name=$dir/$name.jsonl")
done
mkdir -p "$(dirname "$out")"
{
  echo "# CPU matrix: the golden tests under emulated dispatch levels ($(date -u +%F), libtorch $TORCH)"
  echo
  echo "CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $(nproc) cores. Cells: bit-identical to the committed goldens (\"exact\"),"
  echo "or the largest distance in ulps of an output's scale and how many values moved (bound: golden.CrossCPU)."
  echo
  python3 scripts/golden-report.py matrix "${args[@]}" || fail=1
} > "$out"
cat "$out"
echo "test-cpus: $(( $(date +%s) - start )) s; the matrix in $out"
exit $fail
