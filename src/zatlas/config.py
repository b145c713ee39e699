"""Config validation (schema + cross-field checks) and the frozen specs built from it."""

from __future__ import annotations

import copy
import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from zatlas.data.dataset import (
    attribute_names,
    attribute_source,
    count_folder_images,
    data_problems,
    fill_attribute_defaults,
    recorded_celeba_count,
)
from zatlas.errors import ConfigError
from zatlas.external.spec import external_problems, model_widths, none_rows

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
    problems = data_problems(resolved)
    if not problems:
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
    arch, analysis = cfg["architecture"], cfg["analysis"]

    factor = 2 ** len(arch["filters"])
    if cfg["data"]["image_size"] % factor:
        problems.append(
            f"config key 'data.image_size': {cfg['data']['image_size']} must be a multiple of "
            f"{factor} (2 to the number of encoder layers in 'architecture.filters')"
        )
    for name, model in cfg["models"].items():
        if model["type"] != "vae" and model.get("kl_factor", 1.0) != 1.0:
            problems.append(
                f"config key 'models.{name}.kl_factor': an '{model['type']}' model has no KL "
                "term zatlas sets"
            )
    for i, shell in enumerate(analysis["radius"]["shells"]):
        if shell[0] >= shell[1]:
            problems.append(f"config key 'analysis.radius.shells[{i}]': lower bound >= upper")
    # the narrowest model bounds what every model's analyses may ask for
    z_dim = min(model_widths(cfg).values(), default=arch["z_dim"])
    n_pcs = min(n, z_dim)
    for i, plane in enumerate(analysis["pca"]["planes"]):
        if max(plane) > n_pcs or plane[0] == plane[1]:
            problems.append(
                f"config key 'analysis.pca.planes[{i}]': {plane} needs two different components "
                f"<= {n_pcs} (min of z_dim and the number of images)"
            )
    for i, plane in enumerate(analysis["pca"].get("axis_planes") or []):
        if max(plane) >= z_dim or plane[0] == plane[1]:
            problems.append(
                f"config key 'analysis.pca.axis_planes[{i}]': {plane} needs two different "
                f"0-based axes below z_dim = {z_dim} (the narrowest model's)"
            )
    dims = analysis.get("intrinsic_dim")
    if dims and max(dims["mle_k"]) >= min(n, dims["max_points"]):
        problems.append(
            f"config key 'analysis.intrinsic_dim.mle_k': {max(dims['mle_k'])} neighbours need "
            f"more than the {min(n, dims['max_points'])} points available"
        )
    attrs = analysis.get("attributes")
    if attrs and attrs["k"] >= min(n, attrs["max_points"]):
        problems.append(
            f"config key 'analysis.attributes.k': {attrs['k']} clusters need more than the "
            f"{min(n, attrs['max_points'])} points available"
        )
    known = attribute_names(cfg)
    for i, name in enumerate((attrs or {}).get("color_by") or []):
        if name not in known:
            problems.append(
                f"config key 'analysis.attributes.color_by[{i}]': '{name}' is not "
                + attribute_source(cfg)
            )
    tsne = analysis["tsne"]
    for i, params in enumerate(tsne["params"]):
        for n_pts in tsne_point_counts(cfg):
            if 3 * params["perplexity"] >= n_pts - 1:
                problems.append(
                    f"config key 'analysis.tsne.params[{i}].perplexity': {params['perplexity']} is "
                    f"too large for {n_pts} points (t-SNE needs n_points > 3 * perplexity + 1)"
                )
                break
    for i, comps in enumerate(tsne["pca_components"]):
        if comps > n_pcs:
            problems.append(
                f"config key 'analysis.tsne.pca_components[{i}]': {comps} > {n_pcs} available"
            )
    if tsne["color_by"] is not None and tsne["color_by"] not in known:
        problems.append(
            f"config key 'analysis.tsne.color_by': '{tsne['color_by']}' is not "
            + attribute_source(cfg)
        )
    km = analysis["kmeans"]
    if km["k_min"] > km["k_max"]:
        problems.append("config key 'analysis.kmeans.k_min': larger than k_max")
    if km["k_max"] >= min(n, km["max_points"] or n):
        problems.append(
            f"config key 'analysis.kmeans.k_max': {km['k_max']} clusters need more points than "
            f"the {min(n, km['max_points'] or n)} available"
        )
    samples = analysis["samples"]
    if samples["n_reconstructions"] > n:
        problems.append(f"config key 'analysis.samples.n_reconstructions': more than {n} images")
    names = [d["name"] for d in samples["distributions"]]
    if len(set(names)) != len(names):
        problems.append("config key 'analysis.samples.distributions': names must be unique")
    for i, dist in enumerate(samples["distributions"]):
        if dist["kind"] == "uniform" and dist["low"] >= dist["high"]:
            problems.append(f"config key 'analysis.samples.distributions[{i}]': low >= high")
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def tsne_point_counts(cfg: Mapping) -> list[int]:
    """Requested t-SNE sizes capped at the number of images, without duplicates."""
    n = n_available(cfg)
    return sorted({min(k, n) for k in cfg["analysis"]["tsne"]["n_points"]})


def tsne_variants(cfg: Mapping) -> dict[str, dict]:
    """Every t-SNE run of the config, keyed by a name usable as a file name."""
    tsne = cfg["analysis"]["tsne"]
    counts = tsne_point_counts(cfg)
    variants: dict[str, dict] = {}

    def add(pca: int | None, n: int, params: Mapping) -> None:
        perp, ee = params["perplexity"], params["early_exaggeration"]
        name = f"{'z' if pca is None else f'pca{pca}'}-n{n}-p{perp:g}-ee{ee:g}"
        variants[name] = {
            "n_points": n,
            "perplexity": float(perp),
            "early_exaggeration": float(ee),
            "pca_components": pca,
            "n_iter": tsne["n_iter"],
            "schedule": tsne["schedule"],
        }

    for n in counts:
        for params in tsne["params"]:
            add(None, n, params)
    for comps in tsne["pca_components"]:
        add(comps, counts[0], tsne["params"][0])
    return variants


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
