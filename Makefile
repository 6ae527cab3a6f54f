# Parley's two commands: `make dev` serves it locally, `make test` runs every check.
# Both install what they need first (a venv from the hash-pinned lock, npm tools from
# package-lock.json, Debian's chromium for the browser tests).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: dev test check lint typecheck pytest setup widget chromium bench lock clean

dev: setup widget
	PARLEY_STORE=$${PARLEY_STORE:-sqlite:///./parley.db} $(BIN)/parley serve --demo --host $(HOST) --port $(PORT)

test: setup widget chromium check

check: lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

widget: node_modules/.installed
	node widget/build.mjs

chromium:
	sh scripts/ensure-chromium.sh

bench: setup widget chromium
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	sh bench/run.sh

# Re-pin Python dependencies after editing pyproject.toml (needs uv: `pip install uv`).
lock:
	uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -q -o requirements.lock
	uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) node_modules build backend/static/embed.js backend/static/widget .serverless .pytest_cache .mypy_cache .ruff_cache
