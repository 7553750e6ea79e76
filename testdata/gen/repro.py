"""libtorch's reproducible CPU paths, set before torch is imported.

libtorch picks kernels by the CPU's instruction sets: ATen's vectorised kernels (layer
norm, softmax, activations: ATEN_CPU_CAPABILITY), MKL's GEMM (every linear, the eager
attention's batched products: MKL_CBWR) and oneDNN (the patch convolution, erf GELU:
ONEDNN_MAX_CPU_ISA). These pins make every x86-64 CPU with AVX2 take the same paths
where a pin can: ATen's portable kernels, MKL's conditional numerical reproducibility in
its SSE2 branch, oneDNN capped at AVX2 (the lowest level the project supports, so the
same JIT kernels on AVX2, AVX-512 and AMX CPUs). scripts/cpu-ops.py measures which op
moves under which control. They do not make torch 2.11.0's results CPU-independent:
an Intel Xeon with AMX differed from an AMD EPYC by up to 3 ulps of an output's scale
(../shared/cpu-goldens), so the Go tests compare committed goldens within a measured
bound (internal/golden.CrossCPU) and make parity checks bit-identity against goldens
made on the machine itself. The Go tests set the same (internal/golden.ReproEnv);
keep the two lists equal. A variable already set in the environment is left as it is;
ZEROSHOT_NO_REPRO=1 sets none (libtorch's native paths, make parity's unpinned run).
"""
import os

ENV = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}

if os.environ.get("ZEROSHOT_NO_REPRO") != "1":
    for _k, _v in ENV.items():
        os.environ.setdefault(_k, _v)
