# PlaceSafe developer entry points. Quick start:  make run   |   make test
#
# The virtualenv is created on first use; requirements are (re)installed only when a
# requirements file is newer than its stamp in .venv/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BENCH  := $(filter-out bench/_%,$(sort $(wildcard bench/*.py)))

.DEFAULT_GOAL := help
.PHONY: help run serve test lint typecheck pytest bench clean

help:
	@echo "make run    - install runtime requirements if needed and start the app"
	@echo "make serve  - PROCESSES app processes (default: cores) behind Caddy on LISTEN"
	@echo "make test   - install dev requirements if needed, then ruff, mypy and pytest"
	@echo "make lint   - ruff check and mypy only"
	@echo "make bench  - run every bench/*.py (prints tables)"
	@echo "make clean  - remove caches, test results, bench output and install stamps"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements-dev.txt
	touch $@ $(VENV)/.stamp-run

run: $(VENV)/.stamp-run
	MALLOC_ARENA_MAX=2 $(BIN)/streamlit run app.py

# make serve: app processes (default: one per core) behind Caddy on $(LISTEN)
PROCESSES ?= $(shell nproc 2>/dev/null || echo 2)
LISTEN    ?= 127.0.0.1:8501

serve: $(VENV)/.stamp-run
	@command -v caddy >/dev/null || { echo "caddy is needed: apt-get install -y caddy"; exit 1; }
	$(BIN)/python -m geo publish
	$(BIN)/python deploy/serve.py --processes $(PROCESSES) --listen $(LISTEN)

test: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.stamp-dev
	@test -n "$(BENCH)" || echo "no bench/*.py scripts yet"
	@set -e; for script in $(BENCH); do \
		echo "== $$script"; \
		PYTHONPATH=. $(BIN)/python $$script; \
	done

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache test-results bench/out
	rm -f $(VENV)/.stamp-run $(VENV)/.stamp-dev
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
