"""Time Hugging Face's CLIPImageProcessor (slow PIL path) on one image, single thread.

Measures what the Go benchmark BenchmarkDecodePreprocess measures: the file's bytes
already in memory -> Image.open -> processor(images=..., return_tensors="np")
(decode, convert, resize, crop, rescale, normalize).

  $ORACLE_PY scripts/bench_preprocess.py testdata/images/files/big_4032x3024.jpg [runs]
  go test ./preprocess -run '^$' -bench DecodePreprocess -cpu 1 -benchtime 20x
"""
import os

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"

import io  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from PIL import Image  # noqa: E402
from transformers import CLIPImageProcessor  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.environ.get("CLIP_SHARED_DIR", os.path.join(os.path.dirname(HERE), "testdata", "clip-vit-large-patch14"))


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    proc = CLIPImageProcessor.from_pretrained(MODEL)
    data = open(path, "rb").read()

    def once():
        im = Image.open(io.BytesIO(data))
        return proc(images=im, return_tensors="np")["pixel_values"]

    once()  # warm up
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        once()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t_dec = []
    for _ in range(max(3, runs // 2)):
        t0 = time.perf_counter()
        Image.open(io.BytesIO(data)).load()
        t_dec.append(time.perf_counter() - t0)
    with Image.open(io.BytesIO(data)) as im:
        size = im.size
    print(f"{os.path.basename(path)} {size[0]}x{size[1]}: HF decode+preprocess "
          f"median {statistics.median(times)*1e3:.1f} ms wall (min {min(times)*1e3:.1f}, n={runs}), "
          f"mean {statistics.mean(cpu)*1e3:.1f} cpu-ms; "
          f"Pillow decode alone median {statistics.median(t_dec)*1e3:.1f} ms")


if __name__ == "__main__":
    main()
