#!/usr/bin/env bash
# The tests that compare outputs with goldens, run once in the current environment:
#   scripts/golden-tests.sh SCOPE REPORT.jsonl
# SCOPE: model (libtorch's outputs: embeddings, logits, scores; golden.Check writes one
# line per comparison to REPORT), pixels (the image processors' pixel digests: exact), or
# all. make parity runs them against local goldens (ZEROSHOT_GOLDENS), make test-cpus
# under emulated CPUs against the committed ones. Needs GO_TORCH's environment (make).
set -euo pipefail
scope=$1 report=$2
: "${GO:=go}"
rm -f "$report"
model_runs=(
  "./clip ^(TestParityWithTransformers|TestSDPAParityWithTransformers)$"
  "./zeroshot ^(TestPipelineParity|TestManualFlowParity)$"
  "./cmd/zeroshot ^(TestClassifyPipelineParity|TestClassifyFormats|TestClassifyProfileOverrides|TestEmbedTextsGolden|TestEmbedProfileFlags)$"
  "./serve ^TestClassifyMatchesPipeline$"
  "./examples/pipeline ^TestPipelineExample$"
  "./examples/manual ^TestManualExample$"
)
pixel_runs=(
  "./tvprocess ^(TestFixturesTorchvision|TestConfigVariantsTorchvision|TestShapeSweepTorchvision|TestV5Sweep)$"
  "./preprocess ^(TestShapeSweep|TestFixturesV5PIL|TestConfigVariantsV5PIL)$"
  "./cmd/zeroshot ^TestPreprocessParity5$"
)
runs=()
case $scope in
  model) runs=("${model_runs[@]}") ;;
  pixels) runs=("${pixel_runs[@]}") ;;
  all) runs=("${model_runs[@]}" "${pixel_runs[@]}") ;;
  *) echo "golden-tests: SCOPE is model, pixels or all, not $scope" >&2; exit 2 ;;
esac
fail=0
for r in "${runs[@]}"; do
  pkg=${r%% *} re=${r#* }
  # -v: a test name that matches nothing must not pass silently (checked below)
  out=$(ZEROSHOT_GOLDEN_REPORT=$report $GO test -count=1 -v -run "$re" "$pkg" 2>&1) || fail=1
  names=$(printf '%s\n' "$re" | sed 's/^\^(//; s/)\$$//; s/^\^//; s/\$$//' | tr '|' ' ')
  for n in $names; do
    grep -q -- "^--- \(PASS\|FAIL\|SKIP\): $n " <<<"$out" || { echo "golden-tests: $pkg has no test $n that ran" >&2; fail=1; }
  done
  grep -E -- '^(--- (FAIL|SKIP)|FAIL|ok)' <<<"$out" | grep -v '^--- SKIP: .*/' || true
  if grep -q -- '^--- FAIL' <<<"$out"; then
    grep -E -- 'Error:|Messages:|beyond the bound' <<<"$out" | head -20
  fi
done
exit $fail
