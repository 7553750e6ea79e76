#!/usr/bin/env bash
# The GPU kit's entry point (made by `make gpu-kit`; bench/gpu/README.md says what it does).
#
#   ./run.sh [--device cuda|cpu] [--out DIR] [--quick] [--only STEP,...]
#
# Needs python3 importing torch 2.11.0 (the cu130 wheel the binaries are built against)
# and transformers; nothing else is installed or fetched. The Go binaries load that
# torch's own libraries (torch/lib, found from python3) and the kit's lib/ (libjpeg).
set -euo pipefail
cd "$(dirname "$0")"
py=${PYTHON:-python3}
lib=$("$py" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))') || {
  echo "run.sh: $py cannot import torch" >&2; exit 1; }
# The CUDA runtime the binaries NEED directly (CUDA graphs, gotch patch 0008) is the one
# torch's libraries load: the NVIDIA wheels' nvidia/*/lib beside torch/.
path="$PWD/lib:$lib"
for d in "$lib"/../../nvidia/*/lib; do [ -d "$d" ] && path+=":$d"; done
export LD_LIBRARY_PATH="$path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$py" kit.py "$@"
