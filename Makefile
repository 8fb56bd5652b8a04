# Two commands do everything on a fresh machine:
#   make run   - set up, then run the workflow on the demo scene
#   make test  - set up, then lint and run the test suite
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup run test lint bench clean

setup:
	@bash scripts/setup.sh

run: setup
	@$(PY) scripts/run_demo.py --cores $(CORES)

lint: setup
	$(BIN)/ruff check shepcore tests benchmarks workflow/scripts scripts
	$(BIN)/snakefmt --check workflow
	$(BIN)/snakemake --lint --directory . >/dev/null

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) benchmarks/bench_segment.py

clean:
	rm -rf results .snakemake
