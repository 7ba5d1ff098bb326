# Two commands on a fresh machine: `make demo` (the whole pipeline on demo data) and
# `make test`. Each creates or reuses .venv and installs the pinned stack itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: java spark-compare install demo backfill full-refresh test lint format focus-validator postgres chromium old-duckdb docs benchmark benchmark-scale dagster reprice clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@echo "installing the pinned stack into $(VENV) (a minute or two)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	@$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# one line per stage, the summary, where the outputs are; the full log goes to data/logs/
demo: install
	@$(BIN)/aifinops-run --demo

# rebuild every day from FROM (YYYY-MM-DD) on; full-refresh: every incremental model in full
backfill: install
	@test -n "$(FROM)" || { echo "usage: make backfill FROM=YYYY-MM-DD"; exit 2; }
	@$(BIN)/aifinops-run --backfill-from "$(FROM)"

full-refresh: install
	@$(BIN)/aifinops-run --full-refresh

# The FOCUS validator needs Python >= 3.12 in its own venv; exit 3 means "not on this
# machine" and the validator tests say so (they fail instead under CI=true).
focus-validator:
	@bash scripts/setup_focus_validator.sh || [ $$? -eq 3 ]

# Debian's chromium for the report's browser tests; exit 3 means "cannot install it here" (not
# root, no apt-get): those tests then skip with the reason (they fail instead under CI=true).
chromium:
	@bash scripts/setup_chromium.sh || [ $$? -eq 3 ]
# DuckDB 1.x clients (what many BI drivers bundle) in their own venvs, to open the published
# file in tests/test_publish.py; exit 3 means "cannot here" (the tests skip; CI=true fails).
old-duckdb:
	@bash scripts/setup_old_duckdb.sh || [ $$? -eq 3 ]

# SQL: sqlfluff with the dbt templater over dbt_models/ (.sqlfluff, README "SQL lint"). Compiling
# needs a connection, not data: an in-memory DuckDB, never the demo warehouse.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	AIFINOPS_DUCKDB_PATH=:memory: $(BIN)/sqlfluff lint dbt_models --processes 2

# PostgreSQL's server binaries for the LiteLLM database tests; exit 3 means "not on this
# machine" (the tests skip with the reason, or fail under CI=true).
postgres:
	@bash scripts/setup_postgres.sh || [ $$? -eq 3 ]

# Debian's JRE for the Spark comparison (pyspark's local session); exit 3 means "cannot install
# it here" (not root, no apt-get): the Spark tests then skip (they fail instead under CI=true).
java:
	@bash scripts/setup_java.sh || [ $$? -eq 3 ]

# The same dbt project on Spark (README, "Running on Spark"): a small demo on DuckDB, raw as
# Parquet, seed + run + test on a local Spark session, every relation compared with DuckDB's.
spark-compare: install java
	$(BIN)/python -m dagster_project.transform.spark_compare

test: install lint focus-validator postgres chromium old-duckdb java
	$(BIN)/python -m pytest -n 2

# sqlfluff fix gets an absolute path (with a relative one, sqlfluff 3.4's dbt templater writes the
# fixed files under the wrong folder) and leaves long lines (LT05) to people: its LT05 fix
# duplicated whole {{ macro() }} calls here. --exclude-rules replaces .sqlfluff's list: keep it.
format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	AIFINOPS_DUCKDB_PATH=:memory: $(BIN)/sqlfluff fix $(CURDIR)/dbt_models --processes 2 \
		--exclude-rules RF06,ST06,LT05

# Regenerate the price catalog from the installed genai-prices, then rebuild every priced model.
reprice: install
	$(BIN)/aifinops-build-price-catalog
	$(BIN)/aifinops-run

# dbt docs for the project's own profile and target (the pipeline's warehouse); DOCS_PORT to move it
DOCS_PORT ?= 8080
docs: install
	cd dbt_models && ../$(BIN)/dbt docs generate --profiles-dir . --project-dir .
	cd dbt_models && ../$(BIN)/dbt docs serve --profiles-dir . --project-dir . --port $(DOCS_PORT)

benchmark: install
	$(BIN)/python benchmarks/run_benchmarks.py

# the scale benchmark (benchmarks/README.md): pipeline vs DuckDB by hand, incremental cases
REQUESTS ?= 1000000
DAYS ?= 90
benchmark-scale: install
	$(BIN)/python -m benchmarks.scale --requests $(REQUESTS) --days $(DAYS)

# a kept DAGSTER_HOME (as aifinops-run's): run history and sensor cursors (alerts sent) survive
dagster: install
	mkdir -p "$${DAGSTER_HOME:-$(CURDIR)/data/.dagster}"
	DAGSTER_HOME="$${DAGSTER_HOME:-$(CURDIR)/data/.dagster}" $(BIN)/dagster dev -m dagster_project.definitions

clean:
	rm -rf data dbt_models/target dbt_models/logs .pytest_cache
