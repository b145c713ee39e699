"""Bind a Snakemake job to its stage's `run(...)`: every named input, output and param of
the rule becomes the keyword of the same name, so each name is written twice (in the rule
and in the signature) and nowhere else. A name that does not match fails loudly."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping

from zatlas.errors import ZatlasError
from zatlas.logs import run_stage

# A param of this name is the rule's own config block: its keys are spread into keywords.
SETTINGS = "settings"


class BindingError(ZatlasError):
    """A rule and its stage's signature disagree on a name (a bug in the workflow)."""


def _named(section, what: str, rule: str) -> dict:
    """The named entries of a Snakemake Namedlist; unnamed entries are an error."""
    names = dict(section._names) if hasattr(section, "_names") else {}
    covered = set()
    values = {}
    for name, (start, end) in names.items():
        end = start + 1 if end is None else end
        covered.update(range(start, end))
        value = getattr(section, name)
        values[name] = list(value) if isinstance(value, list) else value
    unnamed = [section[i] for i in range(len(section)) if i not in covered]
    if unnamed:
        raise BindingError(f"rule '{rule}': every {what} needs a name; unnamed: {unnamed}")
    return values


def arguments(func: Callable, rule: str, sections: Mapping[str, Mapping], implicit: Mapping):
    """Keywords for `func` from the rule's named `sections` (input, output, params: all
    must match the signature) and `implicit` values (wildcards, resources, threads: passed
    when the signature asks for them)."""
    params = inspect.signature(func).parameters
    kwargs: dict = {}
    where: dict[str, str] = {}
    for what, values in sections.items():
        values = dict(values)
        if what == "params" and SETTINGS in values:
            settings = values.pop(SETTINGS)
            if not isinstance(settings, Mapping):
                raise BindingError(f"rule '{rule}': params.{SETTINGS} must be a mapping")
            values = {**settings, **values}
        for name, value in values.items():
            if name in kwargs:
                raise BindingError(
                    f"rule '{rule}': '{name}' is named in both {where[name]} and {what}"
                )
            if name not in params:
                raise BindingError(
                    f"rule '{rule}' names '{name}' ({what}) but {func.__module__}.run takes "
                    f"no such keyword; it takes: {', '.join(params)}"
                )
            kwargs[name], where[name] = value, what
    for name, value in implicit.items():
        if name in params and name not in kwargs:
            kwargs[name] = value
    missing = [
        n
        for n, p in params.items()
        if n not in kwargs
        and p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if missing:
        raise BindingError(
            f"{func.__module__}.run needs {missing}, which rule '{rule}' does not name "
            "in its input, output or params"
        )
    return kwargs


def stage_of(rule: str) -> str:
    """The stage a rule runs: the stage of its name, or of the registry's alias of that name
    (encode_vae runs encode); under a module's prefix (`use rule * from zatlas as
    zatlas_*`), the longest such name that the rule's name ends with after an underscore."""
    from zatlas.registry import BY_NAME, RULE_ALIASES

    names = {n: n for n in BY_NAME} | {a: n for n, al in RULE_ALIASES.items() for a in al}
    if rule in names:
        return names[rule]
    ends = [n for n in names if rule.endswith(f"_{n}")]
    if not ends:
        raise BindingError(
            f"rule '{rule}' runs no stage: its name is no stage of zatlas.registry "
            f"({', '.join(names)}), with or without a module prefix"
        )
    return names[max(ends, key=len)]


def bind(smk, stage: str | None = None):
    """Run the stage of the Snakemake job `smk` (the stage its rule's name says, unless
    `stage` names another), with its output in the job's log."""
    rule = smk.rule
    stage = stage or stage_of(rule)
    module = importlib.import_module(f"zatlas.stages.{stage}")
    sections = {
        what: _named(getattr(smk, what), what, rule) for what in ("input", "output", "params")
    }
    # resources too, for facts about the schedule that must not rerun a job (params do)
    implicit = {
        **_named(smk.wildcards, "wildcard", rule),
        **_named(smk.resources, "resource", rule),
        "threads": smk.threads,
    }
    kwargs = arguments(module.run, rule, sections, implicit)
    return run_stage(module.run, smk.log[0] if smk.log else None, name=stage, **kwargs)
