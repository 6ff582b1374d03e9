# Two commands set everything up: `make run` serves the app, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev test lint format test-deps bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamp files make the installs re-run only when a requirements file changes.
$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime  ## Serve the app with gunicorn on http://$(HOST):$(PORT)
	@echo "Serving the lessons on http://$(HOST):$(PORT)/  (Ctrl-C stops)"
	$(VENV)/bin/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) "app:create_app()"

dev: $(VENV)/.runtime  ## Flask's development server with the reloader and debugger
	@echo "Development server on http://$(HOST):$(PORT)/"
	$(VENV)/bin/flask --app app run --debug --host $(HOST) --port $(PORT)

# What the tests need from the system: a headless Chromium for the browser tests (an existing
# one, Debian's package as root, or Playwright's own download where the network allows it) and
# PostgreSQL's and Redis's server programs for the shared-database and shared-rate-limit tests
# (Debian's packages as root).
test-deps: $(VENV)/.dev
	@missing=""; \
	if [ -n "$$CHROMIUM_PATH" ] && [ -x "$$CHROMIUM_PATH" ] || command -v chromium >/dev/null 2>&1; \
	then echo "Chromium: $${CHROMIUM_PATH:-$$(command -v chromium)}"; else missing="chromium"; fi; \
	if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; \
	then echo "PostgreSQL: found"; else missing="$$missing postgresql"; fi; \
	if command -v redis-server >/dev/null 2>&1; \
	then echo "Redis: found"; else missing="$$missing redis-server"; fi; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	elif echo "$$missing" | grep -q chromium; then \
	  $(PY) -m playwright install chromium; \
	fi

# npm ci only when package-lock.json is newer than the installed tree.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint: $(VENV)/.dev node_modules/.package-lock.json
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	npx biome ci static/js tests/js

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: test-deps lint  ## Every test, browser tests included
	node --test tests/js/
	$(PY) -m pytest

bench: $(VENV)/.dev  ## Speed and load figures (bounded in time, loopback only)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) node_modules test-artifacts .pytest_cache .ruff_cache .hypothesis
