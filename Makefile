# Two commands set everything up on a fresh machine:  make run  ·  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint dev clean lock

setup: $(STAMP) dbt_project/target/manifest.json

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

# Exact versions from requirements.lock, then the project itself (editable, no dependency resolution).
$(STAMP): $(VENV)/bin/python requirements.lock pyproject.toml
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $(STAMP)

dbt_project/target/manifest.json: $(STAMP) $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
	$(BIN)/cchc prepare
	touch $@

run: setup
	$(BIN)/cchc run --raw raw/sample --out out

test: setup lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -q --durations=15

# ruff (pyproject.toml): pyflakes, pycodestyle, bugbear, import order; sqlfluff (.sqlfluff): the dbt models rendered by
# the dbt templater against an in-memory DuckDB (macros are linted where the models use them)
lint: setup
	$(BIN)/ruff check orchestration tests
	CCHC_WAREHOUSE=:memory: $(BIN)/sqlfluff lint dbt_project/models dbt_project/tests/singular \
	  --quiet --processes 2 --disable-progress-bar

dev: setup
	$(BIN)/python -m orchestration.lib.dagster_instance $(CURDIR)/out
	CCHC_RAW_DIR=$(CURDIR)/raw/sample CCHC_OUT_DIR=$(CURDIR)/out DAGSTER_HOME=$(CURDIR)/out/dagster_home \
	  PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster dev

# Re-resolve the lock from pyproject's ranges (deliberate upgrades only).
lock:
	$(PY) -m venv /tmp/cchc-lock-venv && /tmp/cchc-lock-venv/bin/pip install -q ".[test]" && \
	  /tmp/cchc-lock-venv/bin/pip freeze --exclude cchc > requirements.lock

clean:
	rm -rf out dbt_project/target dbt_project/logs
