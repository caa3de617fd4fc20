# modelwire developer tasks. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Pinned so a fresh machine resolves the same toolchain every time.
PIP_BOOTSTRAP := pip>=25.1

# Release artifacts (`make wheels`): one manylinux2014 wheel per CPython below, the pure-Python wheel and
# the sdist, into dist/. .github/workflows/release.yml builds the same with the same MATURIN_RELEASE
# arguments on the platforms this machine cannot (tests/test_packaging.py keeps the two in step).
WHEEL_PYTHONS ?= 3.11 3.12 3.13
MATURIN_RELEASE := --release --zig --compatibility manylinux2014
BUILD_VENV := .venv-build
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# The interpreter for version $(1): pyenv's when it has one, else pythonX.Y on PATH.
python_for = $(or $(firstword $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python)),python$(1))
cp = cp$(subst .,,$(1))
STAMPS := build/stamps
# Every input of a wheel: a change to any of them rebuilds the wheels.
SOURCES := $(shell find python rust -type f ! -name '*.so' ! -name '*.pyd' ! -path '*/__pycache__/*') \
	Cargo.toml Cargo.lock pyproject.toml README.md LICENSE
# Dependencies of the wheels, downloaded from PyPI once; every wheel is then installed with --no-index.
WHEELHOUSE := build/wheelhouse
PURE_WHEEL := dist/modelwire-$(VERSION)-py3-none-any.whl

# What `make test` runs, in order (each a target below; add yours here).
TEST_STEPS := test-rust test-binary-wheel test-pure-wheel

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "$(PIP_BOOTSTRAP)"
	$(PY) -m pip install -q --group dev
	touch $@

.PHONY: dev
dev: $(VENV)/.installed ## Create .venv and build the extension in place (editable, release mode)
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release -q

.PHONY: demo
demo: dev ## Run the main job on its embedded default
	$(VENV)/bin/modelwire demo

.PHONY: test
test: $(TEST_STEPS) ## cargo test, then pytest on the release wheel and on the pure wheel, each installed fresh

.PHONY: test-rust
test-rust: ## cargo test of the Rust crates
	cargo test -q --workspace

# A fresh venv $(1) of Python $(2) holding the wheel file $(3): its dependencies are downloaded from PyPI
# into the local wheelhouse, then it is installed with --no-index, as on an air-gapped host. With $(4),
# that requirement is installed instead, so pip itself picks the file from dist/.
define fresh_install
	rm -rf $(1)
	$(2) -m venv $(1)
	$(1)/bin/python -m pip install -q --upgrade "$(PIP_BOOTSTRAP)"
	$(1)/bin/python -m pip download -q -d $(WHEELHOUSE) $(3)
	rm -f $(WHEELHOUSE)/modelwire-*  # pip download copies the wheel too; dist/ holds the only ones
	$(1)/bin/python -m pip install -q --no-index --find-links dist --find-links $(WHEELHOUSE) $(or $(4),$(3))
endef

# The whole suite against the modelwire installed in venv $(1), which must run backend $(2), over async
# transport $(3) (aiohttp, the default when installed, or httpx, the fallback). It runs from tests/ so
# nothing in the checkout can shadow the install.
define run_suite
	$(1)/bin/python -m pip install -q --group test
	cd tests && MODELWIRE_EXPECT_BACKEND=$(2) MODELWIRE_TRANSPORT=$(3) ../$(1)/bin/python -m pytest -q -p no:cacheprovider \
		--rootdir=.. -c ../pyproject.toml
endef

.PHONY: test-binary-wheel
test-binary-wheel: $(STAMPS)/wheel-$(PY_VERSION) ## pytest on the release wheel for $(PYTHON), installed fresh
	$(call fresh_install,.venv-test,$(PYTHON),dist/modelwire-$(VERSION)-$(call cp,$(PY_VERSION))-*.whl)
	$(call run_suite,.venv-test,rust,aiohttp)

.PHONY: test-pure-wheel
test-pure-wheel: $(STAMPS)/pure ## pytest on the pure-Python wheel, installed fresh
	$(call fresh_install,.venv-test-pure,$(PYTHON),$(PURE_WHEEL))
	$(call run_suite,.venv-test-pure,python,httpx)

$(BUILD_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/python -m pip install -q --upgrade "$(PIP_BOOTSTRAP)"
	$(BUILD_VENV)/bin/python -m pip install -q --group build
	touch $@

# maturin finds zig (the ziglang package) and auditwheel in the build venv.
BUILD_ENV := PATH="$(abspath $(BUILD_VENV))/bin:$$PATH"

$(STAMPS)/wheel-%: $(BUILD_VENV)/.installed $(SOURCES)
	$(BUILD_ENV) maturin build $(MATURIN_RELEASE) -q -i $(call python_for,$*) -o dist
	@mkdir -p $(@D) && touch $@

$(STAMPS)/sdist: $(BUILD_VENV)/.installed $(SOURCES)
	$(BUILD_ENV) maturin sdist -o dist
	@mkdir -p $(@D) && touch $@

# The pure wheel is the first binary wheel repacked without _core: same files, same metadata.
$(STAMPS)/pure: $(STAMPS)/wheel-$(firstword $(WHEEL_PYTHONS))
	$(PYTHON) tools/pure_wheel.py -o dist \
		dist/modelwire-$(VERSION)-$(call cp,$(firstword $(WHEEL_PYTHONS)))-*.whl
	@mkdir -p $(@D) && touch $@

.PHONY: wheels
wheels: $(addprefix $(STAMPS)/wheel-,$(WHEEL_PYTHONS)) $(STAMPS)/sdist $(STAMPS)/pure ## Release wheels (manylinux2014, one per WHEEL_PYTHONS), the pure wheel and the sdist into dist/, checked by auditwheel
	$(BUILD_ENV) $(BUILD_VENV)/bin/python tools/check_wheels.py dist \
		--pythons $(foreach v,$(WHEEL_PYTHONS),$(call cp,$(v)))

WHEEL_CHECKS := $(addprefix wheel-check-,$(WHEEL_PYTHONS))
.PHONY: wheel-check $(WHEEL_CHECKS) wheel-check-pure wheel-check-sdist
wheel-check: $(WHEEL_CHECKS) wheel-check-pure wheel-check-sdist ## Install every built wheel into a fresh venv of its Python (--no-index) and smoke-test it
	@# pip's order: a matching binary wheel (checked above), else the pure wheel, as for a CPython with none.
	rm -rf build/probe
	$(PYTHON) -m pip download -q --no-deps --no-index --find-links dist --only-binary :all: \
		--python-version 3.99 -d build/probe "modelwire==$(VERSION)"
	test -f build/probe/$(notdir $(PURE_WHEEL))

# By name, not path: pip itself must pick this Python's binary wheel over the pure wheel and the sdist.
$(WHEEL_CHECKS): wheel-check-%: wheels
	$(call fresh_install,.venv-check-$*,$(call python_for,$*),dist/modelwire-$(VERSION)-$(call cp,$*)-*.whl,"modelwire==$(VERSION)")
	.venv-check-$*/bin/python tools/wheel_smoke.py --backend rust

wheel-check-pure: wheels
	$(call fresh_install,.venv-check-pure,$(call python_for,$(lastword $(WHEEL_PYTHONS))),$(PURE_WHEEL))
	.venv-check-pure/bin/python tools/wheel_smoke.py --backend python

# The sdist builds a working wheel through pip's PEP 517 path (what --no-binary does); LTO off, as only
# the build is under test here. No shared cargo target dir: the sdist's files all carry one fixed mtime,
# so cargo would take a previous sdist's build as fresh (a stale _core, caught by its slots check).
wheel-check-sdist: wheels
	rm -rf build/sdist-wheel
	CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
		$(PYTHON) -m pip wheel -q --no-deps -w build/sdist-wheel dist/modelwire-$(VERSION).tar.gz
	$(call fresh_install,.venv-check-sdist,$(PYTHON),build/sdist-wheel/modelwire-*.whl)
	.venv-check-sdist/bin/python tools/wheel_smoke.py --backend rust

.PHONY: interop-lmi
interop-lmi: ## LMI interop: fhlmi 1.10.0 (and LiteLLM) in .venv-lmi against this tree (pure-Python backend)
	$(PYTHON) -m venv .venv-lmi
	.venv-lmi/bin/python -m pip install -q --upgrade "$(PIP_BOOTSTRAP)"
	.venv-lmi/bin/python -m pip install -q --group interop-lmi
	cd tests && PYTHONPATH=$(abspath python) MODELWIRE_PURE_PYTHON=1 ../.venv-lmi/bin/python -m pytest -q \
		-p no:cacheprovider -c /dev/null --rootdir=interop --confcutdir=interop interop

.PHONY: pytest
pytest: dev ## Run pytest against the editable build (both backends; aiohttp, then the httpx fallback)
	MODELWIRE_EXPECT_BACKEND=rust MODELWIRE_TRANSPORT=aiohttp $(PY) -m pytest -q
	MODELWIRE_PURE_PYTHON=1 MODELWIRE_EXPECT_BACKEND=python MODELWIRE_TRANSPORT=httpx $(PY) -m pytest -q

INTEROP_DD_VENV := .venv-interop-dd

$(INTEROP_DD_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(INTEROP_DD_VENV)
	$(INTEROP_DD_VENV)/bin/python -m pip install -q --upgrade "$(PIP_BOOTSTRAP)"
	$(INTEROP_DD_VENV)/bin/python -m pip install -q --group interop-dd
	touch $@

.PHONY: interop-dd
interop-dd: dev $(INTEROP_DD_VENV)/.installed ## Data Designer 0.9.7's own registry on modelwire adapters (own venv)
	cd tests && PYTHONPATH=../python ../$(INTEROP_DD_VENV)/bin/python -m pytest -q -p no:cacheprovider \
		--rootdir=.. -c ../pyproject.toml interop_dd

.PHONY: bench-dd
bench-dd: interop-dd ## Data Designer's parsing vs modelwire's (Rust via compat, twin) on recorded bodies
	PYTHONPATH=python $(INTEROP_DD_VENV)/bin/python benches/bench_data_designer.py --rounds 5

BENCH_TRANSPORT_VENV := .venv-bench-transport

$(BENCH_TRANSPORT_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_TRANSPORT_VENV)
	$(BENCH_TRANSPORT_VENV)/bin/python -m pip install -q --upgrade "$(PIP_BOOTSTRAP)"
	$(BENCH_TRANSPORT_VENV)/bin/python -m pip install -q --group bench-transport
	-$(BENCH_TRANSPORT_VENV)/bin/python -m pip install -q litellm  # a row of its own only if it installs
	touch $@

.PHONY: bench-transport
bench-transport: dev $(BENCH_TRANSPORT_VENV)/.installed ## Client CPU per request: every HTTP client side by side (nginx)
	command -v nginx >/dev/null || (apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null) || true
	PYTHONPATH=python $(BENCH_TRANSPORT_VENV)/bin/python benches/bench_transport.py $(BENCH_ARGS)

.PHONY: interop
interop: interop-lmi interop-dd ## Both interop groups: LMI's and Data Designer's real packages from PyPI, each in its own venv

.PHONY: lint
lint: dev ## ruff, mypy (strict), stubtest, import layers, clippy, rustfmt
	$(VENV)/bin/ruff check python tests benches tools
	$(VENV)/bin/ruff format --check python tests benches tools
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy tools
	$(PY) -m mypy.stubtest modelwire._core --mypy-config-file pyproject.toml
	$(VENV)/bin/lint-imports --config pyproject.toml
	cargo clippy -q --workspace --all-targets -- -D warnings
	cargo fmt --all --check

.PHONY: fmt
fmt: $(VENV)/.installed ## Format Python and Rust sources
	$(VENV)/bin/ruff format python tests benches tools
	$(VENV)/bin/ruff check --fix -q python tests benches tools
	cargo fmt --all

# Quick settings so the whole set fits in a few minutes; each script's own defaults (--help) run longer.
.PHONY: bench
bench: dev ## Run every side-by-side benchmark (quick settings, ~5 min) and print its table
	@echo "== parsing: benches/report.py"; $(PY) benches/report.py --rounds 11
	@echo "== stream folding: benches/bench_stream.py"; $(PY) benches/bench_stream.py --rounds 5
	@echo "== SSE decoding: benches/bench_sse.py"; $(PY) benches/bench_sse.py --repeat 5
	@echo "== Responses API: benches/bench_responses.py"; $(PY) benches/bench_responses.py --rounds 5
	@echo "== Bedrock event streams: benches/bench_eventstream.py"; $(PY) benches/bench_eventstream.py --rounds 7
	@echo "== client CPU per request: benches/bench_client.py"; \
		$(PY) benches/bench_client.py --requests 300 --rounds 5
	@echo "== local server cost: benches/bench_local_server.py"; \
		$(PY) benches/bench_local_server.py --requests 1000 --concurrency 1 64
	@echo "== retry layer overhead: benches/bench_load_policy_overhead.py"; \
		$(PY) benches/bench_load_policy_overhead.py
	@echo "== load against a rate limit: benches/bench_load.py"; $(PY) benches/bench_load.py
	@echo "== the wait after a 429 without Retry-After: benches/bench_cooldown.py"; \
		$(PY) benches/bench_cooldown.py --rounds 10

.PHONY: fuzz
fuzz: dev ## Time-boxed differential fuzz campaign, both backends (FUZZ_SECONDS, default 600); saves breakers
	$(PY) benches/fuzz_campaign.py --seconds $${FUZZ_SECONDS:-600}

.PHONY: soak
soak: dev ## Hostile-server scenarios at full size with default limits: time to the typed error, peak RSS
	$(PY) benches/soak_hostile.py

.PHONY: clean
clean: ## Remove build outputs, venvs and caches
	rm -rf target dist build $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
	find python -name '*.so' -delete
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
