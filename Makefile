# `make run` and `make test` set everything up on a fresh machine: they create .venv and
# install the project (with its pinned dependencies) into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/demo.yaml
CORES ?= all
STAMP := $(VENV)/.installed

.PHONY: run test lint format report clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint --configfile $(CONFIG)

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks workflow/scripts
	$(BIN)/snakefmt Snakefile workflow

# Snakemake's own report of a finished run, beside its index.html.
RUN = $(shell $(BIN)/python -c "import sys, yaml; print(yaml.safe_load(open(sys.argv[1])).get('run', 'celeba'))" $(CONFIG))
report: $(STAMP)
	$(BIN)/snakemake --cores 1 --configfile $(CONFIG) --report results/$(RUN)/snakemake-report.zip

clean:
	rm -rf results .snakemake
