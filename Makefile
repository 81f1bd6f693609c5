# Two commands matter: `make run` and `make test`. Everything else is what they build on.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
ENV_FILE := var/dev.env
# Load the generated development secrets into every recipe's environment.
WITH_ENV = set -a; . ./$(ENV_FILE); set +a;
# Browser libraries come from the npm registry (pinned in package-lock.json), copied into static/.
VENDOR_JS := static/vendor/lightweight-charts.standalone.production.js

.PHONY: run test lint format setup system-deps system-deps-test db clean-var check-deploy

run: system-deps setup db
	@$(WITH_ENV) $(BIN)/python manage.py seed_demo
	@echo "Starting sandbox, web, worker, beat and stream process (Ctrl-C stops all)…"
	@$(WITH_ENV) exec $(BIN)/honcho -e $(ENV_FILE) start

test: system-deps-test setup
	@$(WITH_ENV) $(BIN)/ruff check .
	@$(WITH_ENV) $(BIN)/ruff format --check .
	@$(WITH_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

setup: $(VENV)/.installed $(ENV_FILE) $(VENDOR_JS)

$(VENDOR_JS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (Debian: apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p static/vendor
	cp node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js $@

$(VENV)/.installed: requirements.txt
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(ENV_FILE): | $(VENV)/.installed
	@$(BIN)/python scripts/dev_env.py $(ENV_FILE)

# Debian packages: installed when we are root and they are missing, otherwise we say what to run.
system-deps:
	@scripts/system_deps.sh redis-server npm

system-deps-test:
	@scripts/system_deps.sh redis-server npm chromium nginx postgresql

db: setup
	@$(WITH_ENV) $(BIN)/python manage.py migrate --noinput
	@$(WITH_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0

check-deploy: setup
	@scripts/check_deploy.sh

clean-var:
	rm -rf var/
