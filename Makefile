# `make run` and `make test` set everything up on a fresh machine: they create .venv and
# install the exact versions of requirements.lock (hash-checked), then the project itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/demo.yaml
CORES ?= all
STAMP := $(VENV)/.installed
LOCK := requirements.lock

.PHONY: run test test-slurm lint format report clean venv lock config-docs

venv: $(STAMP)

# uv (itself installed by pip from the lock, hash-checked) installs the lock in 20-30 s
# where pip takes 70; where uv cannot reach the package index, pip does it. Compiled to
# bytecode at install, as pip does: where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise compile TensorFlow again in every process (13 s instead of 5 to import Keras).
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	sed -n '/^uv==/,/^[^ ]/{/^uv==/p;/--hash/p;}' $(LOCK) > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-requirement.txt
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode --require-hashes \
		--no-deps -r $(LOCK) \
		|| $(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing pyproject.toml's dependencies: re-resolve requirements.lock (exact
# versions and hashes, for Linux x86_64 and Python 3.11.7+; every extra but gpu), keeping the
# versions already locked where they still fit. `make lock UPGRADE=1` takes the newest.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra slurm --generate-hashes \
		--python-version 3.11.7 --python-platform x86_64-manylinux_2_28 --no-header \
		$(if $(UPGRADE),--upgrade,) --output-file $(LOCK)

# The config file is read strictly first: a YAML mistake is reported with its file, line
# and column (Snakemake only says "not valid JSON or YAML"), a key given twice is refused.
run: $(STAMP)
	$(BIN)/python -m zatlas.config_file $(CONFIG)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

# With CI set, `make test` also runs the real single-node SLURM test (marker `slurm`, off
# by default in pyproject's addopts); `make test-slurm` runs just that one.
test: $(STAMP)
	$(BIN)/pytest $(if $(CI),-m "not network")

test-slurm: $(STAMP)
	$(BIN)/pytest tests/test_slurm.py -m slurm

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint --configfile $(CONFIG)

# config/README.md is generated from the schema's defaults and descriptions (a test checks
# that it is current): edit workflow/schemas/config.schema.yaml, then run this.
config-docs: $(STAMP)
	$(BIN)/python -m zatlas.config_docs > config/README.md

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks workflow/scripts
	$(BIN)/snakefmt Snakefile workflow

# Snakemake's own report of a finished run, beside its index.html.
RUN = $(shell $(BIN)/python -c "import sys, yaml; print(yaml.safe_load(open(sys.argv[1])).get('run', 'celeba'))" $(CONFIG))
report: $(STAMP)
	$(BIN)/snakemake --cores 1 --configfile $(CONFIG) --report results/$(RUN)/snakemake-report.zip

clean:
	rm -rf results .snakemake
