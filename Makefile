# zeroshot-clip: zero-shot image classification with CLIP in Go (gotch + libtorch 2.1.0 or 2.11.0).
# `make help` lists the targets.

SHELL := bash
.DEFAULT_GOAL := help
include libtorch.mk

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# Python oracles, cached outside the clone: ORACLE=4.54 (transformers 4.54.1 on torch 2.1.0,
# requirements-oracle.txt) or ORACLE=5 (transformers 5 on torch 2.11.0, requirements-oracle-5.txt).
# The default follows TORCH: the oracle that runs on the libtorch the Go side links.
ORACLE ?= $(if $(filter 2.1.0,$(TORCH)),4.54,5)
ORACLE_REQ := $(if $(filter 5,$(ORACLE)),requirements-oracle-5.txt,requirements-oracle.txt)
# The caches below are named by a hash of what they are built from, so their rules have no
# file prerequisites: a fresh clone's newer mtimes must not rebuild them.
ORACLE_DIR := $(CACHE_DIR)/oracle-$(shell sha256sum $(ORACLE_REQ) | cut -c1-12)
ORACLE_PY := $(ORACLE_DIR)/bin/python
export ORACLE_PY

.PHONY: help test test-plain test-k8s vet build run oracle fixtures goldens gotch-schemas fixtures-full parity-full parity-shapes setup clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

test: libtorch test-plain test-k8s ## set up (idempotent), go vet, go test ./... (and examples/k8s, a module of its own)
	$(GO_TORCH) vet ./...
	$(GO_TORCH) test ./...

# examples/k8s is a nested module (k8s.io/api, sigs.k8s.io/yaml) so that the library's
# users do not pull Kubernetes: ./... above does not reach it.
test-k8s: ## the Kubernetes manifests decoded strictly into the real API types and checked
	cd examples/k8s && GOFLAGS= $(GO) vet ./... && GOFLAGS= $(GO) test ./...

test-plain: ## the plain-Go packages with the committed go.mod and no libtorch
	$(GO) test ./preprocess/... ./tokenize/...
	cd tools/plots && GOFLAGS= $(GO) test ./...  # docs/images are what the committed reports give
	$(GO) build ./serve/client  # the Go client links no libtorch (its tests run a real server: make test)

build: libtorch ## build bin/zeroshot
	$(GO_TORCH) build -ldflags "$(LDFLAGS)" -o bin/zeroshot ./cmd/zeroshot

run: build ## classify examples/chelsea.png as cat/dog/fox/owl (default model: fetched once, 1.7 GB; or MODEL=dir)
	bin/zeroshot classify examples/chelsea.png --labels cat,dog,fox,owl $(if $(MODEL),--model $(MODEL))

oracle: $(ORACLE_DIR)/.complete ## the Python reference environment (ORACLE=4.54: torch 2.1.0; ORACLE=5: torch 2.11.0)
$(ORACLE_DIR)/.complete:
	@echo "oracle: creating $(ORACLE_DIR) from $(ORACLE_REQ)"
	rm -rf $(ORACLE_DIR)
	python3 -m venv $(ORACLE_DIR)
	$(ORACLE_PY) -m pip install -q --no-input -r $(ORACLE_REQ)
	touch $@

fixtures: ## regenerate testdata/ (tiny models, images, goldens) with the 4.54 oracle, then the other goldens
	$(MAKE) oracle ORACLE=4.54
	$$($(MAKE) -s ORACLE=4.54 print-oracle-py) testdata/gen/all.py
	$(MAKE) goldens ORACLE=5
	$$($(MAKE) -s ORACLE=5 print-oracle-py) testdata/gen/legacy_bin.py

goldens: oracle ## the goldens that depend on libtorch (logits, pipeline scores), for ORACLE's torch
	$(ORACLE_PY) testdata/gen/gen_goldens.py

.PHONY: print-oracle-py
print-oracle-py:
	@echo $(ORACLE_PY)

# Dev: compare the op schemas of both oracles' torch with what gotch v0.9.1 binds, and
# rewrite patches/gotch/torch-*/schema-diff.tsv (the ops.tsv files must decide every entry).
gotch-schemas: ## (dev) schema diff of gotch's ops: 2.1.0 against itself (misbound calls) and 2.11.0
	$(MAKE) oracle ORACLE=4.54
	$(MAKE) oracle ORACLE=5
	@set -e; old=$$($(MAKE) -s ORACLE=4.54 print-oracle-py); new=$$($(MAKE) -s ORACLE=5 print-oracle-py); \
	  tmp=$$(mktemp -d); $$old scripts/gotch-ops.py schemas $$old $$new $$tmp; \
	  src=$$(go mod download -json github.com/sugarme/gotch@v0.9.1 | sed -n 's/^\s*"Dir": "\(.*\)",$$/\1/p'); \
	  $$old scripts/gotch-ops.py diff $$src $$tmp/torch-2.1.0.txt $$tmp/torch-2.1.0.txt patches/gotch/torch-2.1.0/schema-diff.tsv; \
	  $$old scripts/gotch-ops.py diff $$src $$tmp/torch-2.1.0.txt $$tmp/torch-2.11.0.txt patches/gotch/torch-2.11.0/schema-diff.tsv; \
	  rm -rf $$tmp

# The full-size random ViT-L/14 (~3.4 GB with goldens), outside git. Built once; each
# torch's goldens go beside the others (golden/ for 2.1.0, golden-torch<version>/ else).
FULL_DIR ?= $(CACHE_DIR)/full-l14
GOLDEN_SUFFIX = $(if $(filter 2.1.0,$(TORCH)),,-torch$(TORCH))

fixtures-full: oracle ## a random full-size ViT-L/14 in $(CACHE_DIR)/full-l14 (not in git) + goldens for ORACLE's torch
	$(ORACLE_PY) testdata/gen/full.py $(FULL_DIR)

parity-full: libtorch ## Go vs transformers on the full-size ViT-L/14 (built if missing): max |Δ|, load times, peak RSS; eager, and SDPA on TORCH=2.11.0
	@test -f $(FULL_DIR)/golden$(GOLDEN_SUFFIX)/index.json || $(MAKE) fixtures-full
	@if [ "$(ORACLE)" = 5 ] && [ ! -f $(FULL_DIR)/golden$(GOLDEN_SUFFIX)/sdpa/index.json ]; then \
	  $(MAKE) oracle && $(ORACLE_PY) testdata/gen/full.py --sdpa $(FULL_DIR); fi
	ZEROSHOT_FULL_MODEL=$(FULL_DIR) $(GO_TORCH) test -count=1 -timeout 60m -run '^TestFullModelParity$$' -v ./clip/

# The generated shape sweep (testdata/gen/gen_shapes.py): SHAPES_N random images (sizes 1..5,000 px a
# side, aspect ratios to 1:200, PNG modes and JPEG variants, every fixture config) from SHAPES_SEED,
# digested by the 4.54 oracle (transformers' slow PIL processor) once into $(CACHE_DIR)/shapes/ (keyed by
# seed, count and generator), then
# compared with the Go side in both flows and on both resampling code paths. `make test` runs the
# committed sample (testdata/shapes) only.
SHAPES_SEED ?= 1
SHAPES_N ?= 4000
SHAPES_DIR = $(CACHE_DIR)/shapes/seed$(SHAPES_SEED)-n$(SHAPES_N)-$(shell cat testdata/gen/gen_shapes.py testdata/gen/jpegenc.py requirements-oracle.txt | sha256sum | cut -c1-12)

.PHONY: parity-shapes
parity-shapes: ## Go vs Pillow/HF (4.54 oracle) on SHAPES_N generated images (seed SHAPES_SEED): counts per flow and code path
	$(MAKE) oracle ORACLE=4.54
	@set -eo pipefail; start=$$(date +%s); py=$$($(MAKE) -s ORACLE=4.54 print-oracle-py); \
	test -f $(SHAPES_DIR)/cases.json || \
		$$py -W ignore testdata/gen/gen_shapes.py --out $(SHAPES_DIR) --seed $(SHAPES_SEED) --n $(SHAPES_N); \
	test -f $(SHAPES_DIR)-table/table.json || $$py -W ignore testdata/gen/gen_shapes.py --table $(SHAPES_DIR)-table; \
	echo "parity-shapes: oracle ready after $$(( $$(date +%s) - start )) s; running the Go side"; \
	ZEROSHOT_SHAPES=$(SHAPES_DIR) ZEROSHOT_SHAPES_TABLE=$(SHAPES_DIR)-table $(GO) test -count=1 -v -timeout 90m \
		-run '^(TestShapeSweep|TestShapeTable)$$' ./preprocess/ | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$$'; \
	echo "parity-shapes: $$(( $$(date +%s) - start )) s in all"

# transformers 5's two image processors on the parity-shapes sweep (every decoder mode, EXIF,
# 15 configs): references pil5 and tv5 added to its cached cases.json by the 5 oracle
# (testdata/gen/shapes_v5.py), then package preprocess (AlphaOnWhite) against pil5 and package
# tvprocess against tv5.
.PHONY: parity-shapes-v5
parity-shapes-v5: libtorch ## (TORCH=2.11.0) transformers 5's PIL and torchvision backends on the parity-shapes sweep
	$(MAKE) oracle ORACLE=4.54
	$(MAKE) oracle ORACLE=5
	@set -eo pipefail; start=$$(date +%s); py4=$$($(MAKE) -s ORACLE=4.54 print-oracle-py); py5=$$($(MAKE) -s ORACLE=5 print-oracle-py); \
	test -f $(SHAPES_DIR)/cases.json || \
		$$py4 -W ignore testdata/gen/gen_shapes.py --out $(SHAPES_DIR) --seed $(SHAPES_SEED) --n $(SHAPES_N); \
	test -f $(SHAPES_DIR)/.v5 || { $$py5 -W ignore testdata/gen/shapes_v5.py $(SHAPES_DIR) && touch $(SHAPES_DIR)/.v5; }; \
	echo "parity-shapes-v5: references ready after $$(( $$(date +%s) - start )) s; running the Go side"; \
	ZEROSHOT_SHAPES=$(SHAPES_DIR) ZEROSHOT_SHAPES_REF=pil5 $(GO) test -count=1 -v -timeout 90m \
		-run '^TestShapeSweep$$' ./preprocess/ | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$$'; \
	ZEROSHOT_SHAPES=$(SHAPES_DIR) $(GO_TORCH) test -count=1 -v -timeout 90m \
		-run '^TestShapeSweepTorchvision$$' ./tvprocess/ | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$$'; \
	echo "parity-shapes-v5: $$(( $$(date +%s) - start )) s in all"

# transformers 5's image processors (torchvision and PIL backends) on a generated sweep of
# V5_SWEEP_N random cases (sizes 1..5,000 px a side, aspect to 1:200, alpha, every config),
# with libtorch's pinned CPU path and then its native one (ATEN_CPU_CAPABILITY=avx2: the
# AVX2 uint8 resize kernel), both sides alike. The committed sample runs in make test.
V5_SWEEP_N ?= 3000
V5_SWEEP_SEED ?= 1515
V5_SWEEP_DIR ?= $(CACHE_DIR)/v5-sweep
.PHONY: parity-v5-sweep
parity-v5-sweep: libtorch ## (ORACLE=5, TORCH=2.11.0) transformers 5's image processors vs Go on a generated sweep (V5_SWEEP_N cases)
	$(MAKE) oracle ORACLE=5
	@set -eo pipefail; py=$$($(MAKE) -s ORACLE=5 print-oracle-py); mkdir -p $(V5_SWEEP_DIR); \
	for cap in default avx2; do \
	  f=$(V5_SWEEP_DIR)/sweep-$(V5_SWEEP_SEED)-$(V5_SWEEP_N)-$$cap.json; \
	  test -f $$f || ATEN_CPU_CAPABILITY=$$cap $$py testdata/gen/v5_sweep.py --out $$f --n $(V5_SWEEP_N) --seed $(V5_SWEEP_SEED); \
	  ATEN_CPU_CAPABILITY=$$cap ZEROSHOT_V5_SWEEP=$$f $(GO_TORCH) test -count=1 -timeout 60m -run '^TestV5Sweep$$' -v ./tvprocess/ | grep -v '^=== RUN'; \
	done

# Two promises, two targets. make test: every test, the golden ones against the committed
# goldens (made on one CPU) within golden.CrossCPU ulps. make parity: Go equals Python on
# this machine, bit for bit: the oracle makes every golden here (pinned, then unpinned) and
# the golden tests compare with them exactly (scripts/parity.sh). make test-cpus: the golden
# tests under other CPUs emulated with libtorch's dispatch controls (scripts/test-cpus.sh),
# the matrix in build/test-cpus.md. make cpu-ops: which op moves under which control
# (scripts/cpu-ops.py: each op replayed on the same inputs), the table in build/cpu-ops.md.
PARITY_DIR ?= $(CACHE_DIR)/parity
.PHONY: parity test-cpus cpu-ops
parity: libtorch oracle ## Go vs the Python oracle on this machine, bit for bit (goldens made here, pinned and unpinned; ~6 min)
	PARITY_DIR=$(PARITY_DIR) GOFLAGS="$(strip $(GOFLAGS) -modfile=$(CURDIR)/build/go.gen.mod)" GO=$(GO) scripts/parity.sh

test-cpus: libtorch ## the golden tests under emulated CPUs (MKL, oneDNN, ATen levels, threads): the matrix in build/test-cpus.md (~8 min)
	GOFLAGS="$(strip $(GOFLAGS) -modfile=$(CURDIR)/build/go.gen.mod)" GO=$(GO) scripts/test-cpus.sh

CPU_OPS_LEVELS := mkl-isa-avx:MKL_ENABLE_INSTRUCTIONS=AVX onednn-avx:ONEDNN_MAX_CPU_ISA=AVX onednn-sse41:ONEDNN_MAX_CPU_ISA=SSE41 \
	mkl-sse4_2:MKL_CBWR=SSE4_2 mkl-avx2:MKL_CBWR=AVX2 mkl-auto:MKL_CBWR=AUTO aten-avx2:ATEN_CPU_CAPABILITY=avx2 \
	threads-2:TORCH_THREADS=2 unpinned:ZEROSHOT_NO_REPRO=1
cpu-ops: oracle ## (dev) per-op table: which of CLIP's ops give other bits under which dispatch level -> build/cpu-ops.md
	@set -e; d=$$(mktemp -d); trap 'rm -rf $$d' EXIT; \
	$(ORACLE_PY) -W ignore scripts/cpu-ops.py capture $$d; \
	CPU_LEVEL=pinned $(ORACLE_PY) -W ignore scripts/cpu-ops.py replay $$d $$d/0-pinned.json; files=$$d/0-pinned.json; \
	for l in $(CPU_OPS_LEVELS); do n=$${l%%:*}; e=$${l#*:}; \
	  env CPU_LEVEL=$$n $$e $(ORACLE_PY) -W ignore scripts/cpu-ops.py replay $$d $$d/$$n.json; files="$$files $$d/$$n.json"; done; \
	mkdir -p build; { echo "# Which op moves under which dispatch level (libtorch $(TORCH), $$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"; echo; \
	  $(ORACLE_PY) scripts/cpu-ops.py table $$files; } > build/cpu-ops.md; cat build/cpu-ops.md

# Op traces of one forward, Go against transformers (issue 22): libtorch's Kineto profiler on
# both sides (gotch patch 0007; torch.profiler), compared op by op by bench/optrace.py.
OPTRACE_MODEL ?= $(if $(wildcard $(FULL_DIR)/model.safetensors),$(FULL_DIR),testdata/models/tiny-l14)
OPTRACE_ARGS ?= --attn sdpa --batch 1 --texts 8
.PHONY: op-trace
op-trace: libtorch oracle ## Go vs transformers op by op, one image and one text forward (OPTRACE_MODEL, OPTRACE_ARGS) -> build/op-trace/REPORT.md
	$(GO_TORCH) build -o build/bench/gobench ./bench/cmd/gobench
	$(ORACLE_PY) -W ignore bench/optrace.py run --gobench build/bench/gobench --model $(OPTRACE_MODEL) $(OPTRACE_ARGS) --out build/op-trace

.PHONY: bench
bench: libtorch oracle ## Go vs transformers side by side (BENCH_QUICK=1: ~3 min) -> bench/REPORT.md, bench/report.json
	@test -f $(FULL_DIR)/.complete || $(MAKE) fixtures-full
	FULL_DIR=$(FULL_DIR) bench/run.sh

# The GPU kit: CUDA binaries against the PyPI torch 2.11.0 (cu130) wheel + models + driver,
# for a GPU machine whose python3 has torch 2.11.0 and transformers (bench/gpu/README.md).
KIT_DIR ?= build/gpu-kit
.PHONY: gpu-kit
gpu-kit: ## build $(KIT_DIR) (<= 60 MiB, git-ignored): run its run.sh on a GPU machine
	$(MAKE) libtorch TORCH=2.11.0 CUDA=link
	bench/gpu/pack.sh $(KIT_DIR)

.PHONY: gpu-kit-dry
gpu-kit-dry: gpu-kit ## the kit's dry run here: every step on CPU, small sizes, with the 5 oracle's torch 2.11.0 -> build/gpu-kit-dry
	$(MAKE) oracle ORACLE=5
	rm -rf $(CURDIR)/build/gpu-kit-dry
	PYTHON=$$($(MAKE) -s ORACLE=5 print-oracle-py) $(KIT_DIR)/run.sh --device cpu --quick --out $(CURDIR)/build/gpu-kit-dry --work $(CACHE_DIR)/gpu-kit-dry

# zeroshot-setup from this clone into another module (before the module is published, or to
# develop against a clone): libtorch + patched gotch + that module's go.mod replace lines.
setup: ## set up the Go module in MODULE=DIR to import this clone (TORCH=, CUDA=1, LIBTORCH= as for libtorch)
	@test -n "$(MODULE)" || { echo "usage: make setup MODULE=/path/to/your/module" >&2; exit 2; }
	$(GO) run ./cmd/zeroshot-setup -C "$(MODULE)" $(if $(TORCH),--torch $(TORCH)) $(if $(filter 1,$(CUDA)),--cuda) $(if $(LIBTORCH),--libtorch "$(LIBTORCH)")

# Real notebook kernels, everything in the cache: Jupyter's runner (jupyter execute) in a venv,
# GoNB and goimports built from tools/notebook (pinned there).
NB_VENV := $(CACHE_DIR)/jupyter-$(shell sha256sum requirements-notebook.txt | cut -c1-12)
NB_TOOLS := $(CACHE_DIR)/gonb-$(shell cat tools/notebook/go.mod tools/notebook/go.sum 2>/dev/null | sha256sum | cut -c1-12)

.PHONY: notebook notebook-tools
notebook-tools: $(NB_VENV)/.complete $(NB_TOOLS)/.complete
$(NB_VENV)/.complete:
	@echo "notebook: Jupyter in $(NB_VENV)"
	rm -rf $(NB_VENV)
	python3 -m venv $(NB_VENV)
	$(NB_VENV)/bin/pip install -q --no-input --no-deps -r requirements-notebook.txt
	touch $@
$(NB_TOOLS)/.complete:
	@echo "notebook: GoNB and goimports in $(NB_TOOLS)/bin"
	rm -rf $(NB_TOOLS) && mkdir -p $(NB_TOOLS)/bin
	cd tools/notebook && GOFLAGS= $(GO) build -o $(NB_TOOLS)/bin/ github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports
	touch $@

notebook: libtorch notebook-tools ## run examples/notebook.ipynb in a real GoNB kernel (jupyter execute), outputs checked against the goldens
	ZEROSHOT_JUPYTER=$(NB_VENV)/bin ZEROSHOT_GONB=$(NB_TOOLS)/bin $(GO_TORCH) test -count=1 -timeout 30m -run '^TestNotebookGoNB$$' -v ./examples/

# gophernotes: v0.7.5's kernel on a newer gomacro, patched (tools/gophernotes/build.sh says why),
# built into the cache. Its plugins get the patched gotch through GOMACRO_GOMOD.
.PHONY: gophernotes gophernotes-kernel
gophernotes: libtorch notebook-tools ## run examples/notebook-gophernotes.ipynb in gophernotes (jupyter execute), outputs checked against the goldens
	@dir=$$(tools/gophernotes/build.sh) && echo "gophernotes: $$dir/bin/gophernotes" && \
	ZEROSHOT_JUPYTER=$(NB_VENV)/bin ZEROSHOT_GOPHERNOTES=$$dir/bin $(GO_TORCH) test -count=1 -timeout 30m -run '^TestNotebookGophernotes$$' -v ./examples/

JUPYTER_KERNELS ?= $(or $(JUPYTER_DATA_DIR),$(HOME)/.local/share/jupyter)/kernels
gophernotes-kernel: ## install the kernel "Go (gophernotes + zeroshot)", importing this clone, into JUPYTER_KERNELS
	@set -eo pipefail; dir=$$(tools/gophernotes/build.sh); \
	lines=$$($(GO) run ./cmd/zeroshot-setup --print $(if $(TORCH),--torch $(TORCH)) $(if $(filter 1,$(CUDA)),--cuda) | sed -n 's/^\t\(re[pq][lu][a-z]* .*\)$$/\1/p'); \
	mkdir -p "$(JUPYTER_KERNELS)/gophernotes-zeroshot"; \
	python3 -c 'import json,sys; print(json.dumps({"argv": [sys.argv[1], "{connection_file}"], "display_name": "Go (gophernotes + zeroshot)", "language": "go", "env": {"GOMACRO_GOMOD": sys.argv[2]}}, indent=1))' \
		"$$dir/bin/gophernotes" "$$lines" > "$(JUPYTER_KERNELS)/gophernotes-zeroshot/kernel.json"; \
	cp "$$dir"/kernel/logo-*.png "$(JUPYTER_KERNELS)/gophernotes-zeroshot/"; \
	echo "gophernotes-kernel: $(JUPYTER_KERNELS)/gophernotes-zeroshot/kernel.json (GOMACRO_GOMOD: $$lines)"

# Hugging Face's and OpenAI's Python clients (requirements-clients.txt, pinned, no torch) against
# a live server: serve's TestPythonClients. The venv is cached in $(CACHE_DIR), keyed by the file.
CLIENTS_VENV := $(CACHE_DIR)/clients-$(shell sha256sum requirements-clients.txt | cut -c1-12)

.PHONY: clients-test clients-venv
clients-venv: $(CLIENTS_VENV)/.complete
$(CLIENTS_VENV)/.complete:
	@echo "clients: huggingface_hub and openai in $(CLIENTS_VENV)"
	rm -rf $(CLIENTS_VENV)
	python3 -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/pip install -q --no-input --no-deps -r requirements-clients.txt
	touch $@

clients-test: libtorch clients-venv ## huggingface_hub's InferenceClient and openai's client, unmodified, against a live server (~1 min once the venv exists)
	@set -o pipefail; ZEROSHOT_CLIENTS_PY=$(CLIENTS_VENV)/bin/python $(GO_TORCH) test -count=1 -run '^TestPythonClients$$' -v ./serve/ | grep -v '^=== RUN'
# A real single-node Slurm (Debian 12's slurm-wlm + munge, installed if missing; root):
# examples/slurm/submit.sh, unmodified, through a failing task, a resubmission and a
# resubmission with other labels; the merged file against a single run, byte for byte.
.PHONY: slurm-test
slurm-test: build ## (root) examples/slurm on a real one-node Slurm: failing task, resubmission, stale labels refused (~1 min)
	$(GO_TORCH) build -o build/bench/gobench ./bench/cmd/gobench
	scripts/slurm-test.sh

# A real S3-compatible server for the s3:// tests: SeaweedFS (Apache-2.0), pinned in
# tools/seaweedfs/go.mod, built from the module proxy into the cache (keyed by its go.mod
# and go.sum). The tests start it on free loopback ports and stop it.
WEED_DIR := $(CACHE_DIR)/seaweedfs-$(shell cat tools/seaweedfs/go.mod tools/seaweedfs/go.sum 2>/dev/null | sha256sum | cut -c1-12)
WEED := $(WEED_DIR)/bin/weed

.PHONY: s3-tools s3-test s3-bench
s3-tools: $(WEED) ## build SeaweedFS's server (weed) into the cache, once
$(WEED):
	@echo "s3: SeaweedFS in $(WEED_DIR)/bin"
	rm -rf $(WEED_DIR) && mkdir -p $(WEED_DIR)/bin
	cd tools/seaweedfs && GOFLAGS= GONOSUMDB=github.com/seaweedfs/seaweedfs $(GO) build -trimpath -ldflags="-s -w" -o $(WEED).tmp github.com/seaweedfs/seaweedfs/weed
	mv $(WEED).tmp $(WEED)

s3-test: libtorch s3-tools ## s3:// sources against a local SeaweedFS: listings, objects, errors, credentials, classify/embed with --shard + merge
	@set -o pipefail; ZEROSHOT_S3_TEST=1 ZEROSHOT_WEED=$(WEED) $(GO_TORCH) test -count=1 -run 'S3' -v ./source/s3/ ./cmd/zeroshot/ 2>&1 | grep -v '^=== RUN'

S3_BENCH_N ?= 10000
s3-bench: libtorch s3-tools ## S3_BENCH_N tiny images in a local SeaweedFS bucket, classified in 4 shards + merge, vs the same files on disk (images/s)
	ZEROSHOT_S3_TEST=1 ZEROSHOT_S3_BENCH=$(S3_BENCH_N) ZEROSHOT_WEED=$(WEED) $(GO_TORCH) test -count=1 -timeout 60m -run '^TestS3Bench$$' -v ./cmd/zeroshot/

.PHONY: serve-report
serve-report: libtorch ## serve on tiny-l14: req/s with auth/TLS vs plain, and two clients (one flooding) with/without the share (~5 min)
	ZEROSHOT_SECURITY_REPORT=1 $(GO_TORCH) test -count=1 -run '^TestSecurityReport$$' -v -timeout 30m ./serve/

# The performance figures of docs/ (docs/images/*.svg), drawn from the committed reports with
# gonum.org/v1/plot by tools/plots, a module of its own; make test checks they are current.
.PHONY: plots
plots: ## redraw docs/images/*.svg from bench/report.json, bench/runs/*/report.json, bench/gpu/runs/*/report.json
	cd tools/plots && GOFLAGS= $(GO) run . -root ../..

clean: ## remove build outputs in the clone (the cache in $(CACHE_DIR) stays)
	rm -rf bin build

# Fuzz targets, each run for FUZZTIME in turn (a duration, or a count like 3000x; CI: 3000x). Seed corpora are
# committed in each package's testdata/fuzz/<Target>/ (serve/internal/fuzzseeds writes them);
# a crasher the fuzzer finds is written there too: commit it with the fix.
FUZZTIME ?= 10s
FUZZ_TARGETS := \
	./preprocess:FuzzDecode \
	./preprocess:FuzzParseConfig \
	./tokenize:FuzzEncode \
	./clip:FuzzSafetensors \
	./clip:FuzzParseConfig \
	./serve:FuzzDecodeRequest \
	./serve:FuzzHandler \
	./serve:FuzzAuthorization

.PHONY: fuzz
fuzz: libtorch ## run every fuzz target for FUZZTIME (default 10s) in turn
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz: $$pkg $$name for $(FUZZTIME)"; \
		$(GO_TORCH) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME); \
	done
