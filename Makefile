# CivicDesk developer commands. The two that matter: `make run` and `make test`.
# Everything else is a step of those, or a check CI runs too (`make lint`, `make check`).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.civicdesk-installed
NODE_STAMP := node_modules/.civicdesk-installed
HTMX := static/vendor/htmx.min.js
LEAFLET := static/vendor/leaflet/leaflet.js
MARKERCLUSTER := static/vendor/leaflet.markercluster/leaflet.markercluster.js

# Settings for the commands that run the site; tests always use config.settings.test
# (pytest-django would otherwise prefer DJANGO_SETTINGS_MODULE from the environment).
DJANGO_SETTINGS_MODULE ?= config.settings.local
TEST_SETTINGS ?= config.settings.test
MANAGE := DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) $(BIN)/python manage.py
PYTEST_ARGS ?=
# Tests run on every core; loadscope keeps a module's shared fixtures on one worker. XDIST= runs serially.
XDIST ?= -n auto --dist loadscope

.PHONY: help venv assets migrate demo demo-reset run test test-browser lint check check-static format messages services-start \
	services-stop clean distclean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) ## Create .venv (Python 3.11) and install the project with its dev tools

# Reinstalls only when pyproject.toml changes.
$(VENV_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

assets: $(HTMX) $(LEAFLET) $(MARKERCLUSTER) ## Install the front-end packages and copy htmx, Leaflet and its cluster plugin into static/vendor/

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	@touch $@

$(HTMX): $(NODE_STAMP)
	@mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

$(LEAFLET): $(NODE_STAMP)
	@mkdir -p $(dir $@)
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css \
		node_modules/leaflet/dist/images $(dir $@)

$(MARKERCLUSTER): $(NODE_STAMP)
	@mkdir -p $(dir $@)
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
		node_modules/leaflet.markercluster/dist/leaflet.markercluster.js.map \
		node_modules/leaflet.markercluster/dist/MarkerCluster.css \
		node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css $(dir $@)

migrate: venv ## Apply database migrations
	@mkdir -p var
	$(MANAGE) migrate --noinput

demo: migrate ## Load the demo city (idempotent)
	$(MANAGE) demo_city

demo-reset: venv ## Delete the local SQLite database and rebuild it with the demo city
	rm -f var/civicdesk.sqlite3 var/civicdesk.sqlite3-wal var/civicdesk.sqlite3-shm
	$(MAKE) demo

run: venv assets ## Migrate, load the demo city, then serve on http://127.0.0.1:$PORT with a Celery worker
	DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) VENV=$(VENV) scripts/run.sh

# pytest exits 5 when it collected no test; that is not a failure of the code.
test: venv ## Run the tests (SQLite in memory unless DATABASE_URL says otherwise); PYTEST_ARGS=... passes options
	@DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(BIN)/pytest $(XDIST) $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests (exit 5): treated as success"; exit 0; fi; \
	exit $$status

# The browser tests are part of `make test` too; this runs just them, with the assets they need.
test-browser: venv assets ## Only the browser tests (Chromium, axe-core); CIVICDESK_SCREENSHOTS=docs/guides/images refreshes the staff guide's screenshots
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(BIN)/pytest $(XDIST) -m browser tests/browser $(PYTEST_ARGS)

lint: venv ## ruff and mypy, exactly as CI runs them
	$(BIN)/ruff check .
	$(BIN)/mypy civicdesk config

check: venv ## Django's system checks and a check that no migration is missing
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(BIN)/python manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(BIN)/python manage.py makemigrations --check --dry-run

# Production's manifest storage refuses a file that names a missing one (e.g. a .js without its
# .map): collect everything once into a throwaway folder, as a deployment would.
check-static: venv assets ## Run collectstatic with the production storage into a temporary folder
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=check-static-only REDIS_URL=redis://127.0.0.1:1/0 \
	STATIC_ROOT="$$tmp" $(BIN)/python manage.py collectstatic --noinput -v 0 && echo "collectstatic with production storage: ok"

format: venv ## Format the code and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: venv ## Extract translatable strings (fi, sv, en) and compile the catalogues
	@mkdir -p locale
	$(MANAGE) makemessages -l fi -l sv -l en --ignore=.venv --ignore=node_modules --ignore=var
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

services-start: ## Start throwaway PostgreSQL 15 and Redis on loopback (see scripts/services.sh)
	scripts/services.sh start

services-stop: ## Stop them and delete their data
	scripts/services.sh stop

clean: ## Remove caches, collected static files and vendored assets (keeps the database and .venv)
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -print0 \
		| xargs -0 rm -rf
	rm -rf .mypy_cache .ruff_cache .pytest_cache var/static static/vendor $(NODE_STAMP)

distclean: clean ## Also remove .venv, node_modules and var/ (the local database and broker queue)
	rm -rf $(VENV) node_modules var
