# modelwire developer tasks. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
TEST_VENV := .venv-test
PY := $(VENV)/bin/python
TPY := $(TEST_VENV)/bin/python
# Pinned so a fresh machine resolves the same toolchain every time.
PIP_BOOTSTRAP := pip>=25.1

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
test: ## Build the wheel, install it into a fresh venv, run cargo test and pytest once per backend
	cargo test -q --workspace
	rm -rf dist $(TEST_VENV)
	$(PYTHON) -m venv $(TEST_VENV)
	$(TPY) -m pip install -q --upgrade "$(PIP_BOOTSTRAP)" maturin
	$(TEST_VENV)/bin/maturin build --release -q -o dist
	$(TPY) -m pip install -q dist/*.whl
	$(TPY) -m pip install -q --group test
	cd tests && MODELWIRE_EXPECT_BACKEND=rust ../$(TPY) -m pytest -q -p no:cacheprovider --rootdir=.. -c ../pyproject.toml
	cd tests && MODELWIRE_PURE_PYTHON=1 MODELWIRE_EXPECT_BACKEND=python ../$(TPY) -m pytest -q -p no:cacheprovider --rootdir=.. -c ../pyproject.toml

.PHONY: pytest
pytest: dev ## Run pytest against the editable build (both backends)
	MODELWIRE_EXPECT_BACKEND=rust $(PY) -m pytest -q
	MODELWIRE_PURE_PYTHON=1 MODELWIRE_EXPECT_BACKEND=python $(PY) -m pytest -q

.PHONY: lint
lint: dev ## ruff, mypy (strict), stubtest, import layers, clippy, rustfmt
	$(VENV)/bin/ruff check python tests benches
	$(VENV)/bin/ruff format --check python tests benches
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest modelwire._core --mypy-config-file pyproject.toml
	$(VENV)/bin/lint-imports --config pyproject.toml
	cargo clippy -q --workspace --all-targets -- -D warnings
	cargo fmt --all --check

.PHONY: fmt
fmt: $(VENV)/.installed ## Format Python and Rust sources
	$(VENV)/bin/ruff format python tests benches
	$(VENV)/bin/ruff check --fix -q python tests benches
	cargo fmt --all

# Quick settings so the whole set fits in a few minutes; each script's own defaults (--help) run longer.
.PHONY: bench
bench: dev ## Run every side-by-side benchmark (quick settings, ~5 min) and print its table
	@echo "== parsing: benches/report.py"; $(PY) benches/report.py --rounds 11
	@echo "== stream folding: benches/bench_stream.py"; $(PY) benches/bench_stream.py --rounds 5
	@echo "== SSE decoding: benches/bench_sse.py"; $(PY) benches/bench_sse.py --repeat 5
	@echo "== Bedrock event streams: benches/bench_eventstream.py"; $(PY) benches/bench_eventstream.py --rounds 7
	@echo "== client CPU per request: benches/bench_client.py"; \
		$(PY) benches/bench_client.py --requests 300 --rounds 5
	@echo "== local server cost: benches/bench_local_server.py"; \
		$(PY) benches/bench_local_server.py --requests 1000 --concurrency 1 64
	@echo "== retry layer overhead: benches/bench_load_policy_overhead.py"; \
		$(PY) benches/bench_load_policy_overhead.py
	@echo "== load against a rate limit: benches/bench_load.py"; $(PY) benches/bench_load.py

.PHONY: clean
clean: ## Remove build outputs, venvs and caches
	rm -rf target dist build $(VENV) $(TEST_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
	find python -name '*.so' -delete
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
