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

clean: ## remove build outputs in the clone (the cache in $(CACHE_DIR) stays)
	rm -rf bin build
