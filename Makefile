# Huiliu: `make run` serves the embedded deployment, `make test` runs every test.
# Both set everything up first (virtualenv in .venv, dependencies, migrations).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint typecheck pytest frontend frontend-test chromium screenshots bench migrate demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Huiliu needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The front end (frontend/): npm dependencies, then the build Huiliu serves at / — rebuilt
# when a source file or one of the server schemas its types come from changes.
FRONT := frontend
FRONT_STAMP := $(FRONT)/node_modules/.installed-stamp
FRONT_SOURCES := $(shell find $(FRONT)/src $(FRONT)/packages -type f -not -name '*.gen.ts' -not -path '*/node_modules/*' -not -path '*/dist/*' 2>/dev/null)

$(FRONT_STAMP): $(FRONT)/package.json $(FRONT)/package-lock.json
	@command -v npm >/dev/null || { echo "Huiliu's front end needs Node.js 20.19+ and npm (https://nodejs.org)"; exit 1; }
	cd $(FRONT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(FRONT)/dist/index.html: $(FRONT_STAMP) $(FRONT_SOURCES) $(FRONT)/index.html $(FRONT)/vite.config.ts \
		$(FRONT)/tsconfig.json $(FRONT)/scripts/gen-types.mjs docs/openapi.json docs/protocol.schema.json
	cd $(FRONT) && npm run build --silent
	touch $@

# The web widget (frontend/packages/widget) lands in the same dist/ as widget.js: the full
# build above makes it too; this rebuilds just it when only it is missing or older.
WIDGET_SOURCES := $(shell find $(FRONT)/packages/widget $(FRONT)/packages/sdk/src -type f -not -path '*/node_modules/*' -not -path '*/dist/*' 2>/dev/null)

$(FRONT)/dist/widget.js: $(WIDGET_SOURCES) | $(FRONT)/dist/index.html
	cd $(FRONT) && npm run build:widget --silent
	touch $@

frontend: $(FRONT)/dist/index.html $(FRONT)/dist/widget.js

frontend-test: $(FRONT_STAMP)
	cd $(FRONT) && npm test --silent

# Browser tests drive Debian's Chromium (Playwright's own download does not work everywhere).
chromium:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

screenshots: setup frontend chromium
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

migrate: setup
	$(BIN)/huiliu migrate

demo: migrate
	$(BIN)/huiliu demo --base-url http://$(HOST):$(PORT)

run: demo frontend
	@echo
	@echo "  Huiliu is starting on http://$(HOST):$(PORT)"
	@echo "    workbench:       http://$(HOST):$(PORT)/workbench  (sign in with an account above)"
	@echo "    admin console:   http://$(HOST):$(PORT)/admin"
	@echo "    demo shop:       http://$(HOST):$(PORT)/demo  (the web widget on a shop's pages)"
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

pytest: setup frontend chromium
	$(BIN)/pytest -n 2 --dist loadgroup --durations=15  # two workers; the slowest tests shown

test: lint typecheck frontend-test pytest

bench: setup
	$(BIN)/python bench/relay.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/bot_eval.py --set all --ablate
	$(BIN)/python bench/bot_eval.py --scale 1000,10000
	$(BIN)/python bench/assist.py
	$(BIN)/python bench/campaigns.py
	$(BIN)/python bench/reports.py --database-url sqlite+aiosqlite:///$(CURDIR)/data/bench-reports.db --generate 1000000
	$(BIN)/python bench/fold.py
	$(BIN)/python bench/writer.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache $(FRONT)/node_modules $(FRONT)/dist
