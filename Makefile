# krmfn - see README.md. Everything runs from a local virtualenv (.venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGIN_HOME := $(CURDIR)/.cache/kustomize-plugins
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: version install lint typecheck test test-fast example kpt-example golden docs image image-argocd push push-argocd dist clean bench fuzz
# One version source: krmfn/__init__.py (the package, `krmfn --version`, the wheel and the image tag).
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' krmfn/__init__.py)
IMAGE_NAME ?= localhost/krmfn
IMAGE ?= $(IMAGE_NAME):$(VERSION)
BASE_IMAGE ?= python:3.11-slim

$(BIN)/krmfn: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(BIN)/krmfn

## Build the example app with kubectl's kustomize, krmfn as its exec plugin.
example: install
	@$(BIN)/krmfn install-plugin $(PLUGIN_HOME) >/dev/null
	KUSTOMIZE_PLUGIN_HOME=$(PLUGIN_HOME) kubectl kustomize --enable-alpha-plugins kustomization-example

## Render the kpt example package (in a scratch copy).
kpt-example: install
	rm -rf .cache/kpt-example && mkdir -p .cache && cp -r kustomization-example/kpt .cache/kpt-example
	kpt fn render --allow-exec .cache/kpt-example
	cat .cache/kpt-example/web.yaml

## Lint (ruff: pyproject's [tool.ruff]) and type check (mypy --strict on krmfn: pyproject's [tool.mypy]).
lint: install
	$(BIN)/ruff check krmfn tests tools bench fuzz

typecheck: install
	$(BIN)/mypy

## Everything: lint, types, then every test (CI runs this).
test: lint typecheck
	$(BIN)/python -m pytest

## The fast core (no subprocess of krmfn, kpt or kubectl, no container engine, nothing slow, no ../shared
## goldens; markers in pyproject.toml, see DEVELOPERS.md). `make test` runs everything.
test-fast: install
	$(BIN)/python -m pytest -q -m "not e2e and not container and not slow and not conformance"

## Rewrite tests/testdata/*/expected.yaml after an intended change (review the diff!).
golden: install
	KRMFN_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

## Fuzz function and stream mode with N generated inputs (fuzz/fuzz_krmfn.py; make fuzz N=100000).
N ?= 10000
## ... in-place writes under file-system faults and signals (fuzz/fuzz_files.py), and the sandbox classes
## (fuzz/sandbox.py): hostile templates, worker faults, memory limits (slower per input).
SANDBOX_N ?= 1000
fuzz: install
	$(BIN)/python fuzz/fuzz_krmfn.py -n $(N)
	$(BIN)/python fuzz/fuzz_krmfn.py --mode files -n $(SANDBOX_N)
	$(BIN)/python fuzz/fuzz_krmfn.py --mode templates -n $(SANDBOX_N)
	$(BIN)/python fuzz/fuzz_krmfn.py --mode workers -n $$(( $(SANDBOX_N) / 5 + 1 ))
	$(BIN)/python fuzz/fuzz_krmfn.py --mode memory -n $$(( $(SANDBOX_N) / 50 + 1 ))

## Rewrite docs/reference.md (what `krmfn help config` prints) and the results table of docs/messages.md
## from krmfn/docs.py (the results from the catalog, krmfn/messages.py).
docs: install
	$(BIN)/python tools/update_docs.py

## Print the version (krmfn/__init__.py), e.g. to tag a release.
version:
	@echo $(VERSION)

## The sdist and the wheel in dist/ (python -m build).
dist: install
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

## Build the container image, tagged with the version and :dev (what the examples name), with OCI labels;
## offline: make image BASE_IMAGE=localhost/krmfn-base:bookworm (see DEVELOPERS.md).
image:
	docker build --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg VERSION=$(VERSION) \
	  --label org.opencontainers.image.revision=$$(git rev-parse HEAD 2>/dev/null || echo unknown) \
	  -t $(IMAGE) -t $(IMAGE_NAME):dev .

## The Argo CD sidecar's image: krmfn plus git for kustomize's remote bases (kustomization-example/argocd).
ARGOCD_IMAGE ?= $(IMAGE_NAME)-argocd:$(VERSION)
image-argocd: image
	docker build --build-arg KRMFN_IMAGE=$(IMAGE) --label org.opencontainers.image.version=$(VERSION) \
	  -t $(ARGOCD_IMAGE) kustomization-example/argocd

## Push an image where clusters pull from: make push REGISTRY=registry.example/team (REGISTRY/krmfn:VERSION);
## make push-argocd REGISTRY=... (REGISTRY/krmfn-argocd:VERSION).
define push_image
	@test -n "$(REGISTRY)" || { echo "usage: make $@ REGISTRY=<registry>/<path>" >&2; exit 2; }
	docker tag $(1) $(REGISTRY)/$(notdir $(1))
	docker push $(REGISTRY)/$(notdir $(1))
endef
push:
	$(call push_image,$(IMAGE))
push-argocd:
	$(call push_image,$(ARGOCD_IMAGE))

## krmfn against kpt fn source (1k, 3k, 10k workloads) and start-up; BENCH_ARGS="--runs 3 --config FILE".
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .cache .pytest_cache build dist
