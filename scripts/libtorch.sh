#!/usr/bin/env bash
# Resolve libtorch for gotch v0.9.1 and print its facts as make variables.
#
#   TORCH=<version>  one of scripts/torch-versions.sh's (default there);
#   LIBTORCH=<dir>   an unpacked official libtorch zip of that version (CPU or CUDA, either
#                    ABI), or a Python install's torch/ (site-packages/torch);
#   otherwise        PyPI's torch==<version> wheel, fetched once with pip (no dependencies)
#                    and unpacked into $CACHE_DIR/libtorch-<version>-pypi (outside any clone).
#   CUDA=1           link the CUDA libraries (auto for a LIBTORCH that has libtorch_cuda.so);
#                    with the wheel, also fetch torch's NVIDIA wheels so binaries run here.
#   CUDA=link        link the CUDA libraries without fetching the NVIDIA wheels: for a
#                    binary that runs against another machine's torch/lib (make gpu-kit).
#
# Output (stdout): LT_DIR=…, LT_ABI=0|1, LT_CUDA=0|1|link, LT_SOURCE=zip|pypi, LT_VERSION=…
# Progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/torch-versions.sh"
want=${TORCH:-$TORCH_DEFAULT}
cache=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zeroshot-clip}
py=${PYTHON:-python3}
log() { echo "libtorch: $*" >&2; }
die() { echo "libtorch: error: $*" >&2; exit 1; }

torch_facts "$want" || die "TORCH=$want is not supported; supported: $TORCH_SUPPORTED (scripts/torch-versions.sh)"
nvidia_min=$TV_NVIDIA_MIN
nvidia_cuda=$TV_NVIDIA_CUDA

fetch() { # fetch DEST_DIR SPEC... : pip-download wheels for CPython 3.11 manylinux x86_64
  local dest=$1; shift
  local plat=()
  for p in $TV_PLATFORMS manylinux1_x86_64 manylinux2014_x86_64 manylinux_2_17_x86_64; do plat+=(--platform "$p"); done
  mkdir -p "$dest"
  "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --abi cp311 "${plat[@]}" -d "$dest" "$@" >&2 || die "pip could not download: $*"
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
      log "downloading torch==$want from PyPI (≈550-700 MB, once) into $cache/wheels"
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
  if [ "${CUDA:-0}" != 0 ] && [ -n "$TV_NVIDIA_HEADERS" ]; then
    nvidia_libs "$dir" .complete-nvidia-headers $TV_NVIDIA_HEADERS
  fi
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
# 2.1.0 defines the numbers in version.h; newer releases include torch/headeronly/version.h.
hv=$dir/include/torch/headeronly/version.h
[ -f "$hv" ] || hv=$vh
ver=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH) / {printf "%s%s", sep, $3; sep="."}' "$hv")
[ "$ver" = "$want" ] || die "libtorch at $dir is version $ver, not TORCH=$want (supported: $TORCH_SUPPORTED; see README, Prerequisites)"

# ABI: c10::Error's constructor takes std::string; its mangled name says which std::string.
syms=$(nm -D --defined-only "$dir/lib/libc10.so" | grep '_ZN3c105ErrorC[12]E' || true)
if grep -q 'NSt7__cxx1112basic_string' <<<"$syms"; then abi=1
elif grep -q 'ESsSs' <<<"$syms"; then abi=0
else die "cannot detect the C++ ABI of $dir/lib/libc10.so"; fi

if [ -n "${CUDA:-}" ]; then cuda=$CUDA
elif [ "$source" = zip ] && [ -f "$dir/lib/libtorch_cuda.so" ]; then cuda=1
else cuda=0; fi
case $cuda in 0|1|link) ;; *) die "CUDA=$cuda: use CUDA=1, CUDA=link or CUDA=0" ;; esac
if [ "$cuda" != 0 ] && [ ! -f "$dir/lib/libtorch_cuda.so" ]; then
  die "CUDA=$cuda but $dir/lib/libtorch_cuda.so does not exist (a CPU libtorch)"
fi

echo "LT_DIR=$dir"
echo "LT_ABI=$abi"
echo "LT_CUDA=$cuda"
echo "LT_SOURCE=$source"
echo "LT_VERSION=$ver"
