# libtorch.mk: find or fetch libtorch and build gotch v0.9.1 against it.
#
#   make ... TORCH=2.1.0              the libtorch release (scripts/torch-versions.sh lists them
#                                     and names the default)
#   make ... LIBTORCH=/opt/libtorch   use an unpacked official libtorch zip of that release
#                                     (CPU or CUDA), or a Python install's site-packages/torch
#   make ... CUDA=1                   link libtorch's CUDA libraries (auto when LIBTORCH has them)
#   make ... CUDA=link                link them without fetching NVIDIA's wheels (make gpu-kit)
#   (neither)                         PyPI's torch==$(TORCH) wheel, unpacked once into $(CACHE_DIR)
#
# Everything fetched or generated lives in $(CACHE_DIR), outside the clone, so a fresh clone
# reuses it. The patched gotch copy is wired in through build/go.gen.mod (used with
# -modfile); the committed go.mod is untouched and stays importable.

CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zeroshot-clip
export CACHE_DIR
TORCH ?= $(shell scripts/torch-versions.sh default)
export TORCH
export LIBTORCH
export CUDA

GO ?= go
# The go command with the generated module file (gotch replaced by the patched copy).
GO_TORCH = GOFLAGS="$(strip $(GOFLAGS) -modfile=$(CURDIR)/build/go.gen.mod)" $(GO)

.PHONY: libtorch
libtorch: ## resolve libtorch $(TORCH) and generate the patched gotch copy (idempotent; TORCH=, LIBTORCH=, CUDA=)
	@set -eo pipefail; mkdir -p build; \
	scripts/libtorch.sh > build/libtorch.env.tmp; \
	set -a; . build/libtorch.env.tmp; set +a; \
	scripts/gen-gotch.sh > build/gotch.dir; \
	mv build/libtorch.env.tmp build/libtorch.env; \
	echo "libtorch $$LT_VERSION: $$LT_DIR (ABI $$LT_ABI, CUDA $$LT_CUDA); gotch: $$(cat build/gotch.dir)"
