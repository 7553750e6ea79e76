# zeroshot-clip: zero-shot image classification with CLIP in Go (gotch + libtorch 2.1.0).
# `make help` lists the targets.

SHELL := bash
.DEFAULT_GOAL := help
include libtorch.mk

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# Python oracle (Hugging Face transformers on torch 2.1.0), cached outside the clone.
ORACLE_DIR := $(CACHE_DIR)/oracle-$(shell sha256sum requirements-oracle.txt | cut -c1-12)
ORACLE_PY := $(ORACLE_DIR)/bin/python
export ORACLE_PY

.PHONY: help test test-plain vet build run oracle fixtures fixtures-full parity-full clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

test: libtorch test-plain ## set up (idempotent), go vet, go test ./...
	$(GO_TORCH) vet ./...
	$(GO_TORCH) test ./...

test-plain: ## the plain-Go packages with the committed go.mod and no libtorch
	$(GO) test ./preprocess/... ./tokenize/...

build: libtorch ## build bin/zeroshot
	$(GO_TORCH) build -ldflags "$(LDFLAGS)" -o bin/zeroshot ./cmd/zeroshot

run: build ## classify examples/chelsea.png as cat/dog/fox/owl (default model: fetched once, 1.7 GB; or MODEL=dir)
	bin/zeroshot classify examples/chelsea.png --labels cat,dog,fox,owl $(if $(MODEL),--model $(MODEL))

oracle: $(ORACLE_DIR)/.complete ## the Python reference environment (torch 2.1.0 + transformers)
$(ORACLE_DIR)/.complete: requirements-oracle.txt
	@echo "oracle: creating $(ORACLE_DIR)"
	rm -rf $(ORACLE_DIR)
	python3 -m venv $(ORACLE_DIR)
	$(ORACLE_PY) -m pip install -q --no-input -r requirements-oracle.txt
	touch $@

fixtures: oracle ## regenerate testdata/ (tiny models, images, goldens) with the oracle
	$(ORACLE_PY) testdata/gen/all.py

# The full-size random ViT-L/14 (~3.4 GB with goldens), outside git.
FULL_DIR ?= $(CACHE_DIR)/full-l14

fixtures-full: oracle ## build a random full-size ViT-L/14 + goldens in $(CACHE_DIR)/full-l14 (not in git)
	$(ORACLE_PY) testdata/gen/full.py $(FULL_DIR)

parity-full: libtorch ## Go vs transformers on the full-size ViT-L/14 (built if missing): max |Δ|, load times, peak RSS
	@test -f $(FULL_DIR)/.complete || $(MAKE) fixtures-full
	ZEROSHOT_FULL_MODEL=$(FULL_DIR) $(GO_TORCH) test -count=1 -timeout 60m -run '^TestFullModelParity$$' -v ./clip/

.PHONY: bench
bench: libtorch oracle ## Go vs transformers side by side (BENCH_QUICK=1: ~3 min) -> bench/REPORT.md, bench/report.json
	@test -f $(FULL_DIR)/.complete || $(MAKE) fixtures-full
	FULL_DIR=$(FULL_DIR) bench/run.sh

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
	./serve:FuzzHandler

.PHONY: fuzz
fuzz: libtorch ## run every fuzz target for FUZZTIME (default 10s) in turn
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz: $$pkg $$name for $(FUZZTIME)"; \
		$(GO_TORCH) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME); \
	done
