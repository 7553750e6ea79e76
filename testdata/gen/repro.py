"""libtorch's reproducible CPU paths, set before torch is imported.

Committed goldens are compared bit for bit on machines other than the one that made
them. libtorch's float results depend on the CPU: MKL's GEMM takes other code paths on
AMD than on Intel (measured: the tiny model's pipeline scores differ in the 7th digit
between an AVX-512 Xeon and an AVX-512 EPYC, Go and Python alike), and ATen and oneDNN
pick kernels by instruction set. These variables make every x86-64 CPU take the same
paths: ATen's portable kernels, MKL's conditional numerical reproducibility in its
SSE2 mode, oneDNN capped at SSE4.1. The Go tests set the same (internal/golden.Repro);
keep the two lists equal. A variable already set in the environment is left as it is.
"""
import os

ENV = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "AVX512_CORE",
}

for _k, _v in ENV.items():
    os.environ.setdefault(_k, _v)
