#!/usr/bin/env bash
# Load test on the loopback: builds zeroshot and zeroshot-load, starts
# `zeroshot serve` on 127.0.0.1 with a fixture model, runs closed-loop steps at 1, 4
# and 16 clients then an open-loop overload at 2x the best sustained rate, stops the
# server with SIGTERM (graceful) and prints the table.
#
#   scripts/loadtest.sh [MODEL_DIR] [extra serve flags...]
#   DURATION=10s CLIENTS=1,4,16 OVERLOAD=2 IMAGE=testdata/pipeline/chelsea.png scripts/loadtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-testdata/models/tiny-l14}
shift || true
port=${PORT:-18080}
make -s libtorch >/dev/null
export GOFLAGS="${GOFLAGS:-} -buildvcs=false -modfile=$PWD/build/go.gen.mod"
mkdir -p bin
go build -o bin/zeroshot ./cmd/zeroshot
go build -o bin/zeroshot-load ./cmd/zeroshot-load
log=$(mktemp)
bin/zeroshot serve --model "$model" --addr "127.0.0.1:$port" "$@" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q listening "$log" && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
bin/zeroshot-load --url "http://127.0.0.1:$port" --image "${IMAGE:-testdata/pipeline/chelsea.png}" \
  --clients "${CLIENTS:-1,4,16}" --duration "${DURATION:-10s}" --overload "${OVERLOAD:-2}"
echo
echo "server metrics (batches):"
curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -E '^zeroshot_batch_size_(sum|count)|^zeroshot_rejected_total|^process_resident' || true
kill -TERM $pid
wait $pid && echo "server: graceful shutdown, exit 0" || echo "server: exit $?"
trap - EXIT
cat "$log" | tail -2
rm -f "$log"
