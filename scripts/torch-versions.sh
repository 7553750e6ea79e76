#!/usr/bin/env bash
# The libtorch releases this project builds against: the one place that lists them.
#
#   scripts/torch-versions.sh list       the supported versions, one per line
#   scripts/torch-versions.sh default    the default (what `make` uses without TORCH=)
#   . scripts/torch-versions.sh; torch_facts VERSION
#                                        sets TV_* for VERSION (returns 1 if unsupported)
#
# Adding a release: a case below, and patches/gotch/torch-<version>/ (schema-diff.tsv from
# `make gotch-schemas`, ops.tsv with a decision for every op whose schema changed).
TORCH_SUPPORTED="2.1.0 2.11.0"
TORCH_DEFAULT=2.11.0

torch_facts() {
  case $1 in
  2.1.0)
    # The PyPI wheel is the CUDA 12.1 build, pre-C++11 ABI (manylinux2014).
    TV_CUDA=12.1
    TV_PLATFORMS="manylinux1_x86_64 manylinux2014_x86_64 manylinux_2_17_x86_64"
    # libtorch_cpu.so itself NEEDs libcudart and libcupti: two small wheels.
    TV_NVIDIA_MIN="nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105"
    # CUDA=1: the rest of torch's NVIDIA dependencies (its Requires-Dist).
    TV_NVIDIA_CUDA="nvidia-cuda-nvrtc-cu12==12.1.105 nvidia-cudnn-cu12==8.9.2.26 nvidia-cublas-cu12==12.1.3.1
      nvidia-cufft-cu12==11.0.2.54 nvidia-curand-cu12==10.3.2.106 nvidia-cusolver-cu12==11.4.5.107
      nvidia-cusparse-cu12==12.1.0.106 nvidia-nccl-cu12==2.18.1 nvidia-nvtx-cu12==12.1.105
      nvidia-nvjitlink-cu12==12.1.105"
    # CUDA graphs (gotch patch 0008) are not built for 2.1.0: its CUDA headers need nvcc's.
    TV_NVIDIA_HEADERS=""
    ;;
  2.11.0)
    # The PyPI wheel is the CUDA 13.0 build, C++11 ABI (manylinux_2_28).
    TV_CUDA=13.0
    TV_PLATFORMS="manylinux_2_28_x86_64 manylinux_2_25_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64"
    # torch requires cuda-toolkit[...]==13.0.2, whose extras pin these (nvidia/cu13/lib).
    TV_NVIDIA_MIN="nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85"
    TV_NVIDIA_CUDA="nvidia-cublas==13.1.0.3 nvidia-cufft==12.0.0.61 nvidia-cufile==1.15.1.6
      nvidia-curand==10.4.0.35 nvidia-cusolver==12.0.4.66 nvidia-cusparse==12.6.3.3
      nvidia-nvjitlink==13.0.88 nvidia-cuda-nvrtc==13.0.88 nvidia-nvtx==13.0.85
      nvidia-cudnn-cu13==9.19.0.56 nvidia-cusparselt-cu13==0.8.0 nvidia-nccl-cu13==2.28.9
      nvidia-nvshmem-cu13==3.4.5"
    # CUDA=1 or link: the headers that at::cuda::CUDAGraph's need beside the runtime's
    # (crt/host_config.h, 134 kB), for CUDA graphs (gotch patch 0008).
    TV_NVIDIA_HEADERS="nvidia-cuda-crt==13.0.88"
    ;;
  *) return 1 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case ${1:-} in
  list) printf '%s\n' $TORCH_SUPPORTED ;;
  default) echo "$TORCH_DEFAULT" ;;
  *) echo "usage: $0 list|default" >&2; exit 2 ;;
  esac
fi
