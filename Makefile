# Parley's two commands: `make dev` serves it locally, `make test` runs every check.
# Both install what they need first (a venv from the hash-pinned lock, npm tools from
# package-lock.json, Debian's chromium for the browser tests, Debian's Java for DynamoDB Local).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: dev dev-dynamo test check lint typecheck pytest setup widget chromium java bench lock clean

dev: setup widget
	PARLEY_STORE=$${PARLEY_STORE:-sqlite:///./parley.db} $(BIN)/parley serve --demo --host $(HOST) --port $(PORT)

# `parley serve` on AWS's DynamoDB Local (in memory, a free port, gone when the server stops):
# the production store on a laptop. The table is made by `parley init-table`.
dev-dynamo: setup widget java
	PARLEY_SECRET_KEYS=$${PARLEY_SECRET_KEYS:-dev-only-secret-key-0123456789} \
	PARLEY_SITES=$${PARLEY_SITES:-'{"demo": {"origins": ["http://127.0.0.1:*", "http://localhost:*"]}}'} \
	PARLEY_PUBLIC_URL=http://$(HOST):$(PORT) \
	$(BIN)/python scripts/dynamodb_local.py -- sh -c \
	  '$(BIN)/parley init-table && exec $(BIN)/parley serve --demo --host $(HOST) --port $(PORT)'

test: setup widget chromium java check

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

java:
	sh scripts/ensure-java.sh

bench: setup widget chromium
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	sh bench/run.sh

# Re-pin Python dependencies after editing pyproject.toml (needs uv: `pip install uv`).
lock:
	uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -q -o requirements.lock
	uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) node_modules build backend/static/embed.js backend/static/widget .serverless .pytest_cache .mypy_cache .ruff_cache
