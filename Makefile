# krmfn - see README.md. Everything runs from a local virtualenv (.venv).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGIN_HOME := $(CURDIR)/.cache/kustomize-plugins
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install test example kpt-example golden docs image clean bench fuzz
IMAGE ?= localhost/krmfn:dev
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

test: install
	$(BIN)/python -m pytest

## Rewrite tests/testdata/*/expected.yaml after an intended change (review the diff!).
golden: install
	KRMFN_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

## Fuzz function and stream mode with N generated inputs (fuzz/fuzz_krmfn.py; make fuzz N=100000).
N ?= 10000
## ... and the sandbox classes (fuzz/sandbox.py): hostile templates, worker faults, memory limits (slower per input).
SANDBOX_N ?= 1000
fuzz: install
	$(BIN)/python fuzz/fuzz_krmfn.py -n $(N)
	$(BIN)/python fuzz/fuzz_krmfn.py --mode templates -n $(SANDBOX_N)
	$(BIN)/python fuzz/fuzz_krmfn.py --mode workers -n $$(( $(SANDBOX_N) / 5 + 1 ))
	$(BIN)/python fuzz/fuzz_krmfn.py --mode memory -n $$(( $(SANDBOX_N) / 50 + 1 ))

## Rewrite README's configuration reference from krmfn --help.
docs: install
	$(BIN)/python tools/update_readme.py

## Build the container image; offline: make image BASE_IMAGE=localhost/krmfn-base:bookworm (see DEVELOPERS.md).
image:
	docker build --build-arg BASE_IMAGE=$(BASE_IMAGE) -t $(IMAGE) .

## krmfn against kpt fn source (1k, 3k, 10k workloads) and start-up; BENCH_ARGS="--runs 3 --config FILE".
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .cache .pytest_cache
