#!/usr/bin/env bash
# Resolve libtorch 2.1.0 for gotch v0.9.1 and print its facts as make variables.
#
#   LIBTORCH=<dir>  an unpacked official libtorch 2.1.0 zip (CPU or CUDA, either ABI);
#   otherwise       PyPI's torch==2.1.0 wheel, fetched once with pip (no dependencies) and
#                   unpacked into $CACHE_DIR/libtorch-2.1.0-pypi (outside any clone).
#   CUDA=1          link the CUDA libraries (auto for a LIBTORCH that has libtorch_cuda.so).
#
# Output (stdout): LT_DIR=…, LT_ABI=0|1, LT_CUDA=0|1, LT_SOURCE=zip|pypi. Progress goes to stderr.
set -euo pipefail

want=2.1.0
cache=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zeroshot-clip}
py=${PYTHON:-python3}
log() { echo "libtorch: $*" >&2; }
die() { echo "libtorch: error: $*" >&2; exit 1; }

# The wheel is the CUDA 12.1 build: its libtorch_cpu.so itself needs libcudart and libcupti,
# which live in two small nvidia wheels; CUDA=1 needs the rest of torch's nvidia dependencies.
nvidia_min="nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105"
nvidia_cuda="nvidia-cuda-nvrtc-cu12==12.1.105 nvidia-cudnn-cu12==8.9.2.26 nvidia-cublas-cu12==12.1.3.1
  nvidia-cufft-cu12==11.0.2.54 nvidia-curand-cu12==10.3.2.106 nvidia-cusolver-cu12==11.4.5.107
  nvidia-cusparse-cu12==12.1.0.106 nvidia-nccl-cu12==2.18.1 nvidia-nvtx-cu12==12.1.105
  nvidia-nvjitlink-cu12==12.1.105"

fetch() { # fetch DEST_DIR SPEC... : pip-download wheels for CPython 3.11 manylinux x86_64
  local dest=$1; shift
  mkdir -p "$dest"
  "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --abi cp311 --platform manylinux1_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux_2_17_x86_64 -d "$dest" "$@" >&2 || die "pip could not download: $*"
}

unpack() { # unpack WHEEL DEST PREFIX... : extract members under the prefixes
  "$py" - "$@" <<'PY' || die "cannot unpack $1"
import sys, zipfile
whl, dest, prefixes = sys.argv[1], sys.argv[2], tuple(sys.argv[3:])
with zipfile.ZipFile(whl) as z:
    for m in z.infolist():
        if m.filename.startswith(prefixes):
            z.extract(m, dest)
PY
}

wheel_for() { ls "$cache/wheels/"$1 2>/dev/null | head -n1; }

pypi_libtorch() {
  local dir=$cache/libtorch-$want-pypi
  if [ ! -f "$dir/.complete" ]; then
    local whl; whl=$(wheel_for "torch-$want-cp311-*.whl")
    if [ -z "$whl" ]; then
      log "downloading torch==$want from PyPI (≈670 MB, once) into $cache/wheels"
      fetch "$cache/wheels" "torch==$want"
      whl=$(wheel_for "torch-$want-cp311-*.whl")
    fi
    log "unpacking $(basename "$whl") into $dir"
    local tmp=$dir.tmp.$$
    rm -rf "$tmp"; mkdir -p "$tmp"
    unpack "$whl" "$tmp" torch/lib/ torch/include/ torch/version.py
    rm -f "$tmp"/torch/lib/libtorch_python.so  # needs libpython; unused by Go
    rm -rf "$dir"; mv "$tmp" "$dir"
    touch "$dir/.complete"
  fi
  nvidia_libs "$dir" .complete-nvidia-min $nvidia_min
  [ "${CUDA:-0}" = 1 ] && nvidia_libs "$dir" .complete-nvidia-cuda $nvidia_cuda
  echo "$dir"
}

nvidia_libs() { # DIR STAMP SPEC... : unpack nvidia/*/lib from wheels so $ORIGIN/../../nvidia/… resolves
  local dir=$1 stamp=$2; shift 2
  [ -f "$dir/$stamp" ] && return 0
  log "fetching $* into $dir/nvidia"
  fetch "$cache/wheels" "$@"
  local spec name ver whl
  for spec in "$@"; do
    name=${spec%%==*}; ver=${spec##*==}
    whl=$(wheel_for "${name//-/_}-$ver-*.whl")
    [ -n "$whl" ] || die "wheel for $spec not found in $cache/wheels"
    unpack "$whl" "$dir" nvidia/
  done
  touch "$dir/$stamp"
}

if [ -n "${LIBTORCH:-}" ]; then
  dir=$(cd "$LIBTORCH" 2>/dev/null && pwd) || die "LIBTORCH=$LIBTORCH is not a directory"
  source=zip
else
  dir=$(pypi_libtorch)
  source=pypi
fi

vh=$dir/include/torch/csrc/api/include/torch/version.h
[ -f "$dir/lib/libtorch_cpu.so" ] || [ -f "$dir/torch/lib/libtorch_cpu.so" ] || die "$dir has no lib/libtorch_cpu.so: not a libtorch directory"
[ -d "$dir/torch/lib" ] && { root=$dir; dir=$dir/torch; vh=$dir/include/torch/csrc/api/include/torch/version.h; }
[ -f "$vh" ] || die "$vh missing: cannot tell the libtorch version"
ver=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH) / {printf "%s%s", sep, $3; sep="."}' "$vh")
[ "$ver" = "$want" ] || die "libtorch at $dir is version $ver; gotch v0.9.1 needs exactly $want (see README, Prerequisites)"

# ABI: c10::Error's constructor takes std::string; its mangled name says which std::string.
syms=$(nm -D --defined-only "$dir/lib/libc10.so" | grep '_ZN3c105ErrorC[12]E' || true)
if grep -q 'NSt7__cxx1112basic_string' <<<"$syms"; then abi=1
elif grep -q 'ESsSs' <<<"$syms"; then abi=0
else die "cannot detect the C++ ABI of $dir/lib/libc10.so"; fi

if [ -n "${CUDA:-}" ]; then cuda=$CUDA
elif [ "$source" = zip ] && [ -f "$dir/lib/libtorch_cuda.so" ]; then cuda=1
else cuda=0; fi
if [ "$cuda" = 1 ] && [ ! -f "$dir/lib/libtorch_cuda.so" ]; then
  die "CUDA=1 but $dir/lib/libtorch_cuda.so does not exist (a CPU libtorch)"
fi

echo "LT_DIR=$dir"
echo "LT_ABI=$abi"
echo "LT_CUDA=$cuda"
echo "LT_SOURCE=$source"
