# Two commands do all the set-up on a fresh machine with Python 3.10+:
#   make demo   - venv, package, Meltano plugins, sandbox, PostgreSQL, one full ELT run and a summary
#   make test   - the same environment, then the whole test suite
# make docs builds the documentation site (docs/, mkdocs.yml) into site/.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv plugins test demo lint docs bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml */pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ./catalog -e ./tap-servicetitan -e ./sandbox -e ./preflight -e ./orchestration -e '.[dev]'
	touch $(STAMP)

# Plugin venvs get their bytecode compiled at install (uv does not by default), so
# each plugin start-up, the preflight check's included, does not recompile its
# imports, which it would on every run where PYTHONDONTWRITEBYTECODE is set.
plugins: venv
	UV_COMPILE_BYTECODE=1 $(BIN)/meltano install

# Two test processes (pytest-xdist), each test file on one of them (--dist loadfile: a
# file's module fixtures, sandboxes and warehouses, are built once). Every test writes
# under its own process's temporary folders (tests/support/isolation.py), so plain
# `pytest` and `make test PYTEST_WORKERS=0` run the same suite one test at a time.
PYTEST_WORKERS ?= 2
test: plugins
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

# make demo DEMO_ARGS="--customers 20000"   (see: .venv/bin/servicetitan-demo --help)
DEMO_ARGS ?=
demo: plugins
	$(BIN)/servicetitan-demo $(DEMO_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The documentation site (mkdocs.yml, docs/) into site/, which git ignores; a broken
# link or a page missing from the nav fails the build.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Benchmarks print figures (no pass/fail): tap alone, streams side by side against API latency,
# extract+load (BATCH vs RECORD),
# the dbt models alone, the whole pipeline, the preflight check, many tenants through Dagster,
# what record reconciliation costs a run.
bench: plugins
	$(BIN)/python bench/bench_tap.py
	$(BIN)/python bench/bench_streams.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_transforms.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_preflight.py
	$(BIN)/python bench/bench_children.py
	$(BIN)/python bench/bench_tenants.py
	$(BIN)/python bench/bench_reconciliation.py

clean:
	rm -rf $(VENV) .meltano site
