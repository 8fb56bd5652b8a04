# Two commands do everything on a fresh machine:
#   make run   - set up, then run the workflow on the demo scene
#   make test  - set up, then lint and run the whole test suite (CI runs this)
# Inner loop: make check (lint + layering + the fast tests, a few minutes).
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
CORES ?= 2
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider

.PHONY: setup run test check lint bench clean

setup:
	@bash scripts/setup.sh

run: setup
	@$(PY) scripts/run_demo.py --cores $(CORES)

lint: setup
	$(BIN)/ruff check shepcore tests benchmarks workflow/scripts scripts
	$(BIN)/snakefmt --check workflow
	$(BIN)/snakemake --lint --directory . >/dev/null
	$(PY) scripts/check_layers.py

check: lint
	$(PYTEST) -m "not slow and not slurm"

test: lint
	$(PYTEST)

bench: setup
	$(PY) benchmarks/bench_segment.py

clean:
	rm -rf results .snakemake .test/*/results .test/*/.snakemake
