#!/usr/bin/env bash
# bench/run.sh: the side-by-side benchmark, Go vs Hugging Face transformers (make bench).
# Builds the Go side, prepares the inputs (converted weights, 2560×1600 JPEGs, labels) in
# $CACHE_DIR/bench, runs every measurement in fresh processes and writes bench/REPORT.md
# and bench/report.json. Settings (environment; see bench/README.md):
#
#   BENCH_QUICK=1            a ~3-minute smoke run (small sizes, 1 repetition)
#   BENCH_SIZE=issue         metric 5 at the issue's size on both sides (64 images × 1,000 labels)
#   BENCH_SIZE=scale         the scale benchmark instead (Go only): label sets of 1k/10k/50k labels
#                            (BENCH_SCALE_LABELS, BENCH_SCALE_BATCHES; the pipeline's one batch at
#                            BENCH_SCALE_ONE_BATCH), classify/embed over BENCH_SCALE_IMAGES generated
#                            images (BENCH_ONLY=labels|images; BENCH_SCALE_MERGE=1 keeps the label
#                            runs of bench/scale.json not redone)
#                            -> bench/SCALE.md, bench/scale.json
#   BENCH_THREADS=N          threads on both sides (default: the number of cores)
#   BENCH_DEVICE=cuda BENCH_DTYPE=fp16|bf16   the GPU recipe (bench/README.md)
#   BENCH_REPS, BENCH_N, BENCH_TP_IMAGES_GO, BENCH_TP_IMAGES_HF, BENCH_TP_LABELS,
#   BENCH_TP_BATCH, BENCH_BF16=0|1, BENCH_BF16_BATCH, BENCH_ONLY=load,process,...,
#   BENCH_OUT=dir            override single settings
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
: "${CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/zeroshot-clip}"
: "${FULL_DIR:=$CACHE_DIR/full-l14}"
: "${ORACLE_PY:?ORACLE_PY is not set (run through make bench)}"
WORK=$CACHE_DIR/bench
BIN=$ROOT/build/bench
flags=""
for f in ${GOFLAGS:-}; do [[ $f == -modfile=* || $f == -buildvcs=* ]] || flags+=" $f"; done
export GOFLAGS="${flags# } -buildvcs=false -modfile=$ROOT/build/go.gen.mod"
GO=${GO:-go}

if [[ ! -f $FULL_DIR/.complete ]]; then
	echo "bench: $FULL_DIR is missing: run make fixtures-full first" >&2
	exit 1
fi

mkdir -p "$BIN" "$WORK"
echo "bench: building the Go side" >&2
$GO build -o "$BIN/gobench" ./bench/cmd/gobench
$GO build -o "$BIN/gopre" ./bench/cmd/gopre
CLI=""
if $GO build -ldflags "-X main.version=bench" -o "$BIN/zeroshot" ./cmd/zeroshot 2>"$BIN/cli-build.log"; then
	CLI=$BIN/zeroshot
else
	echo "bench: cmd/zeroshot does not build (see $BIN/cli-build.log); metric 1 uses gobench process" >&2
fi

THREADS=${BENCH_THREADS:-$(nproc)}
if [[ ${BENCH_SIZE:-} == scale ]]; then
	[[ -n $CLI ]] || { echo "bench: the scale benchmark needs cmd/zeroshot" >&2; exit 1; }
	exec "$BIN/gobench" scale -model "$FULL_DIR" -cli "$CLI" -work "$WORK" -threads "$THREADS" \
		-labels "${BENCH_SCALE_LABELS:-1000,10000,50000}" -label-batches "${BENCH_SCALE_BATCHES:-64,1024}" \
		-one-batch "${BENCH_SCALE_ONE_BATCH:-1000,3000}" -merge="$([[ ${BENCH_SCALE_MERGE:-0} == 1 ]] && echo true || echo false)" \
		-images "${BENCH_SCALE_IMAGES:-10000}" -images-model "${BENCH_SCALE_IMAGES_MODEL:-testdata/models/tiny-l14}" \
		-commit "${BENCH_COMMIT:-$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)}" \
		-only "${BENCH_ONLY:-}" -out "${BENCH_OUT:-$ROOT/bench}"
fi

# Inputs: 64 JPEGs + labels (kept), converted weights (redone when the model is newer).
"$BIN/gobench" images -dir "$WORK/images" -n 64
for dt in fp32 bf16; do
	f=$WORK/model.$dt.safetensors
	if [[ ! -f $f || $FULL_DIR/model.safetensors -nt $f ]]; then
		echo "bench: converting to $f" >&2
		"$BIN/gobench" convert "$FULL_DIR" "$f" "$dt"
	fi
done

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	REPS=1 N=1 TPG=2 TPH=1 TPL=100 TPB=2 BFB=2 QUICK=-quick
elif [[ ${BENCH_SIZE:-} == issue ]]; then
	REPS=5 N=5 TPG=64 TPH=64 TPL=1000 TPB=8 BFB=8 QUICK=
else # sized for a small machine (2 cores: ~8-10 minutes); metric 5 extrapolated to 64 images
	REPS=3 N=3 TPG=8 TPH=1 TPL=1000 TPB=8 BFB=4 QUICK=
fi
exec "$BIN/gobench" run -model "$FULL_DIR" -work "$WORK" -python "$ORACLE_PY" -hf "$ROOT/bench/hf_bench.py" \
	-gopre "$BIN/gopre" -cli "$CLI" -threads "$THREADS" \
	-device "${BENCH_DEVICE:-cpu}" -dtype "${BENCH_DTYPE:-fp32}" \
	-reps "${BENCH_REPS:-$REPS}" -n "${BENCH_N:-$N}" \
	-tp-images-go "${BENCH_TP_IMAGES_GO:-$TPG}" -tp-images-hf "${BENCH_TP_IMAGES_HF:-$TPH}" -tp-images-ref 64 \
	-tp-labels "${BENCH_TP_LABELS:-$TPL}" -tp-batch "${BENCH_TP_BATCH:-$TPB}" \
	-bf16="$([[ ${BENCH_BF16:-1} == 1 ]] && echo true || echo false)" -bf16-batch "${BENCH_BF16_BATCH:-$BFB}" \
	-only "${BENCH_ONLY:-}" -out "${BENCH_OUT:-$ROOT/bench}" $QUICK
