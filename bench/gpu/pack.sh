#!/usr/bin/env bash
# Pack the GPU kit (make gpu-kit): CUDA-linked binaries built against libtorch 2.11.0 cu130
# (CUDA=link: libtorch_cuda is NEEDED; cuBLAS, cuDNN & co. come from the GPU machine's own
# torch install), the shared libraries a stock Ubuntu 24.04 + PyTorch image lacks, the
# tiny fixture models with their torch 2.11.0 goldens, the generator of the full-size
# model, the benchmark inputs and the driver. Run from the repository root after
# `make libtorch TORCH=2.11.0 CUDA=link` (the Makefile does both).
#
#   bench/gpu/pack.sh KIT_DIR
set -euo pipefail
kit=${1:?usage: bench/gpu/pack.sh KIT_DIR}
. build/libtorch.env
[ "$LT_VERSION" = 2.11.0 ] && [ "$LT_CUDA" != 0 ] || {
  echo "pack: build/libtorch.env is libtorch $LT_VERSION, CUDA $LT_CUDA: run make libtorch TORCH=2.11.0 CUDA=link" >&2; exit 1; }
shared=${CLIP_SHARED_DIR:-testdata/clip-vit-large-patch14}
export GOFLAGS="-modfile=$PWD/build/go.gen.mod -trimpath -buildvcs=false"
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)

rm -rf "$kit.tmp"
mkdir -p "$kit.tmp"/{bin,lib,gen,models,images,shared/clip-vit-large-patch14}
echo "pack: building the binaries (libtorch $LT_VERSION, CUDA $LT_CUDA)" >&2
go build -ldflags "-s -w -X main.version=$version" -o "$kit.tmp/bin/zeroshot" ./cmd/zeroshot
go build -ldflags "-s -w" -o "$kit.tmp/bin/gobench" ./bench/cmd/gobench
go build -ldflags "-s -w" -o "$kit.tmp/bin/zeroshot-load" ./cmd/zeroshot-load

# Libraries the binaries need beyond torch/lib and what Ubuntu 24.04 has: libjpeg.so.62
# (libjpeg-turbo's libjpeg6b ABI, Debian's libjpeg62-turbo; Ubuntu ships libjpeg.so.8).
for so in libjpeg.so.62; do
  src=$(ldd "$kit.tmp/bin/zeroshot" | awk -v so="$so" '$1 == so {print $3}')
  [ -n "$src" ] || { echo "pack: $so not found by ldd" >&2; exit 1; }
  cp -L "$src" "$kit.tmp/lib/$so"
done
if readelf -d "$kit.tmp/bin/zeroshot" | grep -q 'NEEDED.*libtorch_cuda'; then :; else
  echo "pack: bin/zeroshot does not NEED libtorch_cuda: not a CUDA build" >&2; exit 1; fi

cp bench/gpu/kit.py bench/gpu/run.sh bench/gpu/README.md bench/optrace.py "$kit.tmp/"
cp testdata/gen/full.py testdata/gen/gen_models.py testdata/gen/common.py testdata/gen/repro.py "$kit.tmp/gen/"
for f in config.json preprocessor_config.json tokenizer.json vocab.json merges.txt tokenizer_config.json special_tokens_map.json; do
  cp "$shared/$f" "$kit.tmp/shared/clip-vit-large-patch14/"
done
for m in tiny-l14 odd; do
  mkdir -p "$kit.tmp/models/$m"
  for f in testdata/models/$m/*; do
    case $f in *.bin) ;; *golden*) ;; *) cp "$f" "$kit.tmp/models/$m/" ;; esac
  done
  cp -r "testdata/models/$m/golden-torch2.11.0" "testdata/models/$m/golden-torch2.11.0-v5" "$kit.tmp/models/$m/"
done
cp examples/chelsea.png testdata/images/files/big_4032x3024.jpg testdata/tokenizer/corpus.jsonl "$kit.tmp/images/"
printf 'zeroshot %s, libtorch %s (CUDA %s, ABI %s), packed %s\n' "$version" "$LT_VERSION" "$LT_CUDA" "$LT_ABI" \
  "$(date -u +%Y-%m-%dT%H:%MZ)" > "$kit.tmp/VERSION"

rm -rf "$kit"; mv "$kit.tmp" "$kit"
size=$(du -sb "$kit" | cut -f1)
echo "pack: $kit: $((size / 1024 / 1024)) MiB" >&2
du -sh "$kit"/* >&2
[ "$size" -le $((60 * 1024 * 1024)) ] || { echo "pack: over 60 MiB" >&2; exit 1; }
