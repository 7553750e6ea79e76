# libtorch.mk: find or fetch libtorch 2.1.0 and build gotch v0.9.1 against it.
#
#   make ... LIBTORCH=/opt/libtorch   use an unpacked official libtorch 2.1.0 zip (CPU or CUDA)
#   make ... CUDA=1                   link libtorch's CUDA libraries (auto when LIBTORCH has them)
#   (neither)                         PyPI's torch==2.1.0 wheel, unpacked once into $(CACHE_DIR)
#
# Everything fetched or generated lives in $(CACHE_DIR), outside the clone, so a fresh clone
# reuses it. The patched gotch copy is wired in through build/go.gen.mod (used with
# -modfile); the committed go.mod is untouched and stays importable.

CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zeroshot-clip
export CACHE_DIR
export LIBTORCH
export CUDA

GO ?= go
# The go command with the generated module file (gotch replaced by the patched copy).
GO_TORCH = GOFLAGS="$(strip $(GOFLAGS) -modfile=$(CURDIR)/build/go.gen.mod)" $(GO)

.PHONY: libtorch
libtorch: ## resolve libtorch 2.1.0 and generate the patched gotch copy (idempotent)
	@set -eo pipefail; mkdir -p build; \
	scripts/libtorch.sh > build/libtorch.env.tmp; \
	set -a; . build/libtorch.env.tmp; set +a; \
	scripts/gen-gotch.sh > build/gotch.dir; \
	mv build/libtorch.env.tmp build/libtorch.env; \
	echo "libtorch: $$LT_DIR (ABI $$LT_ABI, CUDA $$LT_CUDA); gotch: $$(cat build/gotch.dir)"
