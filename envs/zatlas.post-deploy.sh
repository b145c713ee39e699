#!/usr/bin/env bash
# zatlas itself, from the checkout that Snakemake runs in. It cannot sit in zatlas.yaml: a
# hash-checked install (requirements.lock) refuses an editable requirement.
set -eu
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
if ! grep -q '^name = "zatlas"' "$root/pyproject.toml" 2>/dev/null; then
    echo "zatlas: run 'snakemake --use-conda' from the zatlas checkout ($root is not one)" >&2
    exit 1
fi
python -m pip install --no-deps -e "$root"
