"""Config validation (schema + cross-field checks) and the frozen specs built from it."""

from __future__ import annotations

import copy
import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import jsonschema
import yaml

from zatlas.data.dataset import (
    count_folder_images,
    data_problems,
    expand_paths,
    fill_attribute_defaults,
    recorded_celeba_count,
)
from zatlas.errors import ConfigError
from zatlas.external.spec import external_problems, none_rows
from zatlas.registry import STAGES

SYNTHETIC_DEFAULT_N = 2_000


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft7Validator)


def _key(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = f"{key}." if error.absolute_path else ""
        names = ", ".join(f"'{where}{e}'" for e in extra)
        hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
        return f"unknown config key {names}{hint}"
    return f"config key '{key}': {error.message}"


def validate_config(config: Mapping, schema_path: str | Path) -> dict:
    """Return a copy of `config` with defaults filled in; raise ConfigError naming the key."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    resolved = copy.deepcopy(dict(config))
    _reject_non_finite(resolved)
    errors = sorted(_Validator(schema).iter_errors(resolved), key=lambda e: list(e.path))
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(_describe(e) for e in errors))
    expand_paths(resolved)
    problems = data_problems(resolved)
    if not problems:  # models of type external (their own checks, beside their code)
        images = None if resolved["data"]["dataset"] == "none" else n_available(resolved)
        problems = external_problems(resolved, images)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))
    fill_attribute_defaults(resolved, config)
    _check_semantics(resolved)
    return resolved


def n_available(config: Mapping) -> int:
    """Number of images the run will have (known at parse time, before any data exists)."""
    data = config["data"]
    if data["dataset"] == "none":
        return none_rows(config)
    if data["dataset"] == "synthetic":
        return data["n_images"] or SYNTHETIC_DEFAULT_N
    if data["dataset"] == "folder":
        have = count_folder_images(data.get("path"))
        return min(data["n_images"] or have, have)
    have = recorded_celeba_count()
    return min(data["n_images"] or have, have)


def _reject_non_finite(value, path=()) -> None:
    """NaN and infinity are valid YAML floats (.nan, .inf) but no valid setting."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(
            f"invalid config:\n  config key '{_key(path)}': {value} is not a finite number"
        )
    if isinstance(value, Mapping):
        for k, v in value.items():
            _reject_non_finite(v, (*path, k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _reject_non_finite(v, (*path, i))


def dataset_name(cfg: Mapping) -> str:
    """The folder under resources/ that holds the data set's record: one per data set, so
    switching between data sets never mixes their records."""
    data = cfg["data"]
    if data["dataset"] == "none":
        return "none"
    if data["dataset"] == "synthetic":
        return f"synthetic_n{n_available(cfg)}_seed{cfg['seed']}"
    if data["dataset"] == "folder":
        where = str(Path(data["path"]).expanduser().resolve())
        stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(where).name).strip("-")[:40] or "images"
        return f"folder_{stem}_{hashlib.sha1(where.encode()).hexdigest()[:8]}"
    return "celeba"


def _check_semantics(cfg: dict) -> None:
    problems: list[str] = []
    n = n_available(cfg)
    # each stage's own cross-field checks, next to the stage (registry: `checked`)
    for stage in STAGES:
        if stage.checked:
            problems += import_module(f"zatlas.stages.{stage.name}").check_config(cfg, n)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to build one encoder/decoder pair."""

    name: str
    kind: str  # "ae" or "vae"
    image_size: int
    z_dim: int
    filters: tuple[int, ...]
    kernel_size: int
    batch_norm: bool
    eps_clip: float | None
    kl_factor: float

    @property
    def variational(self) -> bool:
        return self.kind == "vae"

    @classmethod
    def from_config(cls, cfg: Mapping, name: str) -> ModelSpec:
        if name not in cfg["models"]:
            raise ConfigError(f"unknown model '{name}': the config defines {sorted(cfg['models'])}")
        model, arch = cfg["models"][name], cfg["architecture"]
        return cls(
            name=name,
            kind=model["type"],
            image_size=cfg["data"]["image_size"],
            z_dim=arch["z_dim"],
            filters=tuple(arch["filters"]),
            kernel_size=arch["kernel_size"],
            batch_norm=arch["batch_norm"],
            eps_clip=arch["eps_clip"],
            kl_factor=float(model.get("kl_factor", 0.0)) if model["type"] == "vae" else 0.0,
        )


@dataclass(frozen=True)
class TrainSpec:
    epochs: int
    batch_size: int
    learning_rate: float
    clipnorm: float | None
    validation: bool
    seed: int
    deterministic: bool
    explode_factor: float | None = 10.0
    mixed_precision: str | None = None  # None, "float16" or "bfloat16"
    jit_compile: bool | str = "auto"
    data_on_device: bool | str = "auto"
    steps_per_execution: int = 1

    @classmethod
    def from_config(cls, cfg: Mapping) -> TrainSpec:
        t = cfg["training"]
        return cls(
            epochs=t["epochs"],
            batch_size=t["batch_size"],
            learning_rate=float(t["learning_rate"]),
            clipnorm=t["clipnorm"],
            validation=t["validation"],
            seed=cfg["seed"],
            deterministic=cfg["deterministic"],
            explode_factor=t.get("explode_factor", 10.0),
            mixed_precision=t.get("mixed_precision"),
            jit_compile=t.get("jit_compile", "auto"),
            data_on_device=t.get("data_on_device", "auto"),
            steps_per_execution=t.get("steps_per_execution", 1),
        )
