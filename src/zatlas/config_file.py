"""Config files read strictly: a YAML mistake names the file, line and column, and a key
given twice is refused (plain YAML keeps the second and silently drops the first block).

Snakemake parses `--configfile` itself and reports only "not valid JSON or YAML", so the
workflow runs this check on the same files first (`python -m zatlas.config_file FILE...`,
which `make` does), and on `workflow.configfiles` while the Snakefile is parsed, where it
still catches duplicate keys and non-finite numbers.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from zatlas.errors import ConfigError


class StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate keys and non-finite numbers, by position."""


def _where(loader: StrictLoader, node: yaml.Node) -> str:
    mark = node.start_mark
    return f"{loader.name}:{mark.line + 1}:{mark.column + 1}"


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False):
    first: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in first:
                raise ConfigError(
                    f"{_where(loader, key_node)}: the key '{key}' is given twice (first on line "
                    f"{first[key]}); YAML would silently keep only the second: merge the two "
                    "into one"
                )
            first[key] = key_node.start_mark.line + 1
        except TypeError:  # an unhashable key: let SafeLoader say so
            pass
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _float(loader: StrictLoader, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        raise ConfigError(f"{_where(loader, node)}: {node.value} is not a finite number")
    return value


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:float", _float)


def load_config_file(path: str | Path) -> dict:
    """The file's mapping; ConfigError with file:line:column for any mistake."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        if exc.context_mark and mark is not exc.context_mark:
            what += f" (the construct opened on line {exc.context_mark.line + 1})"
        hint = " (tabs cannot indent YAML: use spaces)" if "\\t" in what or "tab" in what else ""
        raise ConfigError(f"{where}: invalid YAML: {what}{hint}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1:1: a config file is a mapping of keys (data:, models:, ...)")
    return data


def check_config_files(paths: Iterable[str | Path]) -> None:
    for path in paths:
        load_config_file(path)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        check_config_files(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
