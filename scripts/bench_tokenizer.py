"""Time Hugging Face's fast CLIP tokenizer on the 1,000 labels of tokenize's Go benchmark.

The labels are the corpus group "imagenet_photo" of testdata/tokenizer/corpus.jsonl
("a photo of a {}." for the 1,000 ImageNet classes); the tokenizer files are
testdata/tokenizer/clip/. Single thread: TOKENIZERS_PARALLELISM=false and RAYON_NUM_THREADS=1
are set before tokenizers is imported, and torch is told to use one thread.

Times, best and median of --repeat runs of --number calls each, per call of:
- tokenizer(labels, padding=True): what the zero-shot pipeline calls (transformers + Rust);
- backend_tokenizer.encode_batch(labels): the Rust tokenizer alone (no padding, no Python
  BatchEncoding), the fairer comparison with the Go package;
both with the BPE cache warm (the first call fills it), as in BenchmarkEncodeBatch1000Labels.

Run: $ORACLE_PY scripts/bench_tokenizer.py
Compare: go test ./tokenize/ -run '^$' -bench EncodeBatch1000Labels -benchtime 3s -cpu 1
"""
import argparse
import json
import os
import statistics
import timeit

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TESTDATA = os.path.join(REPO, "testdata", "tokenizer")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--number", type=int, default=20, help="calls per timing run")
    ap.add_argument("--repeat", type=int, default=15, help="timing runs")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(1)
    import tokenizers
    import transformers
    from transformers import CLIPTokenizerFast

    with open(os.path.join(TESTDATA, "corpus.jsonl"), encoding="utf-8") as f:
        next(f)
        labels = [c["text"] for c in map(json.loads, f) if c["group"] == "imagenet_photo"]
    assert len(labels) == 1000, len(labels)
    tok = CLIPTokenizerFast.from_pretrained(os.path.join(TESTDATA, "clip"))
    backend = tok.backend_tokenizer

    print("transformers %s, tokenizers %s, 1 thread, %d labels"
          % (transformers.__version__, tokenizers.__version__, len(labels)))
    for name, fn in (("tokenizer(labels, padding=True)", lambda: tok(labels, padding=True)),
                     ("backend_tokenizer.encode_batch(labels)", lambda: backend.encode_batch(labels))):
        fn()  # warm the BPE cache
        runs = [t / args.number for t in timeit.repeat(fn, number=args.number, repeat=args.repeat)]
        print("%-40s best %7.3f ms  median %7.3f ms" % (name, 1e3 * min(runs), 1e3 * statistics.median(runs)))


if __name__ == "__main__":
    main()
