# Huiliu: `make run` serves the embedded deployment, `make test` runs every test.
# Both set everything up first (virtualenv in .venv, dependencies, migrations).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint typecheck pytest bench migrate demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Huiliu needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: setup
	$(BIN)/huiliu migrate

demo: migrate
	$(BIN)/huiliu demo --base-url http://$(HOST):$(PORT)

run: demo
	@echo
	@echo "  Huiliu is starting on http://$(HOST):$(PORT)"
	@echo "    API docs:        http://$(HOST):$(PORT)/docs"
	@echo "    health:          http://$(HOST):$(PORT)/healthz"
	@echo "    visitor socket:  ws://$(HOST):$(PORT)/ws/visitor?token=…"
	@echo "    agent socket:    ws://$(HOST):$(PORT)/ws/agent?token=…"
	@echo
	$(BIN)/huiliu serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest

test: lint typecheck pytest

bench: setup
	$(BIN)/python bench/relay.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/bot_eval.py --set all --ablate
	$(BIN)/python bench/bot_eval.py --scale 1000,10000
	$(BIN)/python bench/assist.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
